// `tug push`: the image's blobs the registry lacks (HEAD first, then a cross-repository mount
// from a repository of the same registry the image came from, else an upload), then the
// manifest with its exact stored bytes, so an image pulled and pushed unchanged keeps its digest.
#pragma once

#include <string>

#include "core/store_paths.hpp"
#include "core/transfer_progress.hpp"
#include "registry/registry_client.hpp"

namespace tug {

struct PushOptions {
  RegistryOptions registry = registry_options_from_env();
  /// Layers transferred at once (env TUG_MAX_CONCURRENT_UPLOADS, default 5 as docker's).
  int max_concurrent = 5;
};

PushOptions push_options_from_env();

struct PushResult {
  std::string digest;  ///< the manifest digest the registry reports
  size_t manifest_size = 0;
};

/// Pushes the local image tagged `reference`. Throws docker's "An image does not exist locally
/// with the tag: <repository>" when there is none.
PushResult push_image(const StorePaths& paths, const std::string& reference, const PushOptions& options,
                      TransferObserver& progress);

}  // namespace tug
