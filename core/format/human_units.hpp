// docker's human-readable sizes and durations (go-units HumanSize, HumanDuration).
#pragma once

#include <cstdint>
#include <string>

namespace tug {

/// "4.26MB": decimal units, three significant digits (units.HumanSizeWithPrecision(n, 3)).
std::string human_size(double bytes);

/// "5 seconds", "About a minute", "3 hours", "8 days" (units.HumanDuration).
std::string human_duration(int64_t seconds);

/// Parses an RFC 3339 UTC timestamp ("2024-01-02T03:04:05.123Z") to Unix seconds; 0 if bad.
int64_t parse_rfc3339(const std::string& text);

}  // namespace tug
