#include "crypto/signature_memo.h"

#include <cstring>

namespace synod::crypto {
namespace {

thread_local SignatureMemo* installed = nullptr;

constexpr std::uint8_t kSigning = 1;
constexpr std::uint8_t kVerification = 2;

}  // namespace

SignatureMemo::SignatureMemo(std::size_t max_entries)
    : max_entries_(max_entries), previous_(installed) {
  installed = this;
}

SignatureMemo::~SignatureMemo() {
  installed = previous_;
}

SignatureMemo* SignatureMemo::current() {
  return installed;
}

std::size_t SignatureMemo::KeyHash::operator()(const Hash256& hash) const {
  std::size_t out = 0;
  std::memcpy(&out, hash.data.data(), sizeof out);
  return out;
}

Hash256 SignatureMemo::key_of(std::uint8_t kind, const PublicKey& key, const Signature* signature,
                              ByteView message) {
  Sha256 hasher;
  hasher.update(ByteView(&kind, 1)).update(key.view());
  if (signature != nullptr)
    hasher.update(signature->view());
  return hasher.update(message).finish();
}

std::optional<SignatureMemo::Entry> SignatureMemo::find(const Hash256& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  return it->second;
}

void SignatureMemo::store(const Hash256& key, const Entry& entry) {
  if (entries_.size() >= max_entries_)
    entries_.clear();
  entries_[key] = entry;
}

std::optional<Signature> SignatureMemo::find_signature(const PublicKey& key, ByteView message) {
  auto entry = find(key_of(kSigning, key, nullptr, message));
  if (!entry)
    return std::nullopt;
  return entry->signature;
}

void SignatureMemo::store_signature(const PublicKey& key, ByteView message,
                                    const Signature& signature) {
  store(key_of(kSigning, key, nullptr, message), Entry{signature, true});
}

std::optional<bool> SignatureMemo::find_verification(const PublicKey& key, ByteView message,
                                                     const Signature& signature) {
  auto entry = find(key_of(kVerification, key, &signature, message));
  if (!entry)
    return std::nullopt;
  return entry->valid;
}

void SignatureMemo::store_verification(const PublicKey& key, ByteView message,
                                       const Signature& signature, bool valid) {
  store(key_of(kVerification, key, &signature, message), Entry{Signature{}, valid});
}

}  // namespace synod::crypto
