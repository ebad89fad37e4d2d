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

// Whether `pid` lives in our own user namespace (root's single mapping, or a nested call):
// setns would fail with EINVAL there.
bool shares_our_user_namespace(pid_t pid, int ns_fd) {
  struct stat theirs {
  }, ours{};
  if (::fstat(ns_fd, &theirs) != 0 || ::stat("/proc/self/ns/user", &ours) != 0)
    fail_errno("stat user namespace of {}", pid);
  return theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

UniqueFd open_user_namespace(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/user";
  UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) fail_errno("open {}", path);
  return ns;
}

}  // namespace

void join_user_namespace_of(pid_t pid) {
  UniqueFd target = open_user_namespace(pid);
  if (shares_our_user_namespace(pid, target.get())) return;
  if (::setns(target.get(), CLONE_NEWUSER) != 0) fail_errno("join the user namespace of process {}", pid);
}

void join_container_namespaces(pid_t pid, int pidfd) {
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
  // The user namespace comes first (the kernel orders it so): its capabilities are what
  // allow joining the others, which it owns.
  if (!shares_our_user_namespace(pid, open_user_namespace(pid).get())) flags |= CLONE_NEWUSER;
  if (::setns(pidfd, flags) != 0) fail_errno("join the namespaces of process {}", pid);
}

}  // namespace tug
