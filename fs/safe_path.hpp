// Paths named by untrusted archives, resolved strictly beneath a directory fd: openat2(2) with
// RESOLVE_BENEATH refuses every step (a "..", an absolute or escaping symlink) that would leave it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "util/fd.hpp"

namespace tug {

/// Normalises a tar entry name into a path relative to the archive root: leading "/" and "./"
/// are dropped (docker treats "/etc/passwd" as "etc/passwd"), "//" and "." components collapse,
/// a trailing "/" goes; "" means the root itself. A ".." component throws Error
/// `tar entry "../x": path escapes the layer`.
std::string clean_entry_path(std::string_view name);

/// openat2(dirfd, path, flags | O_CLOEXEC, mode) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
/// retried on EINTR/EAGAIN. Returns an empty fd with errno set on failure: EXDEV means the path
/// would leave `dirfd`, ELOOP a magic link (or a final symlink with O_NOFOLLOW).
UniqueFd open_beneath(int dirfd, const std::string& path, int flags, mode_t mode = 0);

/// The directory holding a path (an O_PATH fd, enough for the *at calls) and the path's name
/// in it. Operations on `name` through `fd` never follow a symlink at `name`.
struct ParentDir {
  UniqueFd fd;
  std::string name;
};

/// Opens the parent directory of `rel`, a clean non-empty path from clean_entry_path(), beneath
/// `root_fd`; with `create`, missing directories are made (exactly `dir_mode`). Intermediate symlinks
/// are followed only while they stay beneath the root. Throws Error: "path escapes <label>
/// through a symlink" when one does not, "open <dir>: <why>" / "mkdir <dir>: <why>" otherwise
/// (callers prefix the path they were resolving).
ParentDir open_parent_beneath(int root_fd, std::string_view rel, bool create, mode_t dir_mode = 0755,
                              std::string_view label = "the layer");

/// mkdir -p of `rel` (clean; "" is the root) beneath `root_fd`; returns an O_PATH fd of it.
/// Directories it makes get exactly `mode` (the umask does not apply).
/// Errors as for open_parent_beneath().
UniqueFd make_dirs_beneath(int root_fd, std::string_view rel, mode_t mode = 0755,
                           std::string_view label = "the layer");

/// rm -rf of `name` inside the directory `dirfd`, never following symlinks; a missing entry is
/// fine. `shown` names it in errors.
void remove_at(int dirfd, const std::string& name, std::string_view shown);

/// The names in the directory open at `dirfd`, without "." and "..".
std::vector<std::string> list_dir(int dirfd, std::string_view shown);

/// Removes everything inside the directory open (not O_PATH) at `dirfd`.
void remove_children(int dirfd, std::string_view shown);

}  // namespace tug
