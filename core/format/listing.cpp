// Prints a command's rows the way docker's formatter.Context does for `ps`, `images`, `volume ls`
// ...: default/table/json/custom --format handling, table headers and tabwriter alignment.
#include "core/format/listing.hpp"

#include "core/format/go_template.hpp"
#include "core/format/tabwriter.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

constexpr std::string_view kTableKey = "table";

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

/// docker's preFormat: strip "table" / map "json", trim spaces, turn `\t` and `\n` into the
/// characters.
std::string final_format(std::string_view format, bool table) {
  std::string_view f = format;
  if (table) {
    f.remove_prefix(kTableKey.size());
  } else if (f == "json") {
    f = "{{json .}}";
  }
  size_t b = f.find_first_not_of(' ');
  f = b == std::string_view::npos ? std::string_view() : f.substr(b, f.find_last_not_of(' ') - b + 1);
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\' && i + 1 < f.size() && (f[i + 1] == 't' || f[i + 1] == 'n')) {
      out += f[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      out += f[i];
    }
  }
  return out;
}

}  // namespace

std::string render_listing(std::string_view format, std::string_view default_format,
                           const std::vector<Json>& rows, const std::map<std::string, std::string>& headers) {
  std::string chosen(format.empty() ? default_format : format);
  if (chosen == kTableKey) {
    chosen = std::string_view(default_format).starts_with(kTableKey) ? std::string(default_format)
                                                                     : "table " + std::string(default_format);
  }
  bool table = std::string_view(chosen).starts_with(kTableKey);
  GoTemplate tmpl(final_format(chosen, table));

  std::string body;
  for (const Json& row : rows) {
    tmpl.execute(row, body);
    body += '\n';
  }
  if (!table) return body;

  // The header context: every known header, every row field, every field the template names.
  Json header = Json::object();
  for (const auto& [field, text] : headers) header[field] = text;
  for (const Json& row : rows) {
    if (!row.is_object()) continue;
    for (const auto& [field, _] : row.items())
      if (!header.contains(field)) header[field] = upper(field);
  }
  for (const std::string& field : tmpl.field_names())
    if (!header.contains(field)) header[field] = upper(field);

  std::string text;
  TemplateOptions header_options;
  header_options.header_functions = true;
  try {
    tmpl.execute(header, text, header_options);
  } catch (const Error&) {
    // docker ignores a failing header and prints what was written before the failure.
  }
  text += '\n';
  text += body;
  return tabwriter_format(text);
}

}  // namespace tug
