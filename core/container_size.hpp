// `ps -s` and `inspect --size`: the bytes in containers' writable layers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tug {

/// Bytes in a container's writable layer as docker counts them (sizes of everything but
/// directories, hard links once), for each container directory in `dirs`. Files the user cannot
/// read because container ids own them are counted from a child inside a user namespace.
std::vector<int64_t> writable_layer_sizes(const std::vector<std::string>& dirs);

}  // namespace tug
