// Starting containers that outlive the command: `run -d` and `start`. The command forks a
// monitor (core/container_monitor.hpp), waits until the container runs or failed to, and
// returns; no tug process stays behind except the monitor, which exits with its container.
#pragma once

#include <string>

#include "core/container_run.hpp"

namespace tug {

/// `run -d`: the image found or pulled (progress on stderr), the container created and started
/// by its monitor; returns its ID once PID 1 runs. A failure is thrown with docker's exit code.
std::string run_detached(const StorePaths& paths, const RunOptions& options);

/// `start`: starts a created or exited container under a new monitor and returns once it runs;
/// a container already running is left alone. Throws for an unknown container.
void start_container(const StorePaths& paths, const std::string& id);

}  // namespace tug
