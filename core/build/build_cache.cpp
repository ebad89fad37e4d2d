// The build cache is made of three things: intermediate images (removed through the image
// store, which frees layers no image uses any more), the index from step keys to those images,
// and the directories of cache mounts. The last may hold files of any container id, so they are
// measured and deleted inside the user namespace.
#include "core/build/build_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <memory>

#include "core/image_commands.hpp"
#include "core/userns.hpp"
#include "util/fd.hpp"
#include "util/file_util.hpp"

namespace tug::build {

namespace {

// Bytes of the regular files below the directory `fd` (taken over).
int64_t tree_bytes(int fd) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), ::closedir);
  if (!dir) {
    ::close(fd);
    return 0;
  }
  int64_t total = 0;
  while (dirent* e = ::readdir(dir.get())) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      int sub = ::openat(::dirfd(dir.get()), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) total += tree_bytes(sub);
    } else if (S_ISREG(st.st_mode)) {
      total += st.st_size;
    }
  }
  return total;
}

}  // namespace

std::vector<std::string> prune_build_cache(const StorePaths& paths, int64_t& reclaimed) {
  std::vector<std::string> lines = prune_images(paths, ImagePrune::kBuildCache, reclaimed);
  remove_tree(paths.root + "/cache/build");
  std::string mounts = paths.root + "/cache/build-mounts";
  if (path_exists(mounts)) {
    if (::geteuid() != 0 && !in_tug_user_namespace()) enter_user_namespace(detect_id_mapping());
    int fd = ::open(mounts.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) reclaimed += tree_bytes(fd);
    remove_tree(mounts);
  }
  return lines;
}

}  // namespace tug::build
