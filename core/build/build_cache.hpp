// `builder prune`: what builds keep between runs, removed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/store_paths.hpp"

namespace tug::build {

/// Removes the build steps' intermediate images no container uses, the cache index
/// (<root>/cache/build) and the RUN --mount=type=cache directories (<root>/cache/build-mounts).
/// Returns the image lines ("deleted: sha256:..."); `reclaimed` is the bytes that went.
std::vector<std::string> prune_build_cache(const StorePaths& paths, int64_t& reclaimed);

}  // namespace tug::build
