// The size of a container's writable layer as docker counts it (moby's directory.Size): every
// file once, hard links once, directories and empty files nothing. Directories a container made
// private to one of its ids are measured from a child in the user's user namespace. A container
// that runs from a flattened copy (copy mode) has no layer of its own: its added and changed
// files, found by the change walk, make its size.
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

#include "core/container_changes.hpp"
#include "core/container_fs_child.hpp"
#include "core/container_store.hpp"
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

/// The bytes of the files a copy-mode container added or changed. Needs every file readable.
int64_t changed_files_size(const StorePaths& paths, const std::string& id) {
  ContainerFiles files = container_files(paths, id);
  std::unordered_set<ino_t> seen;
  int64_t total = 0;
  for (const auto& change : compute_changes(files)) {
    if (change.kind == ChangeKind::kDelete) continue;
    struct stat st {};
    std::string path = files.own_dir + change.path;
    if (::lstat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode) || st.st_size == 0) continue;
    if (st.st_nlink > 1 && !seen.insert(st.st_ino).second) continue;
    total += st.st_size;
  }
  return total;
}

/// Measures one container; false when some of its files could not be looked at.
bool measure(const StorePaths& paths, const std::string& id, bool copy_mode, int64_t& size) {
  size = 0;
  if (copy_mode) {
    try {
      size = changed_files_size(paths, id);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }
  int fd = ::open((ContainerStore(paths).dir(id) + "/upper").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  std::unordered_set<ino_t> seen;
  return add_tree_size(fd, seen, size);
}

/// measure() for each of `dirs` from a forked child inside a user namespace with the user's id
/// mapping, where files of every container id can be looked at. The calling process stays
/// outside; it must be single-threaded. Returns nullopt when the child failed.
std::optional<std::vector<int64_t>> measure_in_user_namespace(const StorePaths& paths,
                                                              const std::vector<std::string>& ids,
                                                              const std::vector<bool>& copy_mode) {
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
      std::vector<int64_t> sizes(ids.size());
      for (size_t i = 0; i < ids.size(); ++i) measure(paths, ids[i], copy_mode[i], sizes[i]);
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
  std::vector<int64_t> sizes(ids.size());
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

std::vector<int64_t> writable_layer_sizes(const StorePaths& paths, const std::vector<std::string>& ids) {
  std::vector<int64_t> sizes(ids.size(), 0);
  std::vector<std::string> unreadable;
  std::vector<bool> unreadable_copy_mode;
  std::vector<size_t> unreadable_index;
  bool privileged = ::geteuid() == 0 || in_tug_user_namespace();
  for (size_t i = 0; i < ids.size(); ++i) {
    bool copy_mode = container_uses_copy(paths, ids[i]);
    // A copy holds the image's files under container ids: the walk of it needs their rights.
    if ((!copy_mode || privileged) && measure(paths, ids[i], copy_mode, sizes[i])) continue;
    unreadable.push_back(ids[i]);
    unreadable_copy_mode.push_back(copy_mode);
    unreadable_index.push_back(i);
  }
  // Directories a container made private (mode 0700 as one of its ids) need that id's rights:
  // only then is the cost of a user namespace (two setuid helper execs) paid.
  if (unreadable.empty() || privileged) return sizes;
  if (auto inside = measure_in_user_namespace(paths, unreadable, unreadable_copy_mode))
    for (size_t k = 0; k < unreadable.size(); ++k) sizes[unreadable_index[k]] = (*inside)[k];
  return sizes;
}

}  // namespace tug
