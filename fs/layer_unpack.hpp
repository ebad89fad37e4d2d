// Extracting one image layer (an uncompressed tar stream) into its own directory, in overlayfs
// representation, so the directory can be an overlay lowerdir as is (see fs/flatten.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "fs/byte_stream.hpp"

namespace tug {

struct UnpackOptions {
  /// Give entries their numeric owners from the tar. false: single-id user namespace mapping,
  /// every owner is squashed to the extracting user.
  bool chown = true;
  /// Receives one-line warnings (skipped device nodes, squashed owners); may be empty.
  std::function<void(const std::string&)> warn;
};

/// What an unpack did, for logs and tests.
struct UnpackStats {
  uint64_t files = 0;            // entries created (all types, whiteouts included)
  uint64_t bytes = 0;            // regular file content written
  uint64_t squashed_owners = 0;  // entries whose owner could not be kept (became 0:0 / ours)
  uint64_t skipped_devices = 0;  // char/block devices not created for lack of privilege
};

/// Reads an *uncompressed* tar stream and writes it into the empty directory `dest_dirfd`.
/// Whiteouts become overlay whiteouts: `.wh.NAME` a 0/0 char device NAME (or, when NAME already
/// exists in this layer, nothing / the opaque xattr on it: a whiteout hides lower layers only),
/// `DIR/.wh..wh..opq` the xattr user.overlay.opaque=y on DIR; a directory replacing a whiteout
/// of the same layer becomes opaque. Paths are resolved beneath `dest_dirfd` (absolute names
/// are relative; "..", or a parent reached through a symlink leaving the layer, throws).
/// `tar` is read to its very end (trailing padding too), so a HashingSource under it covers the
/// whole stream. Throws Error: "layer is truncated: ...", "layer is not a valid tar archive:
/// ...", `tar entry "NAME": ...`, or the source's own error. On error the directory is left
/// half-written for the caller to discard. The root directory's attributes are never changed
/// (docker ignores a "./" entry too).
UnpackStats unpack_layer(ByteSource& tar, int dest_dirfd, const UnpackOptions& opts);

}  // namespace tug
