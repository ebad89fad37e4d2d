// Printing helpers shared by commands: listings through --format, and inspect arrays.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace tug {

/// Prints rows as docker does for `--format` (table / json / template / default).
void print_listing(const std::string& format, const std::string& default_format,
                   const std::vector<Json>& rows, const std::map<std::string, std::string>& headers);

/// Prints `inspect` output: a JSON array indented like docker's, or each object through the
/// template followed by a newline.
void print_inspect(const std::string& format, const std::vector<Json>& objects);

}  // namespace tug
