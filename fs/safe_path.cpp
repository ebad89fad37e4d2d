// RESOLVE_BENEATH helpers for writing archive entries. Resolution always starts at the root fd
// and the kernel checks every step, so a symlink planted by an earlier entry can redirect us only
// to another place inside the root; the last component is never resolved, only operated on.
#include "fs/safe_path.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "util/error.hpp"

namespace tug {

namespace {

[[noreturn]] void fail_resolve(std::string_view op, std::string_view path, std::string_view label) {
  if (errno == EXDEV) fail("path escapes {} through a symlink", label);
  if (errno == ENOSYS) fail("{} {}: openat2 is not available (Linux 5.6 or later is needed)", op, path);
  fail_errno("{} {}", op, path.empty() ? "." : path);
}

UniqueFd open_dir_path(int root_fd, const std::string& path) {
  return open_beneath(root_fd, path.empty() ? "." : path, O_PATH | O_DIRECTORY);
}

}  // namespace

std::string clean_entry_path(std::string_view name) {
  std::string out;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") fail("tar entry \"{}\": path escapes the layer", name);
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

UniqueFd open_beneath(int dirfd, const std::string& path, int flags, mode_t mode) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    // EAGAIN: the kernel saw a concurrent rename and could not prove the lookup safe; retry.
    if (errno != EINTR && errno != EAGAIN) return UniqueFd();
  }
}

UniqueFd make_dirs_beneath(int root_fd, std::string_view rel, mode_t mode, std::string_view label) {
  std::string path(rel);
  UniqueFd fd = open_dir_path(root_fd, path);
  if (fd) return fd;
  if (errno != ENOENT) fail_resolve("open", path, label);

  // Slow path: find the deepest existing prefix, resolving each from the root so that symlinks
  // are judged against the root, not against an intermediate directory.
  UniqueFd cur = open_dir_path(root_fd, "");
  if (!cur) fail_resolve("open", "", label);
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    std::string prefix = path.substr(0, slash);
    std::string name = path.substr(pos, slash - pos);
    pos = slash + 1;
    UniqueFd next = open_dir_path(root_fd, prefix);
    if (!next && errno == ENOENT) {
      // mkdirat on the parent fd with a plain name: nothing is followed.
      if (::mkdirat(cur.get(), name.c_str(), mode) == 0) {
        // Exactly `mode`, whatever the umask: these directories end up in images.
        ::fchmodat(cur.get(), name.c_str(), mode, 0);
      } else if (errno != EEXIST) {
        fail_errno("mkdir {}", prefix);
      }
      next = open_dir_path(root_fd, prefix);
    }
    if (!next) fail_resolve("open", prefix, label);
    cur = std::move(next);
  }
  return cur;
}

ParentDir open_parent_beneath(int root_fd, std::string_view rel, bool create, mode_t dir_mode,
                              std::string_view label) {
  if (rel.empty()) fail("the root directory has no parent");
  size_t slash = rel.rfind('/');
  std::string parent = slash == std::string_view::npos ? "" : std::string(rel.substr(0, slash));
  ParentDir out;
  out.name = std::string(slash == std::string_view::npos ? rel : rel.substr(slash + 1));
  if (create) {
    out.fd = make_dirs_beneath(root_fd, parent, dir_mode, label);
  } else {
    out.fd = open_dir_path(root_fd, parent);
    if (!out.fd) fail_resolve("open", parent, label);
  }
  return out;
}

std::vector<std::string> list_dir(int dirfd, std::string_view shown) {
  int dup_fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) fail_errno("open {}", shown);
  DIR* dir = ::fdopendir(dup_fd);
  if (!dir) {
    ::close(dup_fd);
    fail_errno("opendir {}", shown);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* ent = ::readdir(dir)) {
    std::string_view name = ent->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  if (errno != 0) fail_errno("read directory {}", shown);
  return names;
}

void remove_children(int dirfd, std::string_view shown) {
  // Names first, then removal: deleting while readdir() walks the same directory is unspecified.
  for (const auto& name : list_dir(dirfd, shown)) remove_at(dirfd, name, shown);
}

void remove_at(int dirfd, const std::string& name, std::string_view shown) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) fail_errno("remove {}/{}", shown, name);
  UniqueFd child(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!child) {
    // Not a directory after all (EPERM from unlink was real), or a 0000 directory of ours.
    if (errno == ENOTDIR || errno == ELOOP) {
      errno = EPERM;
      fail_errno("remove {}/{}", shown, name);
    }
    if (::fchmodat(dirfd, name.c_str(), 0700, 0) != 0) fail_errno("open {}/{}", shown, name);
    child.reset(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child) fail_errno("open {}/{}", shown, name);
  }
  // Our own read-only directories (an image's 0555 dir) must become writable to be emptied.
  struct stat st;
  if (::fstat(child.get(), &st) == 0 && (st.st_mode & 0700) != 0700) ::fchmod(child.get(), 0700);
  std::string child_shown = fmt::format("{}/{}", shown, name);
  remove_children(child.get(), child_shown);
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    fail_errno("remove {}", child_shown);
  }
}

}  // namespace tug
