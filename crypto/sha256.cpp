#include "crypto/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace synod::crypto {
namespace {

[[noreturn]] void openssl_failure(const char* what) {
  // Only reachable if OpenSSL itself is broken (allocation failure); never on input.
  std::fprintf(stderr, "fatal: OpenSSL %s failed\n", what);
  std::abort();
}

// Fetched explicitly, once, and kept for the life of the process. EVP_sha256() is not a
// fetch: every digest initialised from it fetches the implementation again (a lock and a
// lookup in OpenSSL 3), which made a 150-byte digest cost ~4x its hashing.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr)
      openssl_failure("EVP_MD_fetch(SHA256)");
    return fetched;
  }();
  return md;
}

// One digest context per thread, reused by sha256(): EVP_Digest allocates and frees one
// per call.
struct ThreadContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ThreadContext() {
    if (ctx == nullptr)
      openssl_failure("EVP_MD_CTX_new");
  }
  ~ThreadContext() { EVP_MD_CTX_free(ctx); }
  ThreadContext(const ThreadContext&) = delete;
  ThreadContext& operator=(const ThreadContext&) = delete;
};

}  // namespace

Hash256 sha256(ByteView data) {
  thread_local ThreadContext context;
  Hash256 out;
  unsigned int length = 0;
  if (EVP_DigestInit_ex2(context.ctx, sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.ctx, out.data.data(), &length) != 1 || length != Hash256::kSize) {
    openssl_failure("SHA-256 digest");
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
