// Prints a command's rows the way docker's formatter.Context does for `ps`, `images`, `volume ls`
// ...: default/table/json/custom --format handling, table headers and tabwriter alignment.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.hpp"

namespace tug {

/// Renders `rows` (one Json object per item, keys like "ID", "Image", "Names") with `format`:
///  - ""               → `default_format`;
///  - "table"          → the default table (`default_format`, or "table " + it when it has no
///                       "table" prefix);
///  - "table <tmpl>"   → a header row, then each row, aligned by Go's tabwriter (minwidth 10,
///                       padding 3). The header is printed even when there are no rows;
///  - "json"           → `{{json .}}`: one compact JSON object per line;
///  - anything else    → the template applied to each row, each followed by "\n", no header;
///                       nothing at all for zero rows.
/// As docker does, the literal two-character sequences `\t` and `\n` in `format` become a tab
/// and a newline, and surrounding spaces are trimmed; tabs outside a table stay tabs.
/// The header comes from executing the same template, with docker's HeaderFunctions, on an
/// object mapping each field to `headers[field]`, or to the field name upper-cased when
/// `headers` has no entry for it (so "ID" → "CONTAINER ID" needs {"ID", "CONTAINER ID"}).
/// Throws tug::Error "template parsing error: ..." for a bad template or a failing row.
std::string render_listing(std::string_view format, std::string_view default_format,
                           const std::vector<Json>& rows, const std::map<std::string, std::string>& headers);

}  // namespace tug
