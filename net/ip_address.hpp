// IP addresses as text, read and written the way docker's Go code does (net.ParseIP and
// net.IP.String), for --dns, --add-host and the nameservers of resolv.conf.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tug {

/// `text` as Go's net.ParseIP(strings.TrimSpace(text)) reads it, written back as net.IP.String()
/// does: "0:0::1" → "::1", "::ffff:1.2.3.4" → "1.2.3.4". nullopt when it is no address (Go
/// takes no zone, no brackets, no leading zeros in IPv4).
std::optional<std::string> canonical_ip(std::string_view text);

/// Whether `text` is an address in 127.0.0.0/8 or ::1 (unreachable from another network
/// namespace than the host's).
bool is_loopback_ip(std::string_view text);

}  // namespace tug
