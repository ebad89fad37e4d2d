// Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0"; units ns, us/µs/μs, ms, s, m,
// h. Fractions are kept to the nanosecond as Go does (scaled, not rounded through a double).
#include "core/format/go_duration.hpp"

#include <array>
#include <limits>
#include <string>
#include <utility>

#include "util/error.hpp"

namespace tug {

namespace {

constexpr int64_t kSecond = 1000000000;

// Longest names first where one is a prefix of another ("ms" before "m").
constexpr std::array<std::pair<std::string_view, int64_t>, 8> kUnits{{
    {"ns", 1},
    {"us", 1000},
    {"\xC2\xB5s", 1000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1000},  // U+03BC Greek mu
    {"ms", 1000000},
    {"s", kSecond},
    {"m", 60 * kSecond},
    {"h", 3600 * kSecond},
}};

[[noreturn]] void invalid(std::string_view text) { fail("time: invalid duration \"{}\"", text); }

}  // namespace

int64_t parse_go_duration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) invalid(text);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  while (!s.empty()) {
    // The number: integer part, then an optional fraction.
    int64_t whole = 0;
    size_t i = 0;
    bool any_digit = false;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (whole > (kMax - (s[i] - '0')) / 10) invalid(text);
      whole = whole * 10 + (s[i] - '0');
      any_digit = true;
    }
    int64_t frac = 0, scale = 1;
    if (i < s.size() && s[i] == '.') {
      for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        any_digit = true;
        if (scale > kMax / 10) continue;  // digits beyond int64 precision are dropped, as Go does
        frac = frac * 10 + (s[i] - '0');
        scale *= 10;
      }
    }
    if (!any_digit) invalid(text);
    s.remove_prefix(i);
    // The unit: everything up to the next digit or dot.
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && (s[u] < '0' || s[u] > '9')) ++u;
    if (u == 0) fail("time: missing unit in duration \"{}\"", text);
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    int64_t per = 0;
    for (const auto& [name, ns] : kUnits)
      if (unit == name) per = ns;
    if (per == 0) fail("time: unknown unit \"{}\" in duration \"{}\"", unit, text);
    if (whole > kMax / per) invalid(text);
    int64_t value = whole * per;
    if (frac > 0) value += static_cast<int64_t>(static_cast<long double>(frac) * per / scale);
    if (value < 0 || total > kMax - value) invalid(text);
    total += value;
  }
  return negative ? -total : total;
}

}  // namespace tug
