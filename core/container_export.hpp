// `tug export`: a container's whole filesystem (image layers plus its changes, without the
// volumes and pseudo filesystems mounted over it) as one tar stream, as docker exports it.
#pragma once

#include <string>

#include "core/store_paths.hpp"

namespace tug {

/// Writes the tar of container `id` (full ID) to `fd`.
void export_container(const StorePaths& paths, const std::string& id, int fd);

/// `export -o PATH`: written beside PATH and renamed into place on success, so a failed export
/// never leaves half an archive; a FIFO or device is written directly.
void export_container_to_file(const StorePaths& paths, const std::string& id, const std::string& path);

}  // namespace tug
