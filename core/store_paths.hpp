// Where tug keeps its state: per-user data and runtime directories, overridable by flags and
// TUG_ROOT. Everything under them is guarded by file locks; there is no daemon.
#pragma once

#include <string>

namespace tug {

/// The two roots of all state.
struct StorePaths {
  std::string root;     ///< images, layers, containers, volumes (persistent)
  std::string runroot;  ///< runtime state (may vanish on reboot)
  bool rootless = true;

  std::string blobs() const { return root + "/blobs/sha256"; }
  std::string layers() const { return root + "/layers"; }
  std::string images() const { return root + "/images"; }
  std::string containers() const { return root + "/containers"; }
  std::string names() const { return root + "/names"; }
  std::string volumes() const { return root + "/volumes"; }
  std::string tmp() const { return root + "/tmp"; }
  std::string tags_file() const { return root + "/tags.json"; }
  std::string store_lock() const { return root + "/store.lock"; }
  std::string tags_lock() const { return root + "/tags.lock"; }
};

/// Resolves the roots: explicit flags first, then TUG_ROOT, then XDG defaults (or /var/lib/tug
/// and /run/tug for root). Creates the directories (mode 0700 for rootless users).
StorePaths resolve_store_paths(const std::string& root_flag, const std::string& runroot_flag);

}  // namespace tug
