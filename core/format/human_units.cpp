// go-units ports: the exact thresholds docker uses in `ps`, `images` and friends.
#include "core/format/human_units.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace tug {

std::string human_size(double size) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  int i = 0;
  while (size >= 1000 && i < 8) {
    size /= 1000;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g%s", 3, size, kUnits[i]);
  return buf;
}

std::optional<int64_t> ram_in_bytes(const std::string& text) {
  // ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    return i > start;
  };
  if (!digits()) return std::nullopt;
  while (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return std::nullopt;
  }
  std::string number = text.substr(0, i);
  if (i < text.size() && text[i] == ' ') ++i;
  double multiplier = 1;
  if (i < text.size()) {
    static const std::string kUnits = "kmgtp";
    auto unit = kUnits.find(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
    if (unit != std::string::npos) {
      for (size_t k = 0; k <= unit; ++k) multiplier *= 1024;
      ++i;
    }
  }
  if (i < text.size() && (text[i] == 'i' || text[i] == 'I')) ++i;
  if (i < text.size() && (text[i] == 'b' || text[i] == 'B')) ++i;
  if (i != text.size()) return std::nullopt;
  double value = 0;
  try {
    size_t used = 0;
    value = std::stod(number, &used);
    if (used != number.size()) return std::nullopt;  // "1.2.3"
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return static_cast<int64_t>(value * multiplier);
}

std::string human_duration(int64_t seconds) {
  char buf[64];
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%lld seconds", static_cast<long long>(seconds));
    return buf;
  }
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) {
    std::snprintf(buf, sizeof buf, "%lld minutes", static_cast<long long>(minutes));
    return buf;
  }
  int64_t hours = static_cast<int64_t>(static_cast<double>(seconds) / 3600.0 + 0.5);
  if (hours == 1) return "About an hour";
  const char* unit;
  int64_t n;
  if (hours < 48) {
    unit = "hours";
    n = hours;
  } else if (hours < 24 * 7 * 2) {
    unit = "days";
    n = hours / 24;
  } else if (hours < 24 * 30 * 2) {
    unit = "weeks";
    n = hours / 24 / 7;
  } else if (hours < 24 * 365 * 2) {
    unit = "months";
    n = hours / 24 / 30;
  } else {
    unit = "years";
    n = seconds / 3600 / 24 / 365;
  }
  std::snprintf(buf, sizeof buf, "%lld %s", static_cast<long long>(n), unit);
  return buf;
}

int64_t parse_rfc3339(const std::string& text) {
  struct tm tm {};
  if (!strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

int64_t parse_rfc3339_ns(const std::string& text) {
  int64_t seconds = parse_rfc3339(text);
  if (seconds == 0) return 0;
  int64_t nanos = 0;
  size_t dot = text.find('.');
  if (dot != std::string::npos) {
    int digits = 0;
    for (size_t i = dot + 1; i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 9; ++i, ++digits)
      nanos = nanos * 10 + (text[i] - '0');
    for (; digits < 9; ++digits) nanos *= 10;
  }
  return seconds * 1000000000 + nanos;
}

bool is_zero_time(const std::string& rfc3339) { return rfc3339.empty() || rfc3339.starts_with("0001-01-01"); }

std::string go_local_time(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  localtime_r(&t, &tm);
  char buf[96];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  return std::string(buf, n);
}

}  // namespace tug
