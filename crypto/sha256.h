// SHA-256 through OpenSSL's EVP interface: one-shot and incremental.
#pragma once

#include <memory>

#include "base/bytes.h"

namespace synod::crypto {

struct HashTag {};
using Hash256 = FixedBytes<32, HashTag>;

Hash256 sha256(ByteView data);

// Incremental hashing. Not thread-safe; one instance per thread of use.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(ByteView data);
  // Returns the digest and resets the hasher so it can be reused.
  Hash256 finish();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace synod::crypto
