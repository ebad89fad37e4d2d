// Thin checked wrappers over the kernel's fd-based mount API (fsopen, fsmount, move_mount,
// open_tree, mount_setattr). Working on fds lets every target be resolved inside the rootfs
// first and attached afterwards, so no path string from an image is ever handed to mount(2).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "util/fd.hpp"

namespace tug {

/// Creates a new, detached filesystem instance. `options` are fsconfig string/flag
/// parameters (an empty value means a flag). Returns the mount fd.
UniqueFd make_mount(const char* fstype, const std::vector<std::pair<std::string, std::string>>& options,
                    unsigned attrs, const std::string& shown);

/// Detached copy of the tree at `path` (recursive), optionally read-only.
UniqueFd clone_tree(const std::string& path, bool recursive, bool read_only);

/// Attaches a detached mount `mount_fd` on the object `target_fd` (an O_PATH fd).
void attach_mount(int mount_fd, int target_fd, const std::string& shown);

/// Makes the mount at `fd` read-only (recursively when asked).
void set_read_only(int fd, bool recursive, const std::string& shown);

}  // namespace tug
