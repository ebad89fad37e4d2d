// `tug ps`: reads each container's state.json (and its lock) once and, only for the containers
// that can be shown, its config.json once; filters as docker's daemon does (moby daemon/list.go)
// and builds the fields docker's CLI formatter prints (docker/cli formatter/container.go).
#include "core/container_list.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <unordered_set>

#include "core/container_size.hpp"
#include "core/format/go_strconv.hpp"
#include "core/format/human_units.hpp"
#include "core/format/tabwriter.hpp"
#include "core/image_store.hpp"
#include "core/userns.hpp"
#include "registry/reference.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_util.hpp"

namespace tug {

// ---------------------------------------------------------------------------------------------
// pieces of a row

std::string container_status_text(const ContainerState& s, int64_t now_ns) {
  auto since = [now_ns](const std::string& t) {
    return human_duration((now_ns - parse_rfc3339_ns(t)) / 1000000000);
  };
  if (s.running()) {
    if (s.status == "paused") return fmt::format("Up {} (Paused)", since(s.started_at));
    if (s.status == "restarting")
      return fmt::format("Restarting ({}) {} ago", s.exit_code, since(s.finished_at));
    if (s.health.is_object() && s.health.contains("Status")) {
      std::string health = s.health.value("Status", "");
      if (health == "starting") health = "health: starting";
      return fmt::format("Up {} ({})", since(s.started_at), health);
    }
    return fmt::format("Up {}", since(s.started_at));
  }
  if (s.status == "removing") return "Removal In Progress";
  if (s.status == "dead") return "Dead";
  if (is_zero_time(s.started_at)) return "Created";
  if (is_zero_time(s.finished_at)) return "";
  return fmt::format("Exited ({}) {} ago", s.exit_code, since(s.finished_at));
}

std::string container_command_text(const Json& config) {
  std::string out = config.value("Path", "");
  const Json& args = config.contains("Args") ? config["Args"] : Json();
  if (!args.is_array()) return out;
  for (const auto& a : args) {
    std::string arg = a.is_string() ? a.get<std::string>() : a.dump();
    out += ' ';
    if (arg.find(' ') != std::string::npos) {
      out += '\'';
      out += arg;
      out += '\'';
    } else {
      out += arg;
    }
  }
  return out;
}

std::string ellipsis(std::string_view text, int width) {
  if (width <= 0) return "";
  bool ascii =
      std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    if (text.size() <= static_cast<size_t>(width)) return std::string(text);
    if (width == 1) return std::string(text.substr(0, 1));
    std::string out(text.substr(0, static_cast<size_t>(width) - 1));
    return out + "…";
  }
  // Display columns after each rune, as go-runewidth counts them.
  std::vector<std::pair<size_t, int>> ends;  // (byte offset after the rune, columns so far)
  int columns = 0;
  for (size_t i = 0; i < text.size();) {
    size_t len = gofmt::decode_rune(text, i).second;
    columns += display_width(text.substr(i, len));
    i += len;
    ends.emplace_back(i, columns);
  }
  if (columns <= width) return std::string(text);
  if (width == 1) return std::string(text.substr(0, ends.front().first));
  for (size_t i = 0; i + 1 < ends.size(); ++i) {
    if (ends[i].second <= width - 1 && ends[i + 1].second > width - 1) {
      std::string out(text.substr(0, ends[i].first));
      return out + "…";
    }
  }
  return std::string(text);
}

namespace {

/// "80" → "80/tcp".
std::string port_key(const std::string& key) {
  return key.find('/') == std::string::npos ? key + "/tcp" : key;
}

}  // namespace

Json published_ports(const Json& config, bool running) {
  Json out = Json::object();
  if (!running) return out;
  // In host mode nothing is published (docker discards -p there): ps and port show nothing.
  if (config.contains("HostConfig") && config["HostConfig"].is_object() &&
      config["HostConfig"].value("NetworkMode", "") == "host")
    return out;
  if (config.contains("NetworkSettings") && config["NetworkSettings"].is_object()) {
    const Json& ns = config["NetworkSettings"];
    if (ns.contains("Ports") && ns["Ports"].is_object() && !ns["Ports"].empty()) return ns["Ports"];
  }
  if (config.contains("Config") && config["Config"].is_object()) {
    const Json& exposed = config["Config"].value("ExposedPorts", Json::object());
    if (exposed.is_object())
      for (const auto& [key, _] : exposed.items()) out[port_key(key)] = nullptr;
  }
  if (config.contains("HostConfig") && config["HostConfig"].is_object()) {
    const Json& bindings = config["HostConfig"].value("PortBindings", Json::object());
    if (bindings.is_object()) {
      for (const auto& [key, list] : bindings.items()) {
        Json frontends = Json::array();
        if (list.is_array()) {
          for (const auto& b : list) {
            if (!b.is_object()) continue;
            std::string ip = b.value("HostIp", "");
            frontends.push_back(
                {{"HostIp", ip.empty() ? "0.0.0.0" : ip}, {"HostPort", b.value("HostPort", "")}});
          }
        }
        out[port_key(key)] = frontends.empty() ? Json(nullptr) : frontends;
      }
    }
  }
  return out;
}

std::vector<PortSummary> port_summaries(const Json& ports_map) {
  std::vector<PortSummary> out;
  if (!ports_map.is_object()) return out;
  for (const auto& [key, frontends] : ports_map.items()) {
    size_t slash = key.find('/');
    PortSummary base;
    base.private_port = std::atoi(key.substr(0, slash).c_str());
    base.type = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!frontends.is_array() || frontends.empty()) {
      out.push_back(base);
      continue;
    }
    for (const auto& f : frontends) {
      PortSummary p = base;
      p.public_port = std::atoi(f.value("HostPort", "0").c_str());
      p.ip = f.value("HostIp", "");
      out.push_back(p);
    }
  }
  return out;
}

std::string join_host_port(std::string_view host, std::string_view port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out += host;
  }
  out += ':';
  out += port;
  return out;
}

namespace {

/// formGroup: "80/tcp", "8000-8001/tcp", "0.0.0.0:80->80/tcp".
std::string port_group(const std::string& key, int first, int last) {
  size_t slash = key.rfind('/');
  std::string ip = slash == std::string::npos ? "" : key.substr(0, slash);
  std::string type = slash == std::string::npos ? key : key.substr(slash + 1);
  std::string group = std::to_string(first);
  if (first != last) group += fmt::format("-{}", last);
  if (!ip.empty()) group = fmt::format("{}->{}", join_host_port(ip, group), group);
  return group + "/" + type;
}

}  // namespace

std::string displayable_ports(std::vector<PortSummary> ports) {
  std::stable_sort(ports.begin(), ports.end(), [](const PortSummary& a, const PortSummary& b) {
    if (a.private_port != b.private_port) return a.private_port < b.private_port;
    if (a.ip != b.ip) return a.ip < b.ip;
    if (a.public_port != b.public_port) return a.public_port < b.public_port;
    return a.type < b.type;
  });
  struct Group {
    int first, last;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> order, result, host_mappings;
  for (const auto& p : ports) {
    std::string key = p.type;
    if (!p.ip.empty()) {
      if (p.public_port != p.private_port) {
        host_mappings.push_back(fmt::format("{}->{}/{}", join_host_port(p.ip, std::to_string(p.public_port)),
                                            p.private_port, p.type));
        continue;
      }
      key = p.ip + "/" + p.type;
    }
    auto it = groups.find(key);
    if (it == groups.end()) {
      groups[key] = {p.private_port, p.private_port};
      order.push_back(key);
      continue;
    }
    if (p.private_port == it->second.last + 1) {
      it->second.last = p.private_port;
      continue;
    }
    result.push_back(port_group(key, it->second.first, it->second.last));
    it->second = {p.private_port, p.private_port};
  }
  for (const auto& key : order) result.push_back(port_group(key, groups[key].first, groups[key].last));
  result.insert(result.end(), host_mappings.begin(), host_mappings.end());
  std::string out;
  for (const auto& r : result) {
    if (!out.empty()) out += ", ";
    out += r;
  }
  return out;
}

std::string size_text(int64_t size_rw, int64_t size_root_fs) {
  std::string rw = human_size(static_cast<double>(size_rw));
  if (size_root_fs <= 0) return rw;
  return fmt::format("{} (virtual {})", rw, human_size(static_cast<double>(size_root_fs)));
}

// ---------------------------------------------------------------------------------------------
// filters

namespace {

const std::set<std::string> kFilterKeys = {"ancestor", "before", "exited", "expose",  "health",
                                           "id",       "label",  "name",   "network", "publish",
                                           "since",    "status", "volume"};
const std::set<std::string> kStates = {"created", "restarting", "running", "removing",
                                       "paused",  "exited",     "dead"};
const std::set<std::string> kHealthStates = {"starting", "healthy", "unhealthy", "none"};

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

/// --filter values by key (docker's filters.Args): same key OR, different keys AND.
using FilterArgs = std::map<std::string, std::vector<std::string>>;

FilterArgs parse_filters(const std::vector<std::string>& specs) {
  FilterArgs out;
  for (const auto& spec : specs) {
    if (spec.empty()) continue;
    size_t eq = spec.find('=');
    if (eq == std::string::npos)
      fail("invalid argument \"{}\" for \"-f, --filter\" flag: bad format of filter (expected name=value)",
           spec);
    std::string key = trim(std::string_view(spec).substr(0, eq));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!kFilterKeys.count(key)) fail("invalid filter '{}'", key);
    out[key].push_back(trim(std::string_view(spec).substr(eq + 1)));
  }
  for (const auto& v : out["status"])
    if (!kStates.count(v)) fail("invalid filter 'status={}'", v);
  for (const auto& v : out["health"])
    if (!kHealthStates.count(v)) fail("Unrecognised filter value for health: {}", v);
  for (const auto& v : out["exited"]) {
    char* end = nullptr;
    std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end) fail("invalid filter 'exited={}'", v);
  }
  for (auto it = out.begin(); it != out.end();) it = it->second.empty() ? out.erase(it) : std::next(it);
  return out;
}

const std::vector<std::string>& values(const FilterArgs& args, const std::string& key) {
  static const std::vector<std::string> kNone;
  auto it = args.find(key);
  return it == args.end() ? kNone : it->second;
}

/// filters.Match: an exact value, else a value that is a regular expression found in `source`
/// (Go's regexp.MatchString is unanchored). A bad expression matches nothing.
class RegexFilter {
 public:
  explicit RegexFilter(const std::vector<std::string>& values) : values_(values) {
    for (const auto& v : values) {
      try {
        regexes_.emplace_back(v, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
      }
    }
  }
  bool active() const { return !values_.empty(); }
  bool match(const std::string& source) const {
    if (std::find(values_.begin(), values_.end(), source) != values_.end()) return true;
    return std::any_of(regexes_.begin(), regexes_.end(),
                       [&](const std::regex& r) { return std::regex_search(source, r); });
  }

 private:
  std::vector<std::string> values_;
  std::vector<std::regex> regexes_;
};

/// "80", "80/udp", "8000-8080/tcp" → (first, last, proto).
struct PortRange {
  int first = 0, last = 0;
  std::string proto;
  bool contains(const std::string& key) const {
    size_t slash = key.find('/');
    int port = std::atoi(key.substr(0, slash).c_str());
    std::string p = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    return p == proto && port >= first && port <= last;
  }
};

PortRange parse_port_range(const std::string& text) {
  PortRange r;
  size_t slash = text.find('/');
  std::string ports = text.substr(0, slash);
  r.proto = slash == std::string::npos ? "tcp" : text.substr(slash + 1);
  size_t dash = ports.find('-');
  r.first = std::atoi(ports.substr(0, dash).c_str());
  r.last = dash == std::string::npos ? r.first : std::atoi(ports.substr(dash + 1).c_str());
  return r;
}

bool any_port_in(const std::vector<PortRange>& ranges, const Json& ports_object) {
  if (!ports_object.is_object()) return false;
  for (const auto& [key, _] : ports_object.items())
    for (const auto& r : ranges)
      if (r.contains(key)) return true;
  return false;
}

const Json& member(const Json& j, const char* key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

/// The networks a container is attached to: NetworkSettings.Networks once networking records
/// them, else its network mode ("none").
std::vector<std::string> network_names(const Json& config) {
  std::vector<std::string> out;
  const Json& networks = member(member(config, "NetworkSettings"), "Networks");
  if (networks.is_object() && !networks.empty()) {
    for (const auto& [name, _] : networks.items()) out.push_back(name);
    return out;
  }
  const Json& mode = member(member(config, "HostConfig"), "NetworkMode");
  if (mode.is_string() && !mode.get<std::string>().empty()) out.push_back(mode.get<std::string>());
  return out;
}

/// One container as read from disk.
struct Candidate {
  std::string id;
  ContainerState state;
  Json config;
  int64_t created_ns = 0;
};

/// Everything the filters need, worked out once.
struct CompiledFilters {
  RegexFilter name, id;
  std::vector<std::pair<std::string, std::optional<std::string>>> labels;
  std::vector<std::string> status, health, volume, network;
  std::vector<int> exited;
  bool ancestor_filter = false;
  std::set<std::string> ancestor_ids;
  std::vector<PortRange> publish, expose;

  explicit CompiledFilters(const FilterArgs& args) : name(values(args, "name")), id(values(args, "id")) {
    for (const auto& l : values(args, "label")) {
      size_t eq = l.find('=');
      if (eq == std::string::npos)
        labels.emplace_back(l, std::nullopt);
      else
        labels.emplace_back(l.substr(0, eq), l.substr(eq + 1));
    }
    status = values(args, "status");
    health = values(args, "health");
    volume = values(args, "volume");
    network = values(args, "network");
    for (const auto& e : values(args, "exited")) exited.push_back(std::atoi(e.c_str()));
    for (const auto& p : values(args, "publish")) publish.push_back(parse_port_range(p));
    for (const auto& p : values(args, "expose")) expose.push_back(parse_port_range(p));
  }

  bool match(const Candidate& c) const {
    std::string cname = c.config.value("Name", "");
    std::string bare = cname.starts_with("/") ? cname.substr(1) : cname;
    if (name.active() && !name.match(cname) && !name.match(bare)) return false;
    if (id.active() && !id.match(c.id)) return false;
    if (!labels.empty()) {
      // filters.MatchKVList: every label filter must hold.
      const Json& have = member(member(c.config, "Config"), "Labels");
      for (const auto& [key, value] : labels) {
        const Json& v = member(have, key.c_str());
        if (v.is_null()) return false;
        if (value && (!v.is_string() || v.get<std::string>() != *value)) return false;
      }
    }
    if (!exited.empty()) {
      bool ok = !c.state.running() && !is_zero_time(c.state.started_at) &&
                std::find(exited.begin(), exited.end(), c.state.exit_code) != exited.end();
      if (!ok) return false;
    }
    if (!status.empty() && std::find(status.begin(), status.end(), c.state.status) == status.end())
      return false;
    if (ancestor_filter && !ancestor_ids.count(c.config.value("Image", ""))) return false;
    if (!health.empty()) {
      std::string h = c.state.health.is_object() ? c.state.health.value("Status", "none") : "none";
      if (std::find(health.begin(), health.end(), h) == health.end()) return false;
    }
    if (!volume.empty()) {
      bool found = false;
      const Json& mounts = member(c.config, "Mounts");
      if (mounts.is_array()) {
        for (const auto& m : mounts) {
          for (const char* field : {"Name", "Source", "Destination"}) {
            const Json& v = member(m, field);
            if (v.is_string() &&
                std::find(volume.begin(), volume.end(), v.get<std::string>()) != volume.end())
              found = true;
          }
        }
      }
      if (!found) return false;
    }
    if (!network.empty()) {
      auto names = network_names(c.config);
      if (std::none_of(names.begin(), names.end(), [&](const std::string& n) {
            return std::find(network.begin(), network.end(), n) != network.end();
          }))
        return false;
    }
    if (!publish.empty() && !any_port_in(publish, member(member(c.config, "HostConfig"), "PortBindings")))
      return false;
    if (!expose.empty() && !any_port_in(expose, member(member(c.config, "Config"), "ExposedPorts")) &&
        !any_port_in(expose, member(member(c.config, "HostConfig"), "PortBindings")))
      return false;
    return true;
  }
};

/// Image IDs matching `ancestor=` values: the image itself and every image built on it (its
/// layers a strict prefix of theirs), as docker's ancestor filter walks the image's children.
std::set<std::string> ancestor_image_ids(const StorePaths& paths, const std::vector<std::string>& names) {
  ImageStore images(paths);
  std::set<std::string> out;
  std::vector<Image> all;
  bool listed = false;
  for (const auto& n : names) {
    std::optional<Image> img;
    try {
      img = images.find(n);
    } catch (const Error&) {
    }
    if (!img) continue;  // docker only warns: an unknown ancestor matches nothing
    out.insert(img->id);
    if (!listed) {
      all = images.list();
      listed = true;
    }
    std::vector<std::string> base = img->diff_ids();
    for (const auto& other : all) {
      std::vector<std::string> layers = other.diff_ids();
      if (layers.size() > base.size() && std::equal(base.begin(), base.end(), layers.begin()))
        out.insert(other.id);
    }
  }
  return out;
}

int64_t now_ns() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// docker's TruncateID: the part after "sha256:", cut to 12 characters.
std::string truncate_id(std::string_view id) {
  size_t colon = id.find(':');
  if (colon != std::string_view::npos) id.remove_prefix(colon + 1);
  return std::string(id.substr(0, 12));
}

/// The IMAGE column (ContainerContext.Image): the reference the user gave while it still
/// names the container's image, else the image ID; shortened unless --no-trunc.
std::string image_column(const std::string& shown, const std::string& image_id, bool trunc) {
  if (shown.empty()) return "<no image>";
  if (!trunc) return shown;
  if (truncate_id(image_id) == truncate_id(shown)) return truncate_id(shown);
  try {
    Reference ref = parse_reference(shown);
    // The familiar form, without a digest, and with the tag only if one was written.
    std::string_view text = shown;
    text = text.substr(0, text.find('@'));
    size_t slash = text.rfind('/');
    bool tagged = text.find(':', slash == std::string_view::npos ? 0 : slash) != std::string_view::npos;
    std::string out = ref.familiar_repository();
    if (tagged && !ref.tag.empty()) out += ":" + ref.tag;
    return out;
  } catch (const Error&) {
    return shown;
  }
}

std::string labels_column(const Json& labels) {
  if (!labels.is_object()) return "";
  std::vector<std::string> pairs;
  for (const auto& [k, v] : labels.items())
    pairs.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& p : pairs) {
    if (!out.empty()) out += ',';
    out += p;
  }
  return out;
}

std::string mounts_column(const Json& mounts, bool trunc, int& local_volumes) {
  local_volumes = 0;
  std::string out;
  if (!mounts.is_array()) return out;
  for (const auto& m : mounts) {
    std::string name = m.value("Name", "");
    if (name.empty()) name = m.value("Source", "");
    if (trunc) name = ellipsis(name, 15);
    if (m.value("Driver", "") == "local") ++local_volumes;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

std::vector<Candidate> read_candidates(const ContainerStore& store, bool all) {
  std::vector<Candidate> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(store.paths().containers().c_str()), ::closedir);
  if (!d) return out;
  while (dirent* ent = ::readdir(d.get())) {
    std::string id = ent->d_name;
    if (id.size() != 64) continue;  // ".", "..", retired ".trash-<id>" directories
    Candidate c;
    c.id = std::move(id);
    c.state = store.live_state(c.id);
    if (!all && !c.state.running()) continue;
    // No config.json: a creation still under way, or a removal that has just happened.
    auto text = read_file_if_exists(store.dir(c.id) + "/config.json");
    if (!text) continue;
    try {
      c.config = Json::parse(*text);
    } catch (const std::exception&) {
      continue;
    }
    c.created_ns = parse_rfc3339_ns(c.config.value("Created", ""));
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    return a.created_ns != b.created_ns ? a.created_ns > b.created_ns : a.id < b.id;
  });
  return out;
}

}  // namespace

std::vector<Json> container_list_rows(const StorePaths& paths, const ContainerListOptions& options) {
  const FilterArgs args = parse_filters(options.filters);
  ContainerStore store(paths);

  // before=X / since=X: containers created before / after X.
  auto created_of = [&](const std::string& key) -> std::optional<int64_t> {
    std::optional<int64_t> out;
    for (const auto& v : values(args, key))
      out = parse_rfc3339_ns(store.load_config(store.resolve(v)).value("Created", ""));
    return out;
  };
  std::optional<int64_t> before = created_of("before"), since = created_of("since");
  // docker shows stopped containers with -a, -n, a status filter, or before/since.
  bool all = options.all || options.last > 0 || args.count("status") || before || since;
  CompiledFilters filters(args);
  if (args.count("ancestor")) {
    filters.ancestor_filter = true;
    filters.ancestor_ids = ancestor_image_ids(paths, values(args, "ancestor"));
  }

  std::vector<Candidate> shown;
  for (auto& c : read_candidates(store, all)) {
    if (options.last > 0 && static_cast<int>(shown.size()) == options.last) break;
    if (before && c.created_ns >= *before) continue;
    if (since && c.created_ns <= *since) continue;
    if (!filters.match(c)) continue;
    shown.push_back(std::move(c));
  }

  std::vector<int64_t> rw_sizes;
  if (options.size) {
    std::vector<std::string> ids;
    for (const auto& c : shown) ids.push_back(c.id);
    rw_sizes = writable_layer_sizes(paths, ids);
  }

  ImageStore images(paths);
  // Config.Image → the ID it names now ("" when nothing), and image ID → size: once each.
  std::map<std::string, std::string> resolved;
  std::map<std::string, int64_t> image_sizes;
  auto current_id = [&](const std::string& ref) -> const std::string& {
    auto it = resolved.find(ref);
    if (it != resolved.end()) return it->second;
    std::string id;
    try {
      if (auto img = images.find(ref)) {
        id = img->id;
        image_sizes.emplace(img->id, img->size);
      }
    } catch (const Error&) {
    }
    return resolved.emplace(ref, id).first->second;
  };

  bool trunc = !options.no_trunc;
  int64_t now = now_ns();
  std::vector<Json> rows;
  rows.reserve(shown.size());
  for (size_t i = 0; i < shown.size(); ++i) {
    const Candidate& c = shown[i];
    const Json& cfg = member(c.config, "Config");
    std::string image_id = c.config.value("Image", "");
    std::string typed = cfg.value("Image", "");
    std::string image = typed;
    if (typed != image_id && current_id(typed) != image_id) image = image_id;

    std::string size = "0B";
    if (options.size) {
      int64_t image_size = 0;
      if (!image_sizes.count(image_id)) current_id(image_id);
      if (auto it = image_sizes.find(image_id); it != image_sizes.end()) image_size = it->second;
      size = size_text(rw_sizes[i], image_size + rw_sizes[i]);
    }
    int local_volumes = 0;
    std::string mounts = mounts_column(member(c.config, "Mounts"), trunc, local_volumes);
    std::string networks;
    for (const auto& n : network_names(c.config)) networks += (networks.empty() ? "" : ",") + n;
    std::string command = container_command_text(c.config);
    std::string name = c.config.value("Name", "");
    if (name.starts_with("/")) name.erase(0, 1);
    int64_t created_s = c.created_ns / 1000000000;

    Json row = Json::object();
    row["Command"] = gofmt::quote(trunc ? ellipsis(command, 20) : command);
    row["CreatedAt"] = go_local_time(created_s);
    row["ID"] = trunc ? c.id.substr(0, 12) : c.id;
    row["Image"] = image_column(image, image_id, trunc);
    row["Labels"] = labels_column(member(cfg, "Labels"));
    row["LocalVolumes"] = std::to_string(local_volumes);
    row["Mounts"] = mounts;
    row["Names"] = name;
    row["Networks"] = networks;
    row["Ports"] = displayable_ports(port_summaries(published_ports(c.config, c.state.running())));
    // RunningFor counts from the creation time cut to whole seconds, as docker's API has it.
    row["RunningFor"] = human_duration((now - created_s * 1000000000) / 1000000000) + " ago";
    row["Size"] = size;
    row["State"] = c.state.status;
    row["Status"] = container_status_text(c.state, now);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace tug
