// Whole-file reads, atomic writes and tree removal. Removal works on fds (openat/unlinkat)
// so a symlink inside the tree is removed, never followed.
#include "util/file_util.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <random>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

std::optional<std::string> read_file_if_exists(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    fail_errno("open {}", path);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("read {}", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const std::string& path) {
  auto content = read_file_if_exists(path);
  if (!content) {
    errno = ENOENT;
    fail_errno("open {}", path);
  }
  return *content;
}

static std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

void write_file_atomic(const std::string& path, std::string_view data, int mode, bool durable) {
  std::string tmp = path + ".tmp-" + random_suffix();
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) fail_errno("create {}", tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::unlink(tmp.c_str());
      errno = saved;
      fail_errno("write {}", path);
    }
    done += static_cast<size_t>(n);
  }
  if (durable && ::fsync(fd.get()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail_errno("fsync {}", path);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail_errno("rename {}", path);
  }
}

void make_dirs(const std::string& path, int mode) {
  if (path.empty()) return;
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return;
  if (errno != ENOENT) fail_errno("mkdir {}", path);
  auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) make_dirs(path.substr(0, slash), mode);
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) fail_errno("mkdir {}", path);
}

// Empties the directory open at `dirfd`; the caller owns and closes it.
static void remove_children(int dirfd, const std::string& shown) {
  int dup_fd = ::dup(dirfd);
  if (dup_fd < 0) fail_errno("dup {}", shown);
  DIR* dir = ::fdopendir(dup_fd);
  if (!dir) {
    ::close(dup_fd);
    fail_errno("opendir {}", shown);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
  while (dirent* ent = ::readdir(dir)) {
    std::string_view name = ent->d_name;
    if (name == "." || name == "..") continue;
    // ENOENT: another remover (a background --rm deleter, a garbage collection) got there first.
    if (::unlinkat(dirfd, ent->d_name, 0) == 0 || errno == ENOENT) continue;
    if (errno != EISDIR && errno != EPERM) fail_errno("remove {}/{}", shown, name);
    UniqueFd child(::openat(dirfd, ent->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child && errno == EACCES) {
      // A directory of ours without permissions (overlayfs leaves work/work at 0000).
      ::fchmodat(dirfd, ent->d_name, 0700, 0);
      child.reset(::openat(dirfd, ent->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!child && errno == ENOENT) continue;
    if (!child) fail_errno("open {}/{}", shown, name);
    ::fchmod(child.get(), 0700);
    remove_children(child.get(), fmt::format("{}/{}", shown, name));
    if (::unlinkat(dirfd, ent->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT)
      fail_errno("remove {}/{}", shown, name);
  }
}

void remove_tree(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) fail_errno("remove {}", path);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return;
    fail_errno("open {}", path);
  }
  ::fchmod(fd.get(), 0700);
  remove_children(fd.get(), path);
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) fail_errno("remove {}", path);
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string find_system_program(const char* name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"}) {
    std::string path = std::string(dir) + "/" + name;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) return path;
  }
  return {};
}

std::string join_path(std::string_view a, std::string_view b) {
  std::string out(a);
  while (!out.empty() && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  out += '/';
  out += b;
  return out;
}

}  // namespace tug
