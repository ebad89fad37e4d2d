// Container management behind `tug rm`, `tug inspect` and `tug ps`.
#pragma once

#include <string>
#include <vector>

#include "core/store_paths.hpp"
#include "util/json.hpp"

namespace tug {

/// docker's container inspect object (config.json plus the live State).
Json container_inspect_json(const StorePaths& paths, const std::string& id);

/// `tug rm`: removes each container; running ones only with `force` (they are killed).
/// Returns the names/IDs as given, one per removed container, as docker prints them.
std::vector<std::string> remove_containers(const StorePaths& paths, const std::vector<std::string>& names,
                                           bool force, bool volumes);

}  // namespace tug
