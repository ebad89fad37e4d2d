// Acting on running containers from another tug process: stop, kill, wait, pause, unpause.
// No daemon to ask: the container's processes are reached through its user namespace, and its
// end is seen through its lock (held by the monitor or the foreground `tug run`).
#pragma once

#include <optional>
#include <string>

#include "core/store_paths.hpp"

namespace tug {

/// `stop`: the container's stop signal (Config.StopSignal, else SIGTERM; `signal` overrides),
/// then SIGKILL after `timeout` seconds (-t; else Config.StopTimeout; else 10; -1 waits
/// forever). Marks it stopped by the user, so no restart policy brings it back. A container that
/// is not running is left as it is.
void stop_container(const StorePaths& paths, const std::string& id, std::optional<int> timeout,
                    std::optional<int> signal = std::nullopt);

/// `kill -s`: sends `signal` to PID 1 (marked stopped by the user, as docker does). Throws when
/// the container is not running.
void kill_container(const StorePaths& paths, const std::string& id, int signal);

/// `wait`: blocks until the container is not running (or restarting after an exit); returns the
/// exit code.
int wait_container(const StorePaths& paths, const std::string& id);

/// `pause` / `unpause`: without a cgroup freezer (no delegation needed), every process of the
/// container's PID namespace is stopped with SIGSTOP, then continued with SIGCONT.
void pause_container(const StorePaths& paths, const std::string& id);
void unpause_container(const StorePaths& paths, const std::string& id);

}  // namespace tug
