// What a container changed in its filesystem compared with its image (`tug diff`, and the layer
// `tug commit` writes): its own files (the overlay upper dir, or the flattened copy) walked
// against the image's layers as an overlay would merge them.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/store_paths.hpp"

namespace tug {

/// docker's change kinds (the numbers its API uses).
enum class ChangeKind { kModify = 0, kAdd = 1, kDelete = 2 };

/// One changed path, absolute inside the container ("/etc/passwd").
struct Change {
  std::string path;
  ChangeKind kind;
  bool operator==(const Change&) const = default;
};

/// "C", "A" or "D", as `docker diff` prints them.
const char* change_letter(ChangeKind kind);

/// Where a container's own files are and what they are compared with.
struct ContainerFiles {
  std::string own_dir;                  ///< upper/ (overlay), or rootfs/ (a flattened copy)
  bool copy_mode = false;               ///< own_dir is the whole tree, not the changes alone
  std::vector<std::string> lower_dirs;  ///< the image's layer dirs, bottom to top
  /// Paths tug creates as mount targets when the image lacks them (/etc/hosts, /proc, volume
  /// and tmpfs destinations). As long as they are empty and absent from the image they are not
  /// changes: docker keeps them in an init layer below the container's own.
  std::set<std::string> mount_targets;
};

/// The container's files as its config and the store describe them.
ContainerFiles container_files(const StorePaths& paths, const std::string& id);

/// The changes, in docker's order: depth first, names sorted bytewise, a directory before what
/// is below it. A path in the container's files is A when the image does not have it, else C
/// (in copy mode only when its type, mode, owner, size or mtime differ); a deleted path is D, its
/// contents are not listed. A directory the image has is C when anything below it changed. The
/// caller must be able to read every file (inside the user namespace).
std::vector<Change> compute_changes(const ContainerFiles& files);

/// `tug diff`: the changes of a container, read in a child inside the user namespace.
std::vector<Change> container_changes(const StorePaths& paths, const std::string& id);

}  // namespace tug
