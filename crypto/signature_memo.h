// An opt-in, per-thread memo of Ed25519 results, for the deterministic simulator.
//
// A simulated cluster signs and checks the same messages over and over: every receiver
// verifies each broadcast, and every VIEW-CHANGE and NEW-VIEW carries signatures already
// checked as votes. Ed25519 signing is deterministic and verification is a pure function, so
// a remembered result is exactly the result libsodium would compute again. While a
// SignatureMemo lives, KeyPair::sign and verify on its thread consult it first; without one
// (the node never creates one) they go straight to libsodium.
//
// Entries are keyed by SHA-256 over (public key, signature, message), so the memo holds no
// message bytes; it forgets everything when it reaches max_entries. Thread safety: a memo
// serves only the thread that created it, and must be destroyed on that thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"

namespace synod::crypto {

class SignatureMemo {
 public:
  explicit SignatureMemo(std::size_t max_entries = 1 << 16);
  ~SignatureMemo();
  SignatureMemo(const SignatureMemo&) = delete;
  SignatureMemo& operator=(const SignatureMemo&) = delete;

  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

  // The memo installed on this thread, or null.
  static SignatureMemo* current();

  std::optional<Signature> find_signature(const PublicKey& key, ByteView message);
  void store_signature(const PublicKey& key, ByteView message, const Signature& signature);
  std::optional<bool> find_verification(const PublicKey& key, ByteView message,
                                        const Signature& signature);
  void store_verification(const PublicKey& key, ByteView message, const Signature& signature,
                          bool valid);

 private:
  struct Entry {
    Signature signature;  // for a signing entry
    bool valid = false;   // for a verification entry
  };
  struct KeyHash {
    std::size_t operator()(const Hash256& hash) const;
  };
  static Hash256 key_of(std::uint8_t kind, const PublicKey& key, const Signature* signature,
                        ByteView message);
  std::optional<Entry> find(const Hash256& key);
  void store(const Hash256& key, const Entry& entry);

  std::size_t max_entries_;
  std::unordered_map<Hash256, Entry, KeyHash> entries_;
  SignatureMemo* previous_ = nullptr;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace synod::crypto
