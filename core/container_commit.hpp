// `tug commit`: a container's changes become a new layer on top of its image, recorded in the
// store as a new image (blobs, extracted layer, image record, tag) the way `tug import` records one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/image_archive.hpp"
#include "core/layer_import.hpp"
#include "core/store_paths.hpp"
#include "util/file_lock.hpp"
#include "util/json.hpp"

namespace tug {

struct CommitOptions {
  std::string reference;             ///< REPO[:TAG] to tag the image with; "" for none
  std::string message;               ///< -m: the history entry's comment
  std::string author;                ///< -a
  std::vector<std::string> changes;  ///< -c: Dockerfile instructions applied to the config
  bool pause = true;                 ///< -p: pause a running container while its files are read
};

/// The image config section ("config") of a commit: the container's Config as docker keeps it
/// (Env without the HOSTNAME and TERM tug adds at creation), then `changes` applied.
Json commit_config_section(const Json& container_config, const std::vector<std::string>& changes);

/// docker's history entry for a commit: created_by is the container's Cmd joined by spaces.
Json commit_history_entry(const Json& container_config, const std::string& created,
                          const CommitOptions& options, bool empty_layer);

/// Commits container `id` (full ID); returns the new image ID ("sha256:<hex>"). A container
/// without changes adds no layer, only a history entry (as docker does). If tug is killed
/// meanwhile, what it wrote is temporaries the next import removes and unreferenced blobs the
/// next rmi sweeps.
std::string commit_container(const StorePaths& paths, const std::string& id, const CommitOptions& options);

/// The container's changes as a new layer in the store (the builder's RUN and COPY steps);
/// nullopt when it changed nothing. `store_lock` is taken shared before the layer is published
/// and left to the caller, to hold until an image refers to the layer. `mtime`: every entry's
/// time (SOURCE_DATE_EPOCH), else the files' own.
std::optional<ImportedLayer> commit_container_layer(const StorePaths& paths, const std::string& id,
                                                    std::optional<FileLock>& store_lock,
                                                    std::optional<int64_t> mtime = std::nullopt);

/// Records an image made of `layers` (in the store already) and `config` (the whole image
/// config, rootfs and history included); returns its ID. `intermediate`: a build step's image,
/// hidden from `images` while untagged.
std::string store_image(const StorePaths& paths, const Json& config,
                        const std::vector<LayerDescriptor>& layers, const std::vector<std::string>& tags,
                        bool intermediate);

}  // namespace tug
