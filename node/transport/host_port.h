// "host:port" peer and listen addresses ("[v6]:port" for IPv6 literals).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace synod::transport {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// Splits at the last ':'; the host must be non-empty and the port a decimal 0..65535.
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace synod::transport
