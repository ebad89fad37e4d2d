// The container's root filesystem: kernel overlayfs of the image layers plus a per-container
// upper dir, mounted inside the container's user and mount namespaces; fuse-overlayfs or a
// flattened copy when the kernel refuses.
#pragma once

#include <string>
#include <vector>

namespace tug {

enum class OverlayMode { kNative, kFuse, kCopy };
const char* overlay_mode_name(OverlayMode mode);

/// Where a container's filesystem pieces live on the host.
struct RootfsLayout {
  std::vector<std::string> lower_dirs;  ///< image layers, bottom to top
  std::string upper;                    ///< container's writable layer
  std::string work;                     ///< overlay work dir (same filesystem as upper)
  std::string merged;                   ///< mount point
  std::string copy_dir;                 ///< flattened rootfs for OverlayMode::kCopy
  bool volatile_upper = false;          ///< the upper dir is thrown away afterwards (--rm)
};

/// The mode asked for with TUG_OVERLAY (native|fuse|copy), or native by default.
OverlayMode preferred_overlay_mode();

/// Mounts the rootfs at layout.merged; the caller is root in a user namespace with a private
/// mount namespace. Falls back native → fuse → copy, and says why in `note` when it does.
/// Returns the mode used.
OverlayMode mount_rootfs(const RootfsLayout& layout, OverlayMode preferred, std::string& note);

/// Checks, in a throwaway child with its own user and mount namespaces, whether a native
/// overlay mount works here; `why` explains a refusal. Used by `tug info`.
bool probe_native_overlay(const std::string& scratch_dir, std::string& why);

}  // namespace tug
