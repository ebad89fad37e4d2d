// The monitor's side of a healthcheck: runs the probe command in the running container every
// interval (as `tug exec` would, in a forked child), kills it after the timeout, and records
// State.Health. Driven by the monitor's single poll loop: no thread, no timer signal.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "core/healthcheck.hpp"
#include "core/store_paths.hpp"
#include "util/fd.hpp"

namespace tug {

class HealthChecker {
 public:
  HealthChecker(const StorePaths& paths, std::string id, HealthSettings settings);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  /// PID 1 (re)started: Health back to "starting", first probe one interval from now.
  void container_started();
  /// PID 1 exited: a probe still running is killed; Health keeps its last word.
  void container_exited();

  /// Milliseconds until tick() has something to do (for poll), -1 for never.
  int poll_timeout_ms() const;
  /// The running probe's output pipe (poll it for input), -1 when none runs.
  int output_fd() const { return output_.get(); }
  /// Starts a due probe; kills one that ran past the timeout.
  void tick();
  /// Reads what the probe wrote (call when output_fd() is readable).
  void read_output();
  /// A child was reaped: if it is the probe, its result is recorded. True when it was.
  bool reaped(pid_t pid, int wait_status);

 private:
  using Clock = std::chrono::steady_clock;
  void start_probe();
  void finish_probe(int exit_code, std::string output);

  const StorePaths& paths_;
  std::string id_;
  HealthSettings settings_;
  bool active_ = false;
  Clock::time_point started_;  ///< when PID 1 started (the start period counts from it)
  Clock::time_point next_probe_;
  pid_t probe_pid_ = -1;
  Clock::time_point probe_started_;
  std::string probe_start_text_;
  bool probe_timed_out_ = false;
  UniqueFd output_;
  std::string probe_output_;
};

}  // namespace tug
