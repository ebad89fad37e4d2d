// The size of a container's writable layer as docker counts it (moby's directory.Size): every
// file once, hard links once, directories and empty files nothing. Directories a container made
// private to one of its ids are measured from a child in the user's user namespace.
#include "core/container_size.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <unordered_set>

#include "core/userns.hpp"
#include "util/fd.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

/// Adds the sizes of everything below the directory `fd` (taken over) to `total`. Returns false
/// when some entry could not be looked at (a directory of another id, without permission).
bool add_tree_size(int fd, std::unordered_set<ino_t>& seen, int64_t& total) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), ::closedir);
  if (!dir) {
    ::close(fd);
    return false;
  }
  bool complete = true;
  while (dirent* e = ::readdir(dir.get())) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) complete = false;
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      int sub = ::openat(::dirfd(dir.get()), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        if (errno != ENOENT) complete = false;
        continue;
      }
      complete = add_tree_size(sub, seen, total) && complete;
      continue;
    }
    // moby's directory.Size: directories and empty files count nothing, a hard link once.
    if (st.st_size == 0) continue;
    if (st.st_nlink > 1 && !seen.insert(st.st_ino).second) continue;
    total += st.st_size;
  }
  return complete;
}

/// The writable layer of a container: upper/ with overlay, rootfs/ in copy mode.
std::string writable_dir(const std::string& container_dir) {
  std::string upper = container_dir + "/upper";
  return path_exists(upper) ? upper : container_dir + "/rootfs";
}

bool measure(const std::string& container_dir, int64_t& size) {
  size = 0;
  int fd = ::open(writable_dir(container_dir).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  std::unordered_set<ino_t> seen;
  return add_tree_size(fd, seen, size);
}

/// measure() for each of `dirs` from a forked child inside a user namespace with the user's id
/// mapping, where files of every container id can be looked at. The calling process stays
/// outside; it must be single-threaded. Returns nullopt when the child failed.
std::optional<std::vector<int64_t>> measure_in_user_namespace(const std::vector<std::string>& dirs) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::fflush(stdout);
  pid_t child = ::fork();
  if (child < 0) return std::nullopt;
  if (child == 0) {
    read_end.reset();
    int code = 0;
    try {
      enter_user_namespace(detect_id_mapping());
      std::vector<int64_t> sizes(dirs.size());
      for (size_t i = 0; i < dirs.size(); ++i) measure(dirs[i], sizes[i]);
      const char* p = reinterpret_cast<const char*>(sizes.data());
      size_t left = sizes.size() * sizeof(int64_t);
      while (left > 0) {
        ssize_t n = ::write(write_end.get(), p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        p += n;
        left -= static_cast<size_t>(n);
      }
    } catch (const std::exception&) {
      code = 1;
    }
    ::_exit(code);
  }
  write_end.reset();
  std::vector<int64_t> sizes(dirs.size());
  char* p = reinterpret_cast<char*>(sizes.data());
  size_t want = sizes.size() * sizeof(int64_t), got = 0;
  while (got < want) {
    ssize_t n = ::read(read_end.get(), p + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (got != want || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return sizes;
}

}  // namespace

std::vector<int64_t> writable_layer_sizes(const std::vector<std::string>& dirs) {
  std::vector<int64_t> sizes(dirs.size(), 0);
  std::vector<std::string> unreadable;
  std::vector<size_t> unreadable_index;
  for (size_t i = 0; i < dirs.size(); ++i) {
    if (measure(dirs[i], sizes[i])) continue;
    unreadable.push_back(dirs[i]);
    unreadable_index.push_back(i);
  }
  // Directories a container made private (mode 0700 as one of its ids) need that id's rights:
  // only then is the cost of a user namespace (two setuid helper execs) paid.
  if (unreadable.empty() || ::geteuid() == 0 || in_tug_user_namespace()) return sizes;
  if (auto inside = measure_in_user_namespace(unreadable))
    for (size_t k = 0; k < unreadable.size(); ++k) sizes[unreadable_index[k]] = (*inside)[k];
  return sizes;
}

}  // namespace tug
