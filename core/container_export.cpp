// Export: a child enters the container's root filesystem alone (kRootOnly: a running container's
// root mount cloned without its submounts, a stopped one's rootfs freshly mounted) and writes the
// tar straight into the output fd it inherited.
#include "core/container_export.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "core/container_fs_child.hpp"
#include "fs/safe_path.hpp"
#include "fs/tar_pack.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

void export_container(const StorePaths& paths, const std::string& id, int fd) {
  bool copy_mode = container_uses_copy(paths, id);
  ChildTask child([&](ChildTask::Channel&) {
    UniqueFd root = enter_container_filesystem(paths, id, ContainerView::kRootOnly);
    FdSink out(fd, "the export");
    TarPacker packer(out);
    std::vector<std::string> names = list_dir(root.get(), "/");
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      // The flattened copy's completion mark is tug's, not the container's.
      if (copy_mode && name == ".complete") continue;
      packer.add_tree(root.get(), name, name);
    }
    packer.finish();
  });
  child.wait();
}

void export_container_to_file(const StorePaths& paths, const std::string& id, const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) fail_errno("open {}", path);
    export_container(paths, id, fd.get());
    return;
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string tmp = dir + "/.tug-export-XXXXXX";
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) fail_errno("create a file in {}", dir);
  try {
    mode_t mask = ::umask(0);
    ::umask(mask);
    if (::fchmod(fd.get(), 0666 & ~mask) != 0) fail_errno("chmod {}", tmp);
    export_container(paths, id, fd.get());
    if (::fsync(fd.get()) != 0) fail_errno("fsync {}", path);
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail_errno("rename to {}", path);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace tug
