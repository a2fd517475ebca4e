#include "testnet/web_guard.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace synod::testnet {
namespace {

constexpr std::array<std::string_view, 2> kLocalNames = {"127.0.0.1", "localhost"};
constexpr std::size_t kShownCharsMax = 80;  // of a refused header, in the error

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// "127.0.0.1" or "localhost", with or without a port. Any port: a forwarded port (ssh -L,
// docker -p) reaches this server under its own number, and a rebinding attack is told
// apart by the name, not the port.
bool is_local_host(std::string_view host) {
  std::string_view name = host;
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    name = host.substr(0, colon);
  }
  return std::any_of(kLocalNames.begin(), kLocalNames.end(),
                     [name](std::string_view local) { return equal_ignoring_case(name, local); });
}

// A browser leaves out port 80, the scheme's default, in Origin but may keep it in Host.
std::string_view without_default_port(std::string_view host) {
  constexpr std::string_view kDefault = ":80";
  return host.size() > kDefault.size() && host.substr(host.size() - kDefault.size()) == kDefault
             ? host.substr(0, host.size() - kDefault.size())
             : host;
}

// Header values come from anyone: shown cut short, control characters replaced.
std::string shown(std::string_view value) {
  std::string out(value.substr(0, kShownCharsMax));
  for (char& c : out) {
    if (std::iscntrl(static_cast<unsigned char>(c)))
      c = '?';
  }
  return value.size() > kShownCharsMax ? out + "..." : out;
}

}  // namespace

Status check_request_source(std::optional<std::string_view> host,
                            std::optional<std::string_view> origin, bool is_post,
                            std::uint16_t port) {
  const std::string own = "127.0.0.1:" + std::to_string(port);
  if (!host)
    return make_error("forbidden: no Host header (this server answers http://" + own + "/)");
  if (!is_local_host(*host)) {
    return make_error("forbidden: Host " + shown(*host) + " is not this server (http://" + own +
                      "/ or http://localhost:" + std::to_string(port) + "/)");
  }
  if (!is_post || !origin)
    return Status::success();
  // Same origin: the page was loaded from the very address this request goes to.
  constexpr std::string_view kScheme = "http://";
  const bool own_origin = origin->substr(0, kScheme.size()) == kScheme &&
                          equal_ignoring_case(without_default_port(origin->substr(kScheme.size())),
                                              without_default_port(*host));
  if (!own_origin) {
    return make_error("forbidden: a POST from the page of origin " + shown(*origin) +
                      "; only this server's own page (http://" + shown(*host) +
                      ") may change the testnet");
  }
  return Status::success();
}

}  // namespace synod::testnet
