// The copy fallback for when overlayfs cannot be mounted: merges layer directories (stored in
// overlay representation by layer_unpack) into one plain directory tree, applying whiteouts.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

namespace tug {

/// Overlay representation of OCI whiteouts, as the kernel reads it with the `userxattr` mount
/// option: a deleted NAME is a 0/0 character device NAME; a directory hiding all lower content
/// carries this xattr with the value "y".
inline constexpr const char* kOpaqueXattr = "user.overlay.opaque";

/// True for a whiteout: a character device with device number 0/0.
bool is_whiteout(const struct stat& st);

/// True when the directory open (not O_PATH) at `dirfd` carries kOpaqueXattr = "y".
bool is_opaque_dir(int dirfd);

/// Copies each layer's tree into `dest_dir` (created if missing; normally empty) in order, as
/// an overlay mount of the same layers would show them: a whiteout removes the path from what is
/// already in `dest_dir` (and is not copied), an opaque directory first empties its existing
/// copy. Modes, owners (unmapped ones become 0:0, as in layer_unpack), symlinks, xattrs (except
/// overlay ones) and mtimes are preserved; hardlinks within a layer stay hardlinks. The roots'
/// own attributes are not copied (docker ignores a layer's "." entry too). Throws Error.
void flatten_layers(const std::vector<std::string>& layer_dirs_bottom_to_top, const std::string& dest_dir);

}  // namespace tug
