// docker's healthchecks as data: Config.Healthcheck from the run flags over the image's
// HEALTHCHECK, the settings the monitor applies, and State.Health after each probe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace tug {

/// The --health-* flags as given (durations in Go syntax, "" when not given).
struct HealthFlags {
  std::string cmd, interval, timeout, start_period;
  std::optional<int> retries;
  bool disabled = false;  ///< --no-healthcheck
};

/// Config.Healthcheck for a new container: the flags merged over the image's healthcheck as
/// docker merges them (a missing Test or a zero timing takes the image's); Json null when
/// neither says anything. Throws docker's errors for bad flags.
Json healthcheck_config(const Json& image_healthcheck, const HealthFlags& flags);

/// What the monitor runs, with docker's defaults filled in.
struct HealthSettings {
  std::vector<std::string> argv;  ///< CMD args, or /bin/sh -c for CMD-SHELL
  int64_t interval_ns = 30'000'000'000;
  int64_t timeout_ns = 30'000'000'000;
  int64_t start_period_ns = 0;
  int retries = 3;

  /// Nothing for a missing healthcheck, Test ["NONE"] or an empty Test.
  static std::optional<HealthSettings> from_config(const Json& healthcheck);
};

/// One probe's outcome, as State.Health.Log keeps it.
struct ProbeResult {
  std::string start, end;  ///< RFC 3339
  int exit_code = 0;       ///< -1 when it timed out or could not run
  std::string output;      ///< stdout and stderr together, at most kMaxProbeOutput bytes
};

inline constexpr size_t kMaxProbeOutput = 4096;

/// State.Health of a container that just started: {"Status": "starting", ...}.
Json starting_health();

/// State.Health after `result`: healthy on exit 0; otherwise one more failure in the streak,
/// unhealthy once it reaches `retries`, except failures while still starting within the start
/// period, which do not count. The log keeps the last five probes.
void record_probe(Json& health, const ProbeResult& result, bool within_start_period, int retries);

}  // namespace tug
