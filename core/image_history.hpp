// `tug image history`: an image's config history matched with its layers, newest first, in the
// rows docker's CLI prints (IMAGE, CREATED, CREATED BY, SIZE, COMMENT) and its --format fields.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/image_store.hpp"
#include "util/json.hpp"

namespace tug {

/// One history step, as docker's API returns it.
struct HistoryEntry {
  std::string id;       ///< the image ID on the newest row, "<missing>" on the others
  int64_t created = 0;  ///< Unix seconds; 0 when the config does not say
  std::string created_by;
  int64_t size = 0;  ///< bytes the step's layer adds (0 for empty_layer steps)
  std::string comment;
};

/// The steps of `config["history"]`, newest first. Each step that is not an empty_layer takes
/// the next diff_id (bottom first) and its size from `layer_size`. A config with more
/// non-empty steps than layers is refused, as docker refuses it.
std::vector<HistoryEntry> build_history(const std::string& image_id, const Json& config,
                                        const std::function<int64_t(const std::string&)>& layer_size);

/// How the rows are rendered (docker's --no-trunc and -H/--human).
struct HistoryStyle {
  bool no_trunc = false;
  bool human = true;
  int64_t now = 0;  ///< Unix seconds, for "3 hours ago"
};

/// One row with docker's template fields: Comment, CreatedAt, CreatedBy, CreatedSince, ID, Size.
Json history_row(const HistoryEntry& entry, const HistoryStyle& style);

/// docker's formatter.Ellipsis: at most `width` display columns, the last one "…" when cut.
std::string ellipsis(const std::string& text, int width);

/// The rows of `tug image history NAME`.
std::vector<Json> image_history_rows(const StorePaths& paths, const std::string& name,
                                     const HistoryStyle& style);

}  // namespace tug
