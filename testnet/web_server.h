// `synod-testnet web`: serves the live view of a testnet on 127.0.0.1 (HTTP/1.1, one
// request per connection, a thread per connection, at most kConnectionsMax at once).
//
//   GET  /, /app.js, /style.css, /msc.js, /msc.css   the page (web/ assets, compiled in)
//   GET  /events               server-sent events: the hub's whole state (web_hub.h) now
//                              and after every change, coalesced (a slow browser skips
//                              states instead of queueing them); a comment every 15 s
//   GET  /api/state            the same state once, as JSON
//   GET  /api/block?hash=H     get_block from a running node (header, certificate, txs)
//   POST /api/node?action=A&node=I   A: kill, pause, resume, restart
//   POST /api/scenario?name=N  runs `synod-testnet scenario N` in the background
//   POST /api/transfer?node=I  a signed transfer submitted through node I
// Answers are JSON. Refused with {"error"}: a request whose Host is not 127.0.0.1:PORT or
// localhost:PORT, or a POST from another origin (403, web_guard.h); a bad parameter or a
// malformed request (400, or 404 for an unknown path or block); a body over 16 KiB (413);
// a method other than GET and POST (405).
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace synod::testnet {

inline constexpr std::uint16_t kDefaultWebPort = 8656;

// Serves the page for the testnet in `dir` until SIGINT or SIGTERM. Prints the address.
Status cmd_web(const std::string& dir, std::uint16_t port);

}  // namespace synod::testnet
