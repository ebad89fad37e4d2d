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

/// docker's `image inspect` object for one image.
Json image_inspect_json(const Image& image);

/// One row per (image, tag) for `tug images`, with docker's template fields
/// (Repository, Tag, ID, CreatedSince, CreatedAt, Size, Digest...).
std::vector<Json> image_list_rows(const StorePaths& paths, bool no_trunc, bool all = false);

}  // namespace tug
