// Opening and creating paths inside a container rootfs as if it were "/": symlinks and ".."
// in image-controlled paths resolve inside the rootfs (openat2 RESOLVE_IN_ROOT), never out.
#pragma once

#include <string_view>

#include "util/fd.hpp"

namespace tug {

/// openat2(root_fd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). Returns an empty fd
/// with errno set on failure.
UniqueFd open_in_root(int root_fd, std::string_view path, int flags, int mode = 0);

/// mkdir -p of `path` inside the rootfs; returns an O_PATH|O_DIRECTORY fd of the result.
UniqueFd make_dirs_in_root(int root_fd, std::string_view path, int mode = 0755);

/// Ensures `path` exists inside the rootfs as a regular file (created empty, parents made);
/// returns an O_PATH fd of it. Used for bind-mount targets of files.
UniqueFd make_file_in_root(int root_fd, std::string_view path, int mode = 0644);

}  // namespace tug
