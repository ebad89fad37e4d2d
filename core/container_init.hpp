// `--init`: the minimal init tug becomes as the container's PID 1 (docker runs tini as
// /sbin/docker-init). It forwards every signal it gets to the command, reaps whatever is
// reparented to it, and exits with the command's status when the command exits.
#pragma once

#include <sys/types.h>

namespace tug {

/// Runs in PID 1 after it forked `command_pid`, with every signal blocked; never returns.
/// Raw system calls only: it runs in the container, between tug's fork and nothing.
[[noreturn]] void run_container_init(pid_t command_pid);

}  // namespace tug
