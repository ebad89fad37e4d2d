// Image history rows: docker's daemon side (history entries matched with layers, newest first)
// and its CLI's historyContext (truncation, human units, RFC 3339 local times).
#include "core/image_history.hpp"

#include <ctime>

#include "core/format/go_strconv.hpp"
#include "core/format/human_units.hpp"
#include "core/format/tabwriter.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

// Go's time.Unix(s, 0).Format(time.RFC3339) in the local zone: "2024-01-02T03:04:05Z" in UTC.
std::string rfc3339_local(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm {};
  if (!::localtime_r(&t, &tm)) return "";
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  long off = tm.tm_gmtoff;
  if (off == 0) return out + "Z";
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  return out + fmt::format("{}{:02}:{:02}", sign, off / 3600, off / 60 % 60);
}

// stringid.TruncateID: drop an "algo:" prefix, keep 12 characters.
std::string truncate_id(const std::string& id) {
  std::string s = id;
  if (auto colon = s.find(':'); colon != std::string::npos) s = s.substr(colon + 1);
  return s.size() > 12 ? s.substr(0, 12) : s;
}

}  // namespace

std::vector<HistoryEntry> build_history(const std::string& image_id, const Json& config,
                                        const std::function<int64_t(const std::string&)>& layer_size) {
  std::vector<std::string> diff_ids;
  if (config.contains("rootfs") && config["rootfs"].is_object())
    diff_ids = json_string_array(config["rootfs"].value("diff_ids", Json::array()));
  std::vector<HistoryEntry> out;
  size_t layer = 0;
  auto history = config.find("history");
  if (history == config.end() || !history->is_array()) return out;
  for (const auto& h : *history) {
    if (!h.is_object()) continue;
    HistoryEntry e;
    e.id = "<missing>";
    if (h.contains("created") && h["created"].is_string())
      e.created = parse_rfc3339(h["created"].get<std::string>());
    if (h.contains("created_by") && h["created_by"].is_string())
      e.created_by = h["created_by"].get<std::string>();
    if (h.contains("comment") && h["comment"].is_string()) e.comment = h["comment"].get<std::string>();
    bool empty_layer =
        h.contains("empty_layer") && h["empty_layer"].is_boolean() && h["empty_layer"].get<bool>();
    if (!empty_layer) {
      if (layer >= diff_ids.size()) fail("too many non-empty layers in History section");
      e.size = layer_size(diff_ids[layer++]);
    }
    out.insert(out.begin(), std::move(e));
  }
  if (!out.empty()) out.front().id = image_id;
  return out;
}

std::string ellipsis(const std::string& text, int width) {
  if (width <= 0) return "";
  std::vector<std::string_view> runes;
  for (size_t i = 0; i < text.size();) {
    size_t n = gofmt::decode_rune(text, i).second;
    runes.emplace_back(std::string_view(text).substr(i, n));
    i += n;
  }
  if (runes.empty()) return text;
  if (width == 1) return std::string(runes.front());
  auto prefix = [&](size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i) out += runes[i];
    return out + "…";
  };
  if (runes.size() == text.size()) {  // ASCII: one column per byte
    if (static_cast<int>(text.size()) <= width) return text;
    return prefix(static_cast<size_t>(width - 1));
  }
  std::vector<int> display;
  int total = 0;
  for (auto r : runes) {
    total += display_width(r);
    display.push_back(total);
  }
  if (total <= width) return text;
  for (size_t i = 0; i + 1 < display.size(); ++i)
    if (display[i] <= width - 1 && display[i + 1] > width - 1) return prefix(i + 1);
  return text;
}

Json history_row(const HistoryEntry& entry, const HistoryStyle& style) {
  std::string created_at = entry.created ? rfc3339_local(entry.created) : "0001-01-01T00:00:00Z";
  std::string since = created_at;
  if (style.human) since = entry.created ? human_duration(style.now - entry.created) + " ago" : "N/A";
  std::string created_by = entry.created_by;
  for (auto& c : created_by)
    if (c == '\t') c = ' ';
  if (!style.no_trunc) created_by = ellipsis(created_by, 45);
  std::string size = style.human ? human_size(static_cast<double>(entry.size)) : std::to_string(entry.size);
  // Alphabetical, as docker's `--format json` prints the fields.
  return Json{{"Comment", entry.comment},
              {"CreatedAt", created_at},
              {"CreatedBy", created_by},
              {"CreatedSince", since},
              {"ID", style.no_trunc ? entry.id : truncate_id(entry.id)},
              {"Size", size}};
}

std::vector<Json> image_history_rows(const StorePaths& paths, const std::string& name,
                                     const HistoryStyle& style) {
  ImageStore store(paths);
  Image img = store.resolve(name);
  std::vector<Json> rows;
  for (const auto& e :
       build_history(img.id, img.config, [&](const std::string& d) { return store.layer_size(d); }))
    rows.push_back(history_row(e, style));
  return rows;
}

}  // namespace tug
