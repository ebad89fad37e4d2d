// Image manifests and indexes (OCI and Docker schema 2) as data, and choosing the manifest of a
// platform from an index the way containerd does. Pure: no I/O, unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tug {

namespace media_type {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerForeignLayer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}  // namespace media_type

bool is_index_media_type(std::string_view type);
bool is_manifest_media_type(std::string_view type);

/// os/architecture[/variant], normalised ("aarch64" → "arm64", arm64 without variant → "v8",
/// "x86_64" → "amd64").
struct Platform {
  std::string os = "linux";
  std::string architecture;
  std::string variant;

  /// "linux/arm64/v8"
  std::string str() const;
};

/// Parses "os/arch[/variant]" or "arch"; throws Error on an empty or malformed value.
Platform parse_platform(std::string_view text);
/// The platform tug runs on (linux/amd64, linux/arm64/v8...).
Platform host_platform();
/// Normalises architecture and variant names as containerd does.
Platform normalize_platform(Platform p);

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = -1;
  std::optional<Platform> platform;  ///< index entries only
};

struct ImageManifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct ImageIndex {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

/// Parses a manifest body; `media_type` is the served type (may be empty: the body's
/// mediaType is used). Throws Error naming what is wrong (bad digest, schema 1, missing fields).
ImageManifest parse_image_manifest(std::string_view body, std::string_view media_type);
ImageIndex parse_image_index(std::string_view body, std::string_view media_type);

/// The best manifest of `index` for `want`: exact match first, then the compatible fallbacks
/// containerd accepts (arm64 v8.x → lower v8 variants → arm v8..v5; arm v7 → v6, v5; amd64
/// vN → lower amd64 levels → 386). Entries for "unknown/unknown" (attestations) never match.
std::optional<Descriptor> select_platform(const ImageIndex& index, const Platform& want);

}  // namespace tug
