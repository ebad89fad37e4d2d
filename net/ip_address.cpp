// Go's IP text forms over inet_pton: glibc accepts exactly Go's IPv4 (four decimal parts, no
// leading zeros) and IPv6 (with an embedded IPv4 tail) syntax; the output is Go's, not
// inet_ntop's (which writes ::1.2.3.4 where Go writes ::102:304).
#include "net/ip_address.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace tug {

namespace {

constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr std::string_view kSpace = " \t\n\v\f\r";

std::string_view trim_space(std::string_view s) {
  auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::string dotted(const unsigned char* b) { return fmt::format("{}.{}.{}.{}", b[0], b[1], b[2], b[3]); }

// net.IP.String for 16 bytes: IPv4-mapped as dotted IPv4, else the longest run (two or more,
// the first of equals) of zero groups as "::", groups in lowercase hex.
std::string format_ipv6(const unsigned char* b) {
  if (std::equal(kMapped, kMapped + 12, b)) return dotted(b + 12);
  uint16_t groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i >= 2 && j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    out += fmt::format("{:x}", groups[i]);
  }
  return out;
}

}  // namespace

std::optional<std::string> canonical_ip(std::string_view text) {
  std::string s(trim_space(text));
  unsigned char buf[16];
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1) return dotted(buf);
  if (::inet_pton(AF_INET6, s.c_str(), buf) == 1) return format_ipv6(buf);
  return std::nullopt;
}

bool is_loopback_ip(std::string_view text) {
  std::string s(text.substr(0, text.find('%')));
  unsigned char buf[16];
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1) return buf[0] == 127;
  if (::inet_pton(AF_INET6, s.c_str(), buf) != 1) return false;
  if (std::equal(kMapped, kMapped + 12, buf)) return buf[12] == 127;  // Go unmaps first
  static constexpr unsigned char kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::equal(buf, buf + 16, kLoopback6);
}

}  // namespace tug
