// Turning `run`/`create` flags into a container record (docker's inspect shape) and the
// container's directory: ID, name, volumes, environment, command, hosts files.
#pragma once

#include <string>

#include "core/container_run.hpp"
#include "core/container_store.hpp"
#include "core/image_store.hpp"
#include "util/file_lock.hpp"

namespace tug {

/// A freshly created container, its directory locked by this process.
struct CreatedContainer {
  std::string id;
  Json config;  ///< what config.json holds
  Image image;
  FileLock lock;
};

/// Validates the options, claims the name, creates containers/<id>/ with its writable layer
/// dirs and hosts files, and writes config.json for a container of `image` (found or pulled by
/// image_for_container). Throws (leaving nothing behind) on bad input.
CreatedContainer create_container(Image image, ContainerStore& containers, const RunOptions& options);

}  // namespace tug
