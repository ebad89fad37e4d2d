// Writing files as a tar stream (the reverse of fs/layer_unpack): container layers for commit,
// `cp` archives, and `export`. Objects are read through directory fds with O_NOFOLLOW, so a
// symlink in a container's tree is archived as a symlink, never followed out of the tree.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "fs/byte_stream.hpp"

namespace tug {

/// How entries are written.
struct PackOptions {
  /// Owner given to every entry (files copied into a container become root's, as docker's cp
  /// does); nullopt keeps the files' own numeric ids.
  std::optional<std::pair<uid_t, gid_t>> owner;
  /// Permission bits given to every entry (COPY --chmod); nullopt keeps the files' own.
  std::optional<mode_t> permissions;
  /// Modification time given to every entry (reproducible builds); nullopt keeps the files' own.
  std::optional<int64_t> mtime;
  /// Do not descend into proc, sysfs, cgroup, devpts and mqueue mounts met while walking a tree
  /// (their directory entry is still written): a running container's view has them mounted.
  bool skip_pseudo_filesystems = false;
};

/// A tar archive (pax where ustar is not enough) written into a ByteSink, entry by entry.
/// Directory entries are named with a trailing "/", as docker writes them. Extended attributes
/// are kept except overlay's own (user.overlay.*, trusted.overlay.*: they describe the layer,
/// not the file). A second name of an inode already written becomes a hardlink entry.
class TarPacker {
 public:
  explicit TarPacker(ByteSink& out, PackOptions opts = {});
  ~TarPacker();
  TarPacker(const TarPacker&) = delete;
  TarPacker& operator=(const TarPacker&) = delete;

  /// Writes the object `name` of the directory `dirfd` (not following a symlink at `name`) as
  /// `archive_name`; `name` "." is the directory itself. Returns its stat.
  struct stat add(int dirfd, const std::string& name, const std::string& archive_name);

  /// The same, followed for a directory by everything below it (names sorted bytewise) as
  /// `archive_name/child`. An empty `archive_name` writes only the contents, named from the top.
  void add_tree(int dirfd, const std::string& name, const std::string& archive_name);

  /// An OCI whiteout: `.wh.NAME` for `archive_path` = "DIR/NAME", deleted from the layers below.
  void add_whiteout(const std::string& archive_path);

  /// Changes how the entries written from now on are made (a build step writes the parent
  /// directories of its destination with their own owners, then its files as --chown says).
  void set_options(PackOptions opts);

  /// Writes the end-of-archive marker; call once, after the last entry.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tug
