// RESOLVE_IN_ROOT helpers. Creation walks one component at a time from the rootfs fd so a
// symlink planted in the image can only ever redirect us to another place inside the rootfs.
#include "fs/in_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "util/error.hpp"

namespace tug {

UniqueFd open_in_root(int root_fd, std::string_view path, int flags, int mode) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string p = path.empty() ? std::string(".") : std::string(path);
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? static_cast<uint64_t>(mode) : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = ::syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno != EINTR && errno != EAGAIN) return UniqueFd();
  }
}

// Splits "a/b/c" into the parent "a/b" and the name "c" (parent "." when there is none).
static std::pair<std::string, std::string> split_parent(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return {".", std::string(path)};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}

UniqueFd make_dirs_in_root(int root_fd, std::string_view path, int mode) {
  UniqueFd fd = open_in_root(root_fd, path, O_PATH | O_DIRECTORY);
  if (fd) return fd;
  if (errno != ENOENT) fail_errno("open {} in container rootfs", path);
  auto [parent, name] = split_parent(path);
  if (name.empty() || name == "." || name == "..") fail("cannot create {} in container rootfs", path);
  UniqueFd parent_fd = make_dirs_in_root(root_fd, parent, mode);
  // mkdirat needs a real (non-O_PATH) directory fd for the parent.
  UniqueFd dir(::openat(parent_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) fail_errno("open {} in container rootfs", parent);
  if (::mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST)
    fail_errno("mkdir {} in container rootfs", path);
  fd = open_in_root(root_fd, path, O_PATH | O_DIRECTORY);
  if (!fd) fail_errno("open {} in container rootfs", path);
  return fd;
}

UniqueFd make_file_in_root(int root_fd, std::string_view path, int mode) {
  UniqueFd fd = open_in_root(root_fd, path, O_PATH);
  if (fd) return fd;
  if (errno != ENOENT) fail_errno("open {} in container rootfs", path);
  auto [parent, name] = split_parent(path);
  UniqueFd parent_fd = make_dirs_in_root(root_fd, parent);
  UniqueFd dir(::openat(parent_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) fail_errno("open {} in container rootfs", parent);
  UniqueFd created(::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!created && errno != EEXIST) fail_errno("create {} in container rootfs", path);
  fd = open_in_root(root_fd, path, O_PATH);
  if (!fd) fail_errno("open {} in container rootfs", path);
  return fd;
}

}  // namespace tug
