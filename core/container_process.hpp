// A container's process side, shared by `run` in the foreground, the detached monitor and
// `start`: entering the container's namespaces, mounting its filesystems, and spawning its
// PID 1 (again, for restarts) in a fresh PID namespace.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/background_janitor.hpp"
#include "core/cgroup.hpp"
#include "core/container_child.hpp"
#include "core/container_create.hpp"
#include "core/image_config.hpp"
#include "core/security/capabilities.hpp"
#include "core/security/seccomp_profile.hpp"
#include "core/userns.hpp"
#include "net/port_forwarder.hpp"
#include "util/fd.hpp"

namespace tug {

/// The capabilities a container's processes get (HostConfig CapAdd, CapDrop, Privileged).
CapMask container_capabilities(const Json& host_config);

/// The seccomp program for a container (docker's default profile, --security-opt seccomp=FILE,
/// or none: `unconfined` set), compiled once and cached under <root>/cache/seccomp.
SeccompProgram container_seccomp(const StorePaths& paths, const Json& host_config, const CapMask& caps,
                                 bool& unconfined);

/// How PID 1's standard streams are connected. -1: the caller's own.
struct ContainerStdio {
  int stdin_fd = -1;   ///< with -1 and no tty: /dev/null
  int stdout_fd = -1;  ///< without a tty; -1: the caller's
  int stderr_fd = -1;  ///< without a tty; -1: the caller's
  bool tty = false;    ///< a pty inside the container; its master comes back in SpawnedPid1
  unsigned short tty_rows = 0, tty_cols = 0;  ///< the pty's size before the command starts
};

struct SpawnedPid1 {
  pid_t pid = -1;
  UniqueFd tty_master;  ///< with ContainerStdio::tty
};

/// One container made ready to run in this process: after prepare(), this process lives in the
/// container's user, mount, net (the caller's in host mode), ipc, uts and cgroup namespaces with
/// the rootfs mounted.
class ContainerProcess {
 public:
  ContainerProcess(const StorePaths& paths, CreatedContainer& created, const IdMapping& mapping);
  ContainerProcess(const ContainerProcess&) = delete;
  ContainerProcess& operator=(const ContainerProcess&) = delete;
  /// Removes the container's cgroup: PID 1 is gone by then.
  ~ContainerProcess();

  /// Works out capabilities and seccomp (no namespace needed: call while the id mappers run),
  /// then enters `userns`, starts the janitor (before any PID namespace exists), unshares the
  /// other namespaces and mounts everything. `volatile_upper`: the writable layer need not
  /// survive a crash (--rm).
  void prepare(PendingUserNamespace& userns, std::optional<BackgroundJanitor>& janitor, bool volatile_upper);

  /// Forks PID 1 into a new PID namespace and waits until it has exec'd the command. Throws an
  /// Error with docker's exit code (126/127 for a command that cannot run, 125 otherwise) and
  /// the state recorded as exited when it could not. Callable again after PID 1 exited.
  SpawnedPid1 spawn(const ContainerStdio& stdio, bool die_with_parent = true);

  /// The command PID 1 runs (argv[0]), for messages.
  const std::string& command() const { return argv_[0]; }

  /// One-line warnings of prepare() (a limit that could not be applied), also written to stderr.
  const std::vector<std::string>& warnings() const { return warnings_; }

  /// How many of the container's processes the kernel OOM-killed so far; 0 without a cgroup.
  uint64_t oom_kills() const { return cgroup_ ? cgroup_->oom_kills() : 0; }

 private:
  const StorePaths& paths_;
  CreatedContainer& created_;
  const IdMapping& mapping_;
  CapMask caps_{};
  SeccompProgram seccomp_;
  bool unconfined_ = false;
  struct sock_fprog seccomp_prog_ {};
  UniqueFd rootfs_;
  ResolvedUser user_;
  std::vector<std::string> argv_, env_;
  std::vector<char*> argv_ptrs_, env_ptrs_;
  std::string workdir_, path_env_;
  std::vector<PortListener> published_;  ///< bound in the host's network namespace
  pid_t port_forwarder_ = -1;
  std::optional<ContainerCgroup> cgroup_;  ///< with --memory, where a cgroup can be made
  std::vector<std::string> warnings_;
};

}  // namespace tug
