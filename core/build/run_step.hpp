// RUN of the builder: the command runs in a container of the image built so far, exactly as
// `tug run` runs one (same namespaces, mounts, user, seccomp), then its changes become a layer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/layer_import.hpp"
#include "core/store_paths.hpp"
#include "util/file_lock.hpp"

namespace tug::build {

struct RunStep {
  std::string image_id;              ///< the image built so far
  std::vector<std::string> argv;     ///< the command, the SHELL already applied for shell form
  std::vector<std::string> env;      ///< "K=V": the stage's ENV and the ARGs RUN sees
  std::string workdir;               ///< "" for /
  std::string user;                  ///< "" for root
  std::string network = "none";      ///< none or host
  std::vector<std::string> volumes;  ///< RUN --mount binds and caches, as -v values
  std::vector<std::string> tmpfs;    ///< RUN --mount=type=tmpfs, as --tmpfs values
  bool quiet = false;                ///< -q: the command's output is dropped
  std::optional<int64_t> mtime;      ///< SOURCE_DATE_EPOCH: the time of every entry of the layer
};

/// What a RUN did.
struct RunResult {
  int exit_code = 0;
  std::string container_id;            ///< short ID, for "Running in ..."
  std::optional<ImportedLayer> layer;  ///< nullopt: nothing changed (or it failed)
};

/// Runs `step` with our stdout and stderr (unless quiet) and, when it exits 0, imports its
/// changes as a layer; `store_lock` is then held (shared) for the caller until an image refers
/// to the layer. `announce` gets the container's short ID before the command starts. The
/// container is removed in every case.
RunResult run_build_step(const StorePaths& paths, const RunStep& step, std::optional<FileLock>& store_lock,
                         const std::function<void(const std::string&)>& announce);

}  // namespace tug::build
