// Listing and inspect printing on top of core/format.
#include "cmd/output.hpp"

#include <cstdio>

#include "core/format/go_template.hpp"
#include "core/format/listing.hpp"

namespace tug {

void print_listing(const std::string& format, const std::string& default_format,
                   const std::vector<Json>& rows, const std::map<std::string, std::string>& headers) {
  std::string out = render_listing(format, default_format, rows, headers);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void print_inspect(const std::string& format, const std::vector<Json>& objects) {
  if (format.empty()) {
    Json arr = Json::array();
    for (const auto& o : objects) arr.push_back(o);
    std::string text = arr.dump(4);
    std::printf("%s\n", text.c_str());
    return;
  }
  for (const auto& o : objects) {
    std::string line = render_template(format == "json" ? "{{json .}}" : format, o);
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace tug
