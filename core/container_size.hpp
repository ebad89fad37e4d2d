// `ps -s` and `inspect --size`: the bytes in containers' writable layers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/store_paths.hpp"

namespace tug {

/// Bytes in a container's writable layer as docker counts them (sizes of everything but
/// directories, hard links once), for each container of `ids`; in copy mode, the files it added
/// or changed. Files the user cannot read because container ids own them are counted from a
/// child inside a user namespace.
std::vector<int64_t> writable_layer_sizes(const StorePaths& paths, const std::vector<std::string>& ids);

}  // namespace tug
