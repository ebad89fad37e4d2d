// Image archives: `tug save` writes images as a docker-archive or OCI-archive tar, `tug load`
// reads either (docker's legacy and 25+ layouts, podman's, skopeo's) back into the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/image_store.hpp"
#include "fs/byte_stream.hpp"
#include "util/json.hpp"

namespace tug {

enum class ArchiveFormat { kDocker, kOci };

/// "docker-archive" or "oci-archive" (podman's names for `save --format`).
ArchiveFormat parse_archive_format(std::string_view name);

/// `tug save`: writes `names` (tags, repositories, IDs) as one archive into `out`. Every name
/// is resolved before the first byte is written; a layer shared by several images is written
/// once. The store lock is held shared, so no rmi sweeps a blob being read.
void save_images(const StorePaths& paths, const std::vector<std::string>& names, ArchiveFormat format,
                 ByteSink& out);

/// `tug save -o PATH`: the same into PATH, written beside it and renamed into place on success
/// (as docker does), so a failed save never leaves half an archive; a FIFO or device is
/// written directly.
void save_images_to_file(const StorePaths& paths, const std::vector<std::string>& names, ArchiveFormat format,
                         const std::string& path);

/// `tug load`: reads one archive ("" or "-" = stdin, optionally gzip/zstd compressed) and
/// returns the lines docker prints ("Loaded image: busybox:latest", "Loaded image ID: sha256:..").
/// Every layer and digest is verified before any image is recorded; on error no image, tag,
/// blob or layer this load added stays in the store.
std::vector<std::string> load_images(const StorePaths& paths, const std::string& input);

// ---- the pure parts, shared by save and load (and tested on their own)

/// An archive member name made canonical: "./a//b/" → "a/b", "./" → "". Absolute names and
/// ".." components are refused (tug::Error): a member must not name anything outside the archive.
std::string clean_archive_path(std::string_view name);

/// Where a symlink member at `entry` pointing to `target` leads, as an archive path. ".." is
/// fine while it stays inside the archive; absolute targets and escapes are refused.
std::string resolve_archive_link(std::string_view entry, std::string_view target);

/// One image of a docker-archive's manifest.json.
struct DockerArchiveImage {
  std::string config;                  ///< member holding the config JSON
  std::vector<std::string> repo_tags;  ///< familiar references, "busybox:latest"
  std::vector<std::string> layers;     ///< members holding the uncompressed layer tars, bottom first
};

/// manifest.json as docker writes it: [{"Config":..,"RepoTags":..,"Layers":[..]}], RepoTags
/// null for an image saved by ID.
std::string docker_manifest_json(const std::vector<DockerArchiveImage>& images);

/// Parses manifest.json; member paths are cleaned (clean_archive_path). Throws on bad shapes.
std::vector<DockerArchiveImage> parse_docker_manifest(std::string_view text);

/// The legacy `repositories` file: {"busybox":{"latest":"<top layer dir>"}}.
std::string docker_repositories_json(const std::vector<DockerArchiveImage>& images);

/// One layer as a manifest describes it.
struct LayerDescriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
};

/// The OCI image manifest tug records for an image whose config and layer blobs it stored
/// (the same shape `tug import` writes, so equal content gives an equal manifest digest).
std::string synthesize_manifest(const std::string& config_digest, int64_t config_size,
                                const std::vector<LayerDescriptor>& layers);

/// The name an OCI index descriptor gives its image, as podman and containerd read it:
/// "io.containerd.image.name", else "org.opencontainers.image.ref.name"; "" when neither.
std::string oci_descriptor_name(const Json& descriptor);

/// "blobs/sha256/<hex>" for a digest (only sha256 is accepted).
std::string oci_blob_path(const std::string& digest);

}  // namespace tug
