// The JSON type used everywhere (nlohmann-json), ordered so files and inspect output keep
// the field order we write, as docker's do.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tug {
using Json = nlohmann::ordered_json;

/// The strings of a JSON array; null (docker's "unset") and non-arrays give an empty list.
inline std::vector<std::string> json_string_array(const Json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& v : j) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace tug
