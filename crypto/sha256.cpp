#include "crypto/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace synod::crypto {
namespace {

// Fetched once: implicit fetching on every digest costs a lock and a lookup in OpenSSL 3.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = EVP_sha256();
  return md;
}

[[noreturn]] void openssl_failure(const char* what) {
  // Only reachable if OpenSSL itself is broken (allocation failure); never on input.
  std::fprintf(stderr, "fatal: OpenSSL %s failed\n", what);
  std::abort();
}

}  // namespace

Hash256 sha256(ByteView data) {
  Hash256 out;
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out.data.data(), &length, sha256_md(), nullptr) != 1 ||
      length != Hash256::kSize) {
    openssl_failure("EVP_Digest");
  }
  return out;
}

struct Sha256::Context {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  context_->ctx = EVP_MD_CTX_new();
  if (context_->ctx == nullptr)
    openssl_failure("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(context_->ctx, sha256_md(), nullptr) != 1) {
    openssl_failure("EVP_DigestInit_ex");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(context_->ctx);
}

Sha256& Sha256::update(ByteView data) {
  if (EVP_DigestUpdate(context_->ctx, data.data(), data.size()) != 1) {
    openssl_failure("EVP_DigestUpdate");
  }
  return *this;
}

Hash256 Sha256::finish() {
  Hash256 out;
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_->ctx, out.data.data(), &length) != 1) {
    openssl_failure("EVP_DigestFinal_ex");
  }
  if (EVP_DigestInit_ex(context_->ctx, sha256_md(), nullptr) != 1) {
    openssl_failure("EVP_DigestInit_ex");
  }
  return out;
}

}  // namespace synod::crypto
