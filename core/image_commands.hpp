// Image operations behind `tug import`, `rmi`, `tag`, `images` and `image inspect`, in the
// shapes docker prints.
#pragma once

#include <string>
#include <vector>

#include "core/image_store.hpp"
#include "util/json.hpp"

namespace tug {

/// `tug import SOURCE [REF]`: SOURCE is a path or "-" (stdin). Returns the image ID.
std::string import_image(const StorePaths& paths, const std::string& source, const std::string& ref,
                         const std::vector<std::string>& changes, const std::string& message);

/// `tug rmi`: returns the "Untagged: ..." / "Deleted: ..." lines docker prints.
std::vector<std::string> remove_images(const StorePaths& paths, const std::vector<std::string>& names,
                                       bool force);

/// `tug tag SOURCE TARGET`.
void tag_image(const StorePaths& paths, const std::string& source, const std::string& target);

/// Which images `image prune` takes.
enum class ImagePrune {
  kDangling,    ///< untagged images (build steps excepted) no container uses
  kUnused,      ///< -a: every image no container uses, tagged or not (build steps excepted)
  kBuildCache,  ///< `builder prune`: the build steps' intermediate images no container uses
};

/// Removes what `scope` selects; returns docker's lines ("untagged: ...", "deleted: sha256:...")
/// and sets `reclaimed` to the bytes of the layers that went.
std::vector<std::string> prune_images(const StorePaths& paths, ImagePrune scope, int64_t& reclaimed);

/// docker's `image inspect` object for one image.
Json image_inspect_json(const Image& image);

/// One row per (image, tag) for `tug images`, with docker's template fields
/// (Repository, Tag, ID, CreatedSince, CreatedAt, Size, Digest...).
std::vector<Json> image_list_rows(const StorePaths& paths, bool no_trunc, bool all = false);

}  // namespace tug
