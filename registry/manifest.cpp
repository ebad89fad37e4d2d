// Manifest parsing and platform selection. The fallback rules follow containerd's platform
// matcher (docker uses it), so `--platform` picks what docker would.
#include "registry/manifest.hpp"

#include <sys/utsname.h>

#include <algorithm>

#include "util/error.hpp"
#include "util/json.hpp"
#include "util/sha256.hpp"

namespace tug {

bool is_index_media_type(std::string_view type) {
  return type == media_type::kOciIndex || type == media_type::kDockerManifestList;
}

bool is_manifest_media_type(std::string_view type) {
  return type == media_type::kOciManifest || type == media_type::kDockerManifest;
}

std::string Platform::str() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  return out;
}

Platform normalize_platform(Platform p) {
  std::transform(p.os.begin(), p.os.end(), p.os.begin(), ::tolower);
  std::string& arch = p.architecture;
  std::string& var = p.variant;
  std::transform(arch.begin(), arch.end(), arch.begin(), ::tolower);
  std::transform(var.begin(), var.end(), var.begin(), ::tolower);
  if (arch == "i386") {
    arch = "386";
    var.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (var == "v1") var.clear();
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (var.empty() || var == "8" || var == "v8.0") var = "v8";
  } else if (arch == "armhf") {
    arch = "arm";
    var = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    var = "v6";
  } else if (arch == "arm") {
    if (var.empty() || var == "7") var = "v7";
    if (var == "5" || var == "6" || var == "8") var = "v" + var;
  }
  return p;
}

Platform parse_platform(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = text.find('/', start);
    parts.emplace_back(
        text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  bool bad = parts.size() > 3 ||
             std::any_of(parts.begin(), parts.end(), [](const std::string& s) { return s.empty(); });
  if (bad) fail("\"{}\": unknown operating system or architecture: invalid argument", text);
  Platform p;
  if (parts.size() == 1) {
    // A bare OS name ("linux") means the host's architecture; anything else is an architecture.
    if (parts[0] == "linux") return host_platform();
    p.architecture = parts[0];
  } else {
    p.os = parts[0];
    p.architecture = parts[1];
    if (parts.size() == 3) p.variant = parts[2];
  }
  return normalize_platform(p);
}

Platform host_platform() {
  struct utsname u {};
  ::uname(&u);
  Platform p;
  p.architecture = u.machine;
  if (p.architecture.rfind("armv", 0) == 0) {
    p.variant = "v" + p.architecture.substr(4, 1);
    p.architecture = "arm";
  }
  return normalize_platform(p);
}

namespace {

std::string json_string(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Json parse_json_object(std::string_view body, const char* what) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) fail("invalid {}: not a JSON object", what);
  return doc;
}

Descriptor parse_descriptor(const Json& d, const char* what) {
  if (!d.is_object()) fail("invalid {}: descriptor is not an object", what);
  Descriptor out;
  out.media_type = json_string(d, "mediaType");
  out.digest = json_string(d, "digest");
  if (!is_sha256_digest(out.digest)) fail("invalid {}: unsupported digest \"{}\"", what, out.digest);
  auto size = d.find("size");
  if (size == d.end() || !size->is_number_integer() || size->get<int64_t>() < 0)
    fail("invalid {}: descriptor {} has no valid size", what, out.digest);
  out.size = size->get<int64_t>();
  auto platform = d.find("platform");
  if (platform != d.end() && platform->is_object()) {
    Platform p;
    p.os = json_string(*platform, "os");
    p.architecture = json_string(*platform, "architecture");
    p.variant = json_string(*platform, "variant");
    out.platform = normalize_platform(p);
  }
  return out;
}

std::string effective_type(const Json& doc, std::string_view served) {
  std::string body_type = json_string(doc, "mediaType");
  // Registries may serve a generic Content-Type; the body's own mediaType is then the truth.
  if (served.empty() || served == "application/json" || served == "application/octet-stream" ||
      served == "text/plain")
    return body_type;
  return std::string(served);
}

}  // namespace

ImageManifest parse_image_manifest(std::string_view body, std::string_view served_type) {
  Json doc = parse_json_object(body, "manifest");
  if (doc.value("schemaVersion", 0) == 1)
    fail(
        "unsupported manifest: Docker schema 1 images are deprecated and not supported; push it again with a "
        "current tool");
  ImageManifest m;
  m.media_type = effective_type(doc, served_type);
  if (m.media_type.empty() && doc.contains("config")) m.media_type = media_type::kOciManifest;
  if (!is_manifest_media_type(m.media_type)) fail("unsupported manifest media type \"{}\"", m.media_type);
  if (!doc.contains("config")) fail("invalid manifest: no config");
  m.config = parse_descriptor(doc["config"], "manifest config");
  auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_array()) fail("invalid manifest: no layers");
  for (const auto& l : *layers) m.layers.push_back(parse_descriptor(l, "manifest layer"));
  return m;
}

ImageIndex parse_image_index(std::string_view body, std::string_view served_type) {
  Json doc = parse_json_object(body, "image index");
  ImageIndex index;
  index.media_type = effective_type(doc, served_type);
  if (index.media_type.empty() && doc.contains("manifests")) index.media_type = media_type::kOciIndex;
  if (!is_index_media_type(index.media_type))
    fail("unsupported image index media type \"{}\"", index.media_type);
  auto manifests = doc.find("manifests");
  if (manifests == doc.end() || !manifests->is_array()) fail("invalid image index: no manifests");
  for (const auto& d : *manifests) index.manifests.push_back(parse_descriptor(d, "image index entry"));
  return index;
}

namespace {

// Acceptable (architecture, variant) pairs for `want`, best first.
std::vector<std::pair<std::string, std::string>> compatible(const Platform& want) {
  std::vector<std::pair<std::string, std::string>> out{{want.architecture, want.variant}};
  auto minor_of = [](const std::string& v, const char* major) -> int {
    std::string prefix = std::string(major) + ".";
    if (v.rfind(prefix, 0) != 0) return 0;
    return std::atoi(v.c_str() + prefix.size());
  };
  if (want.architecture == "arm64") {
    const std::string& v = want.variant;
    if (v.rfind("v9", 0) == 0) {
      int minor = minor_of(v, "v9");
      for (int m = minor - 1; m >= 0; --m)
        out.push_back({"arm64", m == 0 ? "v9" : "v9." + std::to_string(m)});
      for (int m = minor + 5; m >= 0; --m)
        out.push_back({"arm64", m == 0 ? "v8" : "v8." + std::to_string(m)});
    } else {
      int minor = minor_of(v, "v8");
      for (int m = minor - 1; m >= 0; --m)
        out.push_back({"arm64", m == 0 ? "v8" : "v8." + std::to_string(m)});
    }
    for (const char* arm : {"v8", "v7", "v6", "v5"}) out.push_back({"arm", arm});
  } else if (want.architecture == "arm") {
    int level = want.variant.size() == 2 ? want.variant[1] - '0' : 7;
    for (int l = level - 1; l >= 5; --l) out.push_back({"arm", "v" + std::to_string(l)});
  } else if (want.architecture == "amd64") {
    int level = want.variant.size() == 2 && want.variant[0] == 'v' ? want.variant[1] - '0' : 1;
    for (int l = level - 1; l >= 1; --l) out.push_back({"amd64", l == 1 ? "" : "v" + std::to_string(l)});
    out.push_back({"386", ""});
  }
  return out;
}

}  // namespace

std::optional<Descriptor> select_platform(const ImageIndex& index, const Platform& want_raw) {
  Platform want = normalize_platform(want_raw);
  auto order = compatible(want);
  std::optional<Descriptor> best;
  size_t best_rank = order.size();
  for (const auto& d : index.manifests) {
    if (!d.platform) continue;
    const Platform& p = *d.platform;
    if (p.os != want.os || p.os == "unknown") continue;
    for (size_t rank = 0; rank < best_rank; ++rank) {
      if (order[rank].first == p.architecture && order[rank].second == p.variant) {
        best = d;
        best_rank = rank;
        break;
      }
    }
  }
  return best;
}

}  // namespace tug
