// Go's time.ParseDuration, as docker parses --health-interval, --stop-timeout-like flags and
// Dockerfile HEALTHCHECK options: "1m30s", "1.5h", "300ms", "-2us".
#pragma once

#include <cstdint>
#include <string_view>

namespace tug {

/// Nanoseconds; throws Error with Go's wording (`time: invalid duration "x"`,
/// `time: missing unit in duration "1"`, `time: unknown unit "d" in duration "1d"`).
int64_t parse_go_duration(std::string_view text);

}  // namespace tug
