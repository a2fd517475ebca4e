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

// "127.0.0.1:PORT" or "localhost:PORT"; a browser leaves out port 80, the scheme's default.
bool is_own_host(std::string_view host, std::uint16_t port) {
  const std::string with_port = ":" + std::to_string(port);
  for (std::string_view name : kLocalNames) {
    if (equal_ignoring_case(host, std::string(name) + with_port))
      return true;
    if (port == 80 && equal_ignoring_case(host, name))
      return true;
  }
  return false;
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
  if (!is_own_host(*host, port)) {
    return make_error("forbidden: Host " + shown(*host) + " is not this server (http://" + own +
                      "/ or http://localhost:" + std::to_string(port) + "/)");
  }
  if (!is_post || !origin)
    return Status::success();
  constexpr std::string_view kScheme = "http://";
  const bool own_origin = origin->substr(0, kScheme.size()) == kScheme &&
                          is_own_host(origin->substr(kScheme.size()), port);
  if (!own_origin) {
    return make_error("forbidden: a POST from the page of origin " + shown(*origin) +
                      "; only this server's own page (http://" + own + ") may change the testnet");
  }
  return Status::success();
}

}  // namespace synod::testnet
