#include "node/transport/secure_session.h"

#include <cassert>
#include <limits>

#include "node/transport/frame.h"
#include "node/transport/secure_session_internal.h"

namespace synod::transport {

SecureSession::SecureSession(chain::ReplicaIndex peer_index, const crypto::PublicKey& peer_key,
                             std::unique_ptr<Streams> streams)
    : peer_index_(peer_index), peer_key_(peer_key), streams_(std::move(streams)) {
  assert(streams_ != nullptr);
}

SecureSession::SecureSession(SecureSession&& other) noexcept = default;
SecureSession& SecureSession::operator=(SecureSession&& other) noexcept = default;
SecureSession::~SecureSession() = default;

Bytes SecureSession::seal(ByteView plaintext) {
  assert(streams_ != nullptr);
  Bytes out(plaintext.size() + kSealOverheadBytes);
  unsigned long long out_size = 0;
  int rc = crypto_secretstream_xchacha20poly1305_push(
      &streams_->push, out.data(), &out_size, plaintext.data(), plaintext.size(), nullptr, 0,
      crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  assert(rc == 0 && out_size == out.size());
  (void)rc;
  return out;
}

void SecureSession::seal_frame(Bytes& out, ByteView plaintext) {
  assert(streams_ != nullptr);
  std::size_t sealed_size = plaintext.size() + kSealOverheadBytes;
  assert(sealed_size <= std::numeric_limits<std::uint32_t>::max());
  std::size_t start = out.size();
  out.resize(start + kFrameHeaderBytes + sealed_size);
  for (std::size_t i = 0; i < kFrameHeaderBytes; ++i)
    out[start + i] = static_cast<std::uint8_t>(sealed_size >> (8 * i));
  unsigned long long out_size = 0;
  int rc = crypto_secretstream_xchacha20poly1305_push(
      &streams_->push, out.data() + start + kFrameHeaderBytes, &out_size, plaintext.data(),
      plaintext.size(), nullptr, 0, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  assert(rc == 0 && out_size == sealed_size);
  (void)rc;
}

Result<Bytes> SecureSession::open(ByteView ciphertext) {
  assert(streams_ != nullptr);
  if (failed_)
    return make_error("decryption failed: the session already failed");
  if (ciphertext.size() < kSealOverheadBytes) {
    failed_ = true;
    return make_error("decryption failed: ciphertext of " + std::to_string(ciphertext.size()) +
                      " bytes is shorter than its tag");
  }
  Bytes plaintext(ciphertext.size() - kSealOverheadBytes);
  unsigned long long plaintext_size = 0;
  unsigned char tag = 0;
  int rc = crypto_secretstream_xchacha20poly1305_pull(&streams_->pull, plaintext.data(),
                                                      &plaintext_size, &tag, ciphertext.data(),
                                                      ciphertext.size(), nullptr, 0);
  if (rc != 0) {
    failed_ = true;
    return make_error("decryption failed: message does not authenticate");
  }
  if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
    failed_ = true;
    return make_error("decryption failed: unexpected stream tag " + std::to_string(tag));
  }
  assert(plaintext_size == plaintext.size());
  return plaintext;
}

}  // namespace synod::transport
