// `tug build`: runs a parsed Dockerfile's stages into images. Each RUN, COPY and ADD adds a
// layer and records an intermediate image (hidden from `images`); the other instructions only
// change the config. A step is taken from the cache when its parent image, the config it runs
// with, its expanded instruction, the build args it sees and (COPY/ADD) the content of what it
// copies are all the same.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/pull.hpp"
#include "core/store_paths.hpp"
#include "core/transfer_progress.hpp"

namespace tug::build {

struct BuildOptions {
  std::string context_dir;                     ///< the build context
  std::string dockerfile;                      ///< -f as given; "" for <context>/Dockerfile
  std::optional<std::string> dockerfile_text;  ///< the Dockerfile's text when it came from stdin
  std::vector<std::string> tags;               ///< -t
  std::vector<std::string> build_args;         ///< --build-arg K=V (or K: from our environment)
  std::vector<std::string> labels;             ///< --label K=V
  std::string target;                          ///< --target
  std::string network = "default";             ///< --network
  bool no_cache = false;
  bool pull = false;   ///< --pull: always pull base images
  bool quiet = false;  ///< -q: print only the image ID
  PullOptions pull_options;
  TransferObserver* pull_progress = nullptr;
};

/// Builds and tags the image; returns its ID ("sha256:..."). Progress goes to stdout ("Step
/// N/M : ..." lines and the steps' output) unless quiet. Errors name the Dockerfile and line.
std::string build_image(const StorePaths& paths, const BuildOptions& options);

}  // namespace tug::build
