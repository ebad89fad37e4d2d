// The code that runs between fork and exec in the container's PID 1 and in the processes
// `tug exec` starts. Everything it needs is prepared by the parent in an ExecPlan; the child
// only issues raw system calls (no allocation, no exceptions) and reports a failing step with
// its errno through a pipe.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "util/fd.hpp"

namespace tug {

/// Which setup step failed in the child, as reported through ExecPlan::error_fd.
enum class ChildStep : int32_t {
  kMountProc = 1,
  kPivotRoot,
  kMaskPaths,
  kReadOnlyRoot,
  kTerminal,
  kWorkdir,
  kSetUser,
  kCapabilities,
  kNoNewPrivs,
  kSeccomp,
  kExec,
  kInit,
  kCgroup,
};

/// What the child writes to error_fd when a step fails (exec success closes it silently).
struct ChildFailure {
  ChildStep step;
  int32_t err;
};

/// docker's (Go's) wording of an exec failure: `exec: "cmd": <lowercase errno text>`, with the
/// "executable file not found in $PATH" and "stat cmd: no such file or directory" forms.
std::string exec_failure_text(const std::string& command, int err);

/// strerror() as Go spells it: lowercase first letter ("permission denied").
std::string errno_text(int err);

/// Everything the child needs, all memory owned by the parent and valid across fork.
struct ExecPlan {
  int rootfs_fd = -1;  ///< O_PATH fd of the mounted rootfs
  int stdin_fd = -1;   ///< dup2'ed to 0 when >= 0
  int stdout_fd = -1;  ///< dup2'ed to 1 when >= 0 (without tty)
  int stderr_fd = -1;  ///< dup2'ed to 2 when >= 0 (without tty)
  bool tty = false;
  int tty_socket = -1;  ///< where the pty master is sent (SCM_RIGHTS) when tty
  unsigned short tty_rows = 0, tty_cols = 0;
  bool read_only_root = false;
  const char* const* masked_paths = nullptr;     ///< nullptr-terminated
  const char* const* read_only_paths = nullptr;  ///< nullptr-terminated
  const char* workdir = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  size_t group_count = 0;
  uint64_t capabilities = 0;                   ///< effective/permitted/bounding set for the process
  int last_cap = 40;                           ///< /proc/sys/kernel/cap_last_cap
  const struct sock_fprog* seccomp = nullptr;  ///< nullptr: unconfined
  bool no_new_privs = true;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* path_env = nullptr;  ///< PATH used to find argv[0] when it has no '/'
  int error_fd = -1;
  bool die_with_parent = true;  ///< SIGKILL the container if the tug holding it dies
  int parent_pidfd = -1;        ///< pidfd of that tug: it may die before PDEATHSIG is armed
  bool init = false;            ///< --init: stay as an init process and run the command as its child
  int cgroup_procs_fd = -1;     ///< the container cgroup's cgroup.procs, joined first; -1: none
};

/// Runs in the forked child (PID 1 of the new pid namespace); never returns.
[[noreturn]] void container_child_main(const ExecPlan& plan);

/// Runs in the forked child of `tug exec`, whose parent already joined every namespace of the
/// running container (root and cwd are the container's "/"): only the process's own setup
/// (stdio or terminal, workdir, user, capabilities, no_new_privs, seccomp), then exec; the
/// rootfs fields of the plan are ignored. Never returns.
[[noreturn]] void exec_child_main(const ExecPlan& plan);

/// The parent's side of the terminal handoff: the pty master the child sent through
/// ExecPlan::tty_socket, or an empty fd when it sent none.
UniqueFd receive_tty_master(int sock);

/// The parent's read of the child's error pipe: a failure, or nothing once exec closed it.
std::optional<ChildFailure> read_child_failure(int err_fd);

}  // namespace tug
