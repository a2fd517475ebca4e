#include "node/transport/host_port.h"

namespace synod::transport {

Result<HostPort> parse_host_port(std::string_view text) {
  auto bad = [&](const char* why) {
    return make_error("bad address '" + std::string(text.substr(0, 300)) + "': " + why);
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return bad("expected host:port");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty())
    return bad("empty host");
  if (port_text.empty() || port_text.size() > 5)
    return bad("port must be a number 0..65535");
  std::uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9')
      return bad("port must be a number 0..65535");
    port = port * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (port > 65535)
    return bad("port must be a number 0..65535");
  return HostPort{std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace synod::transport
