// The JSON type used everywhere (nlohmann-json), ordered so files and inspect output keep
// the field order we write, as docker's do.
#pragma once

#include <nlohmann/json.hpp>

namespace tug {
using Json = nlohmann::ordered_json;
}  // namespace tug
