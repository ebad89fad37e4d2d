// `tug cp`: files between a container and the host, as tar streams (docker's design): one side
// packs, the other extracts. The container's side runs in a child that entered the container's
// filesystem (core/container_fs_child.hpp); every container path is resolved inside its root.
#pragma once

#include <string>
#include <utility>

#include "core/store_paths.hpp"

namespace tug {

struct CopyOptions {
  bool follow_link = false;  ///< -L: copy what a symlink SRC points to, not the link
  bool archive = false;      ///< -a: keep the files' uid/gid when copying into a container
};

/// `tug cp CONTAINER:SRC DST|-`: DST "-" writes a tar stream to stdout. `container` is the name
/// as the user gave it (for messages), `id` the full ID.
void copy_from_container(const StorePaths& paths, const std::string& container, const std::string& id,
                         const std::string& src, const std::string& dst, const CopyOptions& options);

/// `tug cp SRC|- CONTAINER:DST`: SRC "-" reads a tar stream from stdin into the directory DST.
void copy_to_container(const StorePaths& paths, const std::string& container, const std::string& id,
                       const std::string& src, const std::string& dst, const CopyOptions& options);

// ---- docker's path rules (moby/go-archive copy.go), pure and tested on their own

/// One side of a copy (docker's archive.CopyInfo).
struct CopyInfo {
  std::string path;
  bool exists = false;
  bool is_dir = false;
  std::string rebase_name;  ///< the name the source's top entry takes ("" keeps its own)
};

/// Where the source's archive is extracted and the name its top entry must have.
struct CopyPlan {
  std::string extract_dir;
  std::string top_name;
};

/// docker's PrepareArchiveCopy: into an existing directory under the source's own name, else
/// into the destination's parent under the destination's name. Throws "cannot copy directory"
/// (a directory onto a file) and "no such directory" (a file onto a missing "DIR/").
CopyPlan plan_copy(const CopyInfo& src, const CopyInfo& dst);

/// Go's filepath.Clean, with docker's PreserveTrailingDotOrSeparator: "a//b/./" → "a/b/",
/// "a/b/." stays "a/b/.".
std::string clean_copy_path(const std::string& path);

/// A path inside a container, absolute and clean: "etc//x/" → "/etc/x", ".." stops at "/".
std::string clean_container_path(const std::string& path);

/// docker's SplitPathDirEntry: "/a/b" → {"/a", "b"}, "/a/b/." → {"/a/b", "."}, "/" → {"/", "."}.
std::pair<std::string, std::string> split_path_dir_entry(const std::string& path);

/// docker's splitCpArg: {container, path}; container is "" for a local path (absolute, no ':',
/// or starting with '.' such as "./file:name").
std::pair<std::string, std::string> split_cp_arg(const std::string& arg);

}  // namespace tug
