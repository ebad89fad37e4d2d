// setns(2) into a container's user namespace.
#include "core/namespace_join.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <string>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

void join_user_namespace_of(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/user";
  UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) fail_errno("open {}", path);
  struct stat theirs {}, ours {};
  if (::fstat(target.get(), &theirs) != 0 || ::stat("/proc/self/ns/user", &ours) != 0)
    fail_errno("stat user namespace of {}", pid);
  // Already there (root's single mapping, or a nested call): setns would fail with EINVAL.
  if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) return;
  if (::setns(target.get(), CLONE_NEWUSER) != 0) fail_errno("join the user namespace of process {}", pid);
}

}  // namespace tug
