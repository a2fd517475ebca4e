// Private to node/transport: the libsodium stream states behind SecureSession, shared by
// secure_session.cpp and handshake.cpp (which initialises them).
#pragma once

#include <sodium.h>

#include "node/transport/secure_session.h"

namespace synod::transport {

struct SecureSession::Streams {
  crypto_secretstream_xchacha20poly1305_state push{};  // our outgoing stream
  crypto_secretstream_xchacha20poly1305_state pull{};  // the peer's stream to us

  Streams() = default;
  Streams(const Streams&) = delete;
  Streams& operator=(const Streams&) = delete;
  ~Streams() { sodium_memzero(this, sizeof(*this)); }
};

static_assert(kSealOverheadBytes == crypto_secretstream_xchacha20poly1305_ABYTES);
static_assert(kStreamHeaderBytes == crypto_secretstream_xchacha20poly1305_HEADERBYTES);
static_assert(kSessionKeyBytes == crypto_kx_SESSIONKEYBYTES);
static_assert(kSessionKeyBytes == crypto_secretstream_xchacha20poly1305_KEYBYTES);

}  // namespace synod::transport
