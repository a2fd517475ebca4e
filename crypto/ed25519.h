// Ed25519 keys and signatures (libsodium).
//
// A secret key is libsodium's 64-byte form: the 32-byte seed followed by the public key.
// Key material is wiped from memory when a KeyPair is destroyed.
#pragma once

#include "base/bytes.h"
#include "base/result.h"

namespace synod::crypto {

struct PublicKeyTag {};
struct SignatureTag {};
struct SeedTag {};
using PublicKey = FixedBytes<32, PublicKeyTag>;
using Signature = FixedBytes<64, SignatureTag>;
using Seed = FixedBytes<32, SeedTag>;

class KeyPair {
 public:
  static constexpr std::size_t kSecretKeySize = 64;

  // A fresh key pair from the operating system's randomness.
  static KeyPair generate();
  // Deterministic key pair from a 32-byte seed (tests, simulator, RFC 8032 vectors).
  static KeyPair from_seed(const Seed& seed);
  // From libsodium's 64-byte secret key; fails if its second half is not the public key
  // that its seed derives.
  static Result<KeyPair> from_secret_key(ByteView secret_key);

  KeyPair(const KeyPair& other);
  KeyPair& operator=(const KeyPair& other);
  ~KeyPair();

  const PublicKey& public_key() const { return public_key_; }
  ByteView secret_key() const { return {secret_key_, kSecretKeySize}; }
  Signature sign(ByteView message) const;

 private:
  KeyPair() = default;
  PublicKey public_key_;
  std::uint8_t secret_key_[kSecretKeySize] = {};
};

// True when `signature` is a valid Ed25519 signature of `message` by `key`. libsodium also
// rejects non-canonical encodings and small-order keys, so a bad key is simply "invalid".
bool verify(const PublicKey& key, ByteView message, const Signature& signature);

// Makes sure libsodium is initialised; safe to call from any thread, any number of times.
void ensure_sodium();

}  // namespace synod::crypto
