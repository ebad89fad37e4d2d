// go-units ports: the exact thresholds docker uses in `ps`, `images` and friends.
#include "core/format/human_units.hpp"

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

}  // namespace tug
