// Bringing one layer into the store from a byte stream: the stream is hashed as it arrives
// (blob digest), decompressed and hashed again (diff_id), and unpacked into a temporary
// directory that becomes visible under layers/ only when complete.
#pragma once

#include <functional>
#include <string>

#include "core/image_store.hpp"
#include "fs/byte_stream.hpp"
#include "util/json.hpp"

namespace tug {

/// What a stored layer is known by.
struct ImportedLayer {
  std::string diff_id;      ///< sha256 of the uncompressed tar
  std::string blob_digest;  ///< sha256 of the bytes as received (stored in blobs/)
  int64_t blob_size = 0;
  std::string media_type;  ///< OCI layer media type matching the compression
  int64_t unpacked_size = 0;
};

/// What a manifest and its config promise about a layer (pull); empty fields are not checked.
struct LayerExpectation {
  std::string blob_digest;  ///< the manifest's layer digest
  std::string diff_id;      ///< the config's rootfs.diff_ids entry
};

/// Streams `raw` (tar, tar+gzip or tar+zstd) into the store. The caller is inside the user
/// namespace (see userns.hpp); `chown` false squashes owners (single-id mapping).
/// The digests are checked against `expect` before anything is published: on any error,
/// a mismatch included, nothing new is visible in the store. Safe to call from several
/// threads at once, for the same layer too.
ImportedLayer import_layer(ImageStore& store, ByteSource& raw, bool chown,
                           const std::function<void(const std::string&)>& warn,
                           const LayerExpectation& expect = {});

/// Imports the layer a commit or build step packed into the temporary file `fd` (`path` names
/// it in errors), read from its start; warnings go to stderr. Same rules as import_layer.
ImportedLayer import_packed_layer(ImageStore& store, int fd, const std::string& path, bool chown);

/// An ImportedLayer as the JSON message a child sends its parent, and back.
Json imported_layer_json(const ImportedLayer& layer);
ImportedLayer imported_layer_from_json(const Json& message);

/// Removes temporaries left by tugs that were killed mid-import (only when no other tug is
/// importing: it takes the store lock exclusively without waiting).
void clean_stale_temporaries(const StorePaths& paths);

}  // namespace tug
