#include "crypto/ed25519.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crypto/signature_memo.h"

namespace synod::crypto {

void ensure_sodium() {
  static const bool initialised = [] {
    if (sodium_init() < 0) {
      std::fprintf(stderr, "fatal: libsodium failed to initialise\n");
      std::abort();
    }
    return true;
  }();
  (void)initialised;
}

KeyPair KeyPair::generate() {
  ensure_sodium();
  KeyPair pair;
  crypto_sign_keypair(pair.public_key_.data.data(), pair.secret_key_);
  return pair;
}

KeyPair KeyPair::from_seed(const Seed& seed) {
  ensure_sodium();
  KeyPair pair;
  crypto_sign_seed_keypair(pair.public_key_.data.data(), pair.secret_key_, seed.data.data());
  return pair;
}

Result<KeyPair> KeyPair::from_secret_key(ByteView secret_key) {
  if (secret_key.size() != kSecretKeySize) {
    return make_error("secret key must be " + std::to_string(kSecretKeySize) + " bytes, got " +
                      std::to_string(secret_key.size()));
  }
  KeyPair pair = from_seed(Seed::from(secret_key.first(32)));
  if (sodium_memcmp(pair.secret_key_ + 32, secret_key.data() + 32, 32) != 0) {
    return make_error(
        "secret key halves do not match: its public half is not derived from its seed");
  }
  return pair;
}

KeyPair::KeyPair(const KeyPair& other) : public_key_(other.public_key_) {
  std::memcpy(secret_key_, other.secret_key_, kSecretKeySize);
}

KeyPair& KeyPair::operator=(const KeyPair& other) {
  if (this == &other)
    return *this;  // memcpy onto itself is undefined behaviour
  public_key_ = other.public_key_;
  std::memcpy(secret_key_, other.secret_key_, kSecretKeySize);
  return *this;
}

KeyPair::~KeyPair() {
  sodium_memzero(secret_key_, kSecretKeySize);
}

Signature KeyPair::sign(ByteView message) const {
  SignatureMemo* memo = SignatureMemo::current();
  if (memo != nullptr) {
    if (auto known = memo->find_signature(public_key_, message))
      return *known;
  }
  Signature out;
  crypto_sign_detached(out.data.data(), nullptr, message.data(), message.size(), secret_key_);
  if (memo != nullptr)
    memo->store_signature(public_key_, message, out);
  return out;
}

bool verify(const PublicKey& key, ByteView message, const Signature& signature) {
  SignatureMemo* memo = SignatureMemo::current();
  if (memo != nullptr) {
    if (auto known = memo->find_verification(key, message, signature))
      return *known;
  }
  ensure_sodium();
  bool valid = crypto_sign_verify_detached(signature.data.data(), message.data(), message.size(),
                                           key.data.data()) == 0;
  if (memo != nullptr)
    memo->store_verification(key, message, signature, valid);
  return valid;
}

}  // namespace synod::crypto
