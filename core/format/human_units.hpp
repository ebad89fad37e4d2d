// docker's human-readable sizes and durations (go-units HumanSize, HumanDuration).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tug {

/// "4.26MB": decimal units, three significant digits (units.HumanSizeWithPrecision(n, 3)).
std::string human_size(double bytes);

/// go-units RAMInBytes: "64m", "1.5g", "512kb", "100" (bytes); binary multiples (k = 1024),
/// case-insensitive, an optional "i" and "b". nullopt when the text is not a size.
std::optional<int64_t> ram_in_bytes(const std::string& text);

/// "5 seconds", "About a minute", "3 hours", "8 days" (units.HumanDuration).
std::string human_duration(int64_t seconds);

/// Parses an RFC 3339 UTC timestamp ("2024-01-02T03:04:05.123Z") to Unix seconds; 0 if bad.
int64_t parse_rfc3339(const std::string& text);

/// The same with the fraction: Unix nanoseconds; 0 if bad.
int64_t parse_rfc3339_ns(const std::string& text);

/// True for Go's zero time.Time as docker writes it ("0001-01-01T00:00:00Z"): "never".
bool is_zero_time(const std::string& rfc3339);

/// Go's time.Unix(seconds, 0).String() in the local zone: "2024-02-11 17:42:33 +0100 CET"
/// (docker's CreatedAt column).
std::string go_local_time(int64_t unix_seconds);

}  // namespace tug
