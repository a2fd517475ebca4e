// testnet/web_guard.h: only the page the web server served may drive it; foreign Host
// names (DNS rebinding) and foreign origins' POSTs (cross-site request forgery) are refused.
#include <catch2/catch.hpp>

#include "testnet/web_guard.h"

using synod::testnet::check_request_source;

namespace {

constexpr std::uint16_t kPort = 8656;

bool allowed(std::optional<std::string_view> host, std::optional<std::string_view> origin,
             bool is_post = true) {
  return check_request_source(host, origin, is_post, kPort).ok();
}

}  // namespace

TEST_CASE("web guard: the page's own requests pass, by either local name", "[unit][web]") {
  CHECK(allowed("127.0.0.1:8656", std::nullopt, false));
  CHECK(allowed("localhost:8656", std::nullopt, false));
  CHECK(allowed("LocalHost:8656", std::nullopt, false));
  CHECK(allowed("127.0.0.1:8656", "http://127.0.0.1:8656"));
  CHECK(allowed("localhost:8656", "http://localhost:8656"));
  // A POST without Origin (curl, an old client) comes from no web page.
  CHECK(allowed("127.0.0.1:8656", std::nullopt));
  // A GET's Origin does not matter: another origin cannot read the answer (no CORS).
  CHECK(allowed("127.0.0.1:8656", "http://evil.example", false));
}

TEST_CASE("web guard: a foreign or missing Host is refused (DNS rebinding)", "[unit][web]") {
  const auto rebound = check_request_source("evil.example:8656", std::nullopt, false, kPort);
  REQUIRE_FALSE(rebound.ok());
  CHECK(rebound.message().find("Host evil.example:8656 is not this server") != std::string::npos);
  CHECK_FALSE(allowed(std::nullopt, std::nullopt, false));
  CHECK_FALSE(allowed("127.0.0.1:", std::nullopt, false));
  CHECK_FALSE(allowed("127.0.0.1:86a", std::nullopt, false));
  CHECK_FALSE(allowed("evil.example", std::nullopt, false));
  CHECK_FALSE(allowed("127.0.0.1:8656.evil.example", std::nullopt, false));
  CHECK_FALSE(allowed("0.0.0.0:8656", std::nullopt, false));
  CHECK_FALSE(allowed("", std::nullopt, false));
}

TEST_CASE("web guard: a POST from another origin is refused (CSRF)", "[unit][web]") {
  const auto forged = check_request_source("127.0.0.1:8656", "http://evil.example", true, kPort);
  REQUIRE_FALSE(forged.ok());
  CHECK(forged.message().find("origin http://evil.example") != std::string::npos);
  CHECK_FALSE(allowed("127.0.0.1:8656", "null"));  // a file: page or a sandboxed frame
  CHECK_FALSE(allowed("127.0.0.1:8656", "https://127.0.0.1:8656"));
  CHECK_FALSE(allowed("127.0.0.1:8656", "http://127.0.0.1:8657"));
  CHECK_FALSE(allowed("127.0.0.1:8656", "http://127.0.0.1:8656.evil.example"));
  CHECK_FALSE(allowed("127.0.0.1:8656", "http://127.0.0.1"));
  CHECK_FALSE(allowed("127.0.0.1:8656", ""));
}

TEST_CASE("web guard: a forwarded port reaches the page under its own number", "[unit][web]") {
  // ssh -L 9000:127.0.0.1:8656 or docker -p 9000:8656: the browser says 9000.
  CHECK(allowed("127.0.0.1:9000", std::nullopt, false));
  CHECK(allowed("localhost:9000", "http://localhost:9000"));
  CHECK_FALSE(allowed("localhost:9000", "http://localhost:8656"));  // not where it was sent
  CHECK(allowed("127.0.0.1", std::nullopt, false));
}

TEST_CASE("web guard: port 80 may be left out, as browsers do", "[unit][web]") {
  CHECK(check_request_source("localhost", "http://localhost", true, 80).ok());
  CHECK(check_request_source("127.0.0.1:80", "http://127.0.0.1", true, 80).ok());
}

TEST_CASE("web guard: a refused header is shown short and printable", "[unit][web]") {
  const std::string long_host = std::string(500, 'a') + "\x01";
  const auto refused = check_request_source(long_host, std::nullopt, false, kPort);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.message().size() < 250);
  CHECK(refused.message().find('\x01') == std::string::npos);
}
