// docker's --restart policies: parsing, and the monitor's decision after each exit.
#pragma once

#include <chrono>
#include <string>

#include "util/json.hpp"

namespace tug {

struct RestartPolicy {
  std::string name = "no";  ///< no, always, unless-stopped, on-failure
  int maximum_retry_count = 0;

  /// HostConfig.RestartPolicy as docker writes it: {"Name": "...", "MaximumRetryCount": N}.
  Json to_json() const;
  static RestartPolicy from_json(const Json& j);
};

/// Parses --restart's value; throws docker's errors for bad ones.
RestartPolicy parse_restart_policy(const std::string& text);

/// Whether a container that exited with `exit_code` is started again. `restart_count` counts the
/// restarts so far; a container stopped by `tug stop`/`kill` is never restarted.
bool should_restart(const RestartPolicy& policy, int exit_code, int restart_count, bool stopped_by_user);

/// docker's back-off between restarts: 100 ms, doubled after each quick exit, at most a minute;
/// back to 100 ms once a run lasted 10 s.
class RestartBackoff {
 public:
  std::chrono::milliseconds next(std::chrono::steady_clock::duration last_run);

 private:
  std::chrono::milliseconds delay_{0};
};

}  // namespace tug
