// fd-based mount API wrappers; glibc 2.36 declares them in <sys/mount.h>.
#include "fs/mount_api.hpp"

#include <fcntl.h>
#include <sys/mount.h>

#include "util/error.hpp"

namespace tug {

UniqueFd make_mount(const char* fstype, const std::vector<std::pair<std::string, std::string>>& options,
                    unsigned attrs, const std::string& shown) {
  UniqueFd fs(::fsopen(fstype, FSOPEN_CLOEXEC));
  if (!fs) fail_errno("mount {}: fsopen {}", shown, fstype);
  // The source shows in /proc/mounts ("proc /proc proc ..."), as with mount(8).
  ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "source", fstype, 0);
  for (const auto& [key, value] : options) {
    int rc = value.empty() ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                           : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0);
    if (rc != 0) fail_errno("mount {}: option {}{}{}", shown, key, value.empty() ? "" : "=", value);
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) fail_errno("mount {}", shown);
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, attrs));
  if (!mnt) fail_errno("mount {}: fsmount", shown);
  return mnt;
}

UniqueFd clone_tree(const std::string& path, bool recursive, bool read_only) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  UniqueFd tree(::open_tree(AT_FDCWD, path.c_str(), flags));
  if (!tree) fail_errno("bind mount {}", path);
  if (read_only) set_read_only(tree.get(), recursive, path);
  return tree;
}

void attach_mount(int mount_fd, int target_fd, const std::string& shown) {
  if (::move_mount(mount_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    fail_errno("mount on {}", shown);
}

void set_read_only(int fd, bool recursive, const std::string& shown) {
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) != 0)
    fail_errno("make {} read-only", shown);
}

}  // namespace tug
