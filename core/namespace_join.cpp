// setns(2) into a running container: its user namespace alone (to signal or ptrace its
// processes), or every namespace of its PID 1 (exec).
#include "core/namespace_join.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <string>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

namespace {

UniqueFd open_namespace(pid_t pid, const char* type) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + type;
  UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) fail_errno("open {}", path);
  return ns;
}

// Whether `pid`'s namespace of `type` ("user", "net") is ours. Joining our own user namespace
// fails with EINVAL (root's single mapping, a nested call); joining the host's network namespace
// (a --network host container) from inside a user namespace fails with EPERM: it belongs to the
// host's user namespace. Either is already where we are.
bool is_our_namespace(int ns_fd, pid_t pid, const char* type) {
  struct stat theirs {
  }, ours{};
  std::string own = std::string("/proc/self/ns/") + type;
  if (::fstat(ns_fd, &theirs) != 0 || ::stat(own.c_str(), &ours) != 0)
    fail_errno("stat {} namespace of {}", type, pid);
  return theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

bool shares_our_namespace(pid_t pid, const char* type) {
  return is_our_namespace(open_namespace(pid, type).get(), pid, type);
}

}  // namespace

void join_user_namespace_of(pid_t pid) {
  UniqueFd target = open_namespace(pid, "user");
  if (is_our_namespace(target.get(), pid, "user")) return;
  if (::setns(target.get(), CLONE_NEWUSER) != 0) fail_errno("join the user namespace of process {}", pid);
}

void join_container_namespaces(pid_t pid, int pidfd) {
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
  // The user namespace comes first (the kernel orders it so): its capabilities are what
  // allow joining the others, which it owns.
  if (!shares_our_namespace(pid, "user")) flags |= CLONE_NEWUSER;
  if (!shares_our_namespace(pid, "net")) flags |= CLONE_NEWNET;
  if (::setns(pidfd, flags) != 0) fail_errno("join the namespaces of process {}", pid);
}

}  // namespace tug
