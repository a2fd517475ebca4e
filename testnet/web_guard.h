// Who may talk to `synod-testnet web`: the page it served itself, and nobody else. The
// server listens on 127.0.0.1 only, yet any web page open in the user's browser can send
// it requests:
//  - cross-site request forgery: a foreign page POSTs to 127.0.0.1:PORT and kills nodes.
//    Browsers name the sending page's origin in the Origin header of a POST, so a POST
//    whose Origin is present and not the address it was sent to is refused;
//  - DNS rebinding: a foreign name that resolves to 127.0.0.1 makes our answers readable
//    by that site's scripts. Its requests carry that name in Host, so any request whose
//    Host is not 127.0.0.1 or localhost (any port: forwarded ports are fine) is refused.
// Pure functions of the request's headers; the server answers a refusal with 403.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace synod::testnet {

// Whether a request may be served by the web server listening on 127.0.0.1:`port` (named
// in the errors).
// `host` and `origin` are the request's headers (nullopt when absent); `is_post` says
// whether it asks to change something. The error says what was refused and why.
Status check_request_source(std::optional<std::string_view> host,
                            std::optional<std::string_view> origin, bool is_post,
                            std::uint16_t port);

}  // namespace synod::testnet
