// Small file helpers shared by every layer: whole-file reads, atomic writes, mkdir -p, rm -rf.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tug {

/// Reads a whole file; throws Error naming the path on failure.
std::string read_file(const std::string& path);
/// Reads a whole file, or nullopt when it does not exist (other errors throw).
std::optional<std::string> read_file_if_exists(const std::string& path);

/// Writes `data` to `path` atomically: temp file in the same directory, fsync, rename.
/// Readers see the old or the new content, never half of it. `durable` false skips the
/// fsync for state that dies with the process anyway.
void write_file_atomic(const std::string& path, std::string_view data, int mode = 0644, bool durable = true);

/// mkdir -p; existing directories are fine.
void make_dirs(const std::string& path, int mode = 0755);

/// rm -rf without following symlinks; a missing path is fine.
void remove_tree(const std::string& path);

/// True when the path exists (lstat).
bool path_exists(const std::string& path);

/// The path of an executable regular file `name` in the system directories (/usr/bin, /bin,
/// /usr/sbin, /sbin, /usr/local/bin), or "" when there is none. PATH is not consulted: the
/// helpers tug runs (newuidmap, fuse-overlayfs) must not be replaceable by the caller's PATH.
std::string find_system_program(const char* name);

/// Joins two path pieces with exactly one '/'.
std::string join_path(std::string_view a, std::string_view b);

}  // namespace tug
