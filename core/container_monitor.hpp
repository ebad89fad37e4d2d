// The per-container monitor of a detached container: the tug process (forked and detached with
// setsid, no daemon, no socket) that holds the container's lock and namespaces, pipes PID 1's
// output into docker's json-file log, records every exit, and applies the restart policy.
#pragma once

#include <string>

#include "core/container_create.hpp"
#include "core/userns.hpp"

namespace tug {

/// Runs in the monitor process with `created` locked: prepares the container, spawns PID 1,
/// reports "ready" on `ready_fd` (then pointed at /dev/null; a failure to start is thrown),
/// then supervises until the
/// container is over for good (restarts included); removes it with AutoRemove. Returns the
/// last exit code.
int monitor_container(const StorePaths& paths, CreatedContainer& created, const IdMapping& mapping,
                      PendingUserNamespace& userns, int ready_fd);

/// The mark `stop` and `kill` leave so that the restart policy does not bring the container back.
std::string stopped_by_user_mark(const std::string& container_dir);

}  // namespace tug
