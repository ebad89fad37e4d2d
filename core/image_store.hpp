// The local image store: content-addressed blobs (manifests, configs, compressed layers),
// extracted layers shared by every image and container, image records and tags.
// Writers take file locks; every file is replaced atomically, so readers need none.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/store_paths.hpp"
#include "util/json.hpp"

namespace tug {

/// One image as the store knows it.
struct Image {
  std::string id;               ///< "sha256:<hex>" of the config blob (docker's image ID)
  std::string manifest_digest;  ///< "sha256:<hex>" of the manifest blob
  Json manifest;
  Json config;
  std::vector<std::string> repo_tags;     ///< full references, "docker.io/library/x:tag"
  std::vector<std::string> repo_digests;  ///< "docker.io/library/x@sha256:..."

  /// rootfs.diff_ids, bottom to top.
  std::vector<std::string> diff_ids() const;
  /// Sum of the extracted layer sizes (docker's SIZE column).
  int64_t size = 0;
  /// Made by a build step: `images` lists it only with -a while it has no tag.
  bool intermediate = false;
};

class ImageStore {
 public:
  explicit ImageStore(StorePaths paths) : paths_(std::move(paths)) {}
  const StorePaths& paths() const { return paths_; }

  // ---- blobs
  std::string blob_path(const std::string& digest) const;
  bool has_blob(const std::string& digest) const;
  /// Stores `data` under its sha256 and returns the digest.
  std::string put_blob(std::string_view data);
  std::string read_blob(const std::string& digest) const;

  // ---- extracted layers (overlay lowerdirs), keyed by diff_id
  /// layers/<hex>: holds "diff/" (the tree) and "size".
  std::string layer_path(const std::string& diff_id) const;
  std::string layer_diff_dir(const std::string& diff_id) const { return layer_path(diff_id) + "/diff"; }
  bool has_layer(const std::string& diff_id) const;
  int64_t layer_size(const std::string& diff_id) const;

  // ---- images and tags
  /// Records an image whose blobs and layers are already stored; tags it with `tags` (full refs)
  /// and adds `repo_digests` ("repo@sha256:...") to those it already had. `intermediate`: a
  /// build step's image (hidden from `images` while untagged); an image recorded once as not
  /// intermediate stays so.
  Image add_image(const std::string& manifest_digest, const std::vector<std::string>& tags,
                  const std::vector<std::string>& repo_digests = {}, bool intermediate = false);
  /// Whether the image `image_id` is recorded with every blob and layer its manifest names.
  bool has_complete_image(const std::string& image_id) const;
  /// The image ID a full tag reference points to, if any.
  std::optional<std::string> tagged_id(const std::string& full_ref) const;
  /// Finds by tag ("busybox", "busybox:1", full refs), full ID, or unique ID prefix.
  std::optional<Image> find(const std::string& name) const;
  /// Like find() but throws docker's "No such image: NAME".
  Image resolve(const std::string& name) const;
  std::vector<Image> list() const;
  void tag(const std::string& image_id, const std::string& full_ref);
  /// Removes a tag; returns false when it did not exist.
  bool untag(const std::string& full_ref);
  /// Deletes the image record (tags must be gone) and every layer/blob no image uses any more.
  void remove_image(const std::string& image_id);

 private:
  Json read_tags() const;
  std::optional<Image> load(const std::string& image_id) const;

  StorePaths paths_;
};

}  // namespace tug
