// `start -a [-i]` and `attach`: a detached container's output from its log as it grows, our
// stdin into its stdin FIFO, until it exits; then its exit code is ours.
#pragma once

#include <string>

#include "core/json_log.hpp"
#include "core/store_paths.hpp"

namespace tug {

/// Follows container `id` (full ID) until it stops, printing its output as `read` selects;
/// with `with_stdin`, our stdin goes to the container's (when it was created with -i).
/// Returns the container's exit code.
int attach_container(const StorePaths& paths, const std::string& id, bool with_stdin, LogReadOptions read);

}  // namespace tug
