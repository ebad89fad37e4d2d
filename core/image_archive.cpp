// What save and load share: member names, docker-archive manifest.json and repositories, the
// manifest tug records for a loaded docker-archive image, OCI descriptor names. No I/O here.
#include "core/image_archive.hpp"

#include <map>

#include "util/error.hpp"
#include "util/sha256.hpp"

namespace tug {

namespace {

// Calls `part` for every component of a '/'-separated path, empty ones included.
template <typename F>
void for_each_component(std::string_view path, F&& part) {
  size_t pos = 0;
  for (;;) {
    size_t slash = path.find('/', pos);
    part(path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos));
    if (slash == std::string_view::npos) return;
    pos = slash + 1;
  }
}

std::string join_components(const std::vector<std::string_view>& parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::vector<std::string> string_list(const Json& j, const char* what) {
  std::vector<std::string> out;
  if (j.is_null()) return out;
  if (!j.is_array()) fail("manifest.json: {} is not a list", what);
  for (const auto& v : j) {
    if (!v.is_string()) fail("manifest.json: {} holds a non-string", what);
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

ArchiveFormat parse_archive_format(std::string_view name) {
  if (name == "docker-archive" || name == "docker") return ArchiveFormat::kDocker;
  if (name == "oci-archive" || name == "oci") return ArchiveFormat::kOci;
  fail("unsupported archive format \"{}\": use docker-archive or oci-archive", name);
}

std::string clean_archive_path(std::string_view name) {
  if (name.starts_with('/')) fail("archive member \"{}\" has an absolute path", name);
  std::vector<std::string_view> parts;
  for_each_component(name, [&](std::string_view part) {
    if (part == "..") fail("archive member \"{}\" leaves the archive (..)", name);
    if (!part.empty() && part != ".") parts.push_back(part);
  });
  return join_components(parts);
}

std::string resolve_archive_link(std::string_view entry, std::string_view target) {
  if (target.starts_with('/')) fail("archive link \"{}\" -> \"{}\" is absolute", entry, target);
  std::vector<std::string_view> parts;
  for_each_component(entry, [&](std::string_view part) { parts.push_back(part); });
  parts.pop_back();  // the link's own name: targets are relative to its directory
  for_each_component(target, [&](std::string_view part) {
    if (part == "..") {
      if (parts.empty()) fail("archive link \"{}\" -> \"{}\" leaves the archive", entry, target);
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
  });
  return join_components(parts);
}

std::string docker_manifest_json(const std::vector<DockerArchiveImage>& images) {
  Json out = Json::array();
  for (const auto& img : images) {
    Json tags = img.repo_tags.empty() ? Json(nullptr) : Json(img.repo_tags);
    out.push_back(Json{{"Config", img.config}, {"RepoTags", tags}, {"Layers", img.layers}});
  }
  return out.dump() + "\n";
}

std::vector<DockerArchiveImage> parse_docker_manifest(std::string_view text) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) fail("manifest.json is not valid JSON");
  if (!doc.is_array()) fail("manifest.json is not a list of images");
  std::vector<DockerArchiveImage> out;
  for (const auto& entry : doc) {
    if (!entry.is_object()) fail("manifest.json: an image entry is not an object");
    auto config = entry.find("Config");
    if (config == entry.end() || !config->is_string() || config->get<std::string>().empty())
      fail("manifest.json: an image has no Config");
    DockerArchiveImage img;
    img.config = clean_archive_path(config->get<std::string>());
    img.repo_tags = string_list(entry.value("RepoTags", Json(nullptr)), "RepoTags");
    for (const auto& l : string_list(entry.value("Layers", Json(nullptr)), "Layers"))
      img.layers.push_back(clean_archive_path(l));
    out.push_back(std::move(img));
  }
  return out;
}

std::string docker_repositories_json(const std::vector<DockerArchiveImage>& images) {
  Json out = Json::object();
  for (const auto& img : images) {
    if (img.layers.empty()) continue;
    const std::string& top = img.layers.back();
    std::string top_id = top.substr(0, top.find('/'));
    for (const auto& t : img.repo_tags) {
      size_t colon = t.rfind(':');
      if (colon == std::string::npos || t.find('/', colon) != std::string::npos) continue;
      out[t.substr(0, colon)][t.substr(colon + 1)] = top_id;
    }
  }
  return out.dump() + "\n";
}

std::string synthesize_manifest(const std::string& config_digest, int64_t config_size,
                                const std::vector<LayerDescriptor>& layers) {
  Json layer_list = Json::array();
  for (const auto& l : layers)
    layer_list.push_back(Json{{"mediaType", l.media_type}, {"digest", l.digest}, {"size", l.size}});
  Json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config",
                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", config_digest},
                     {"size", config_size}}},
                   {"layers", layer_list}};
  return manifest.dump();
}

std::string oci_descriptor_name(const Json& descriptor) {
  if (!descriptor.is_object()) return "";
  auto ann = descriptor.find("annotations");
  if (ann == descriptor.end() || !ann->is_object()) return "";
  for (const char* key : {"io.containerd.image.name", "org.opencontainers.image.ref.name"}) {
    auto it = ann->find(key);
    if (it != ann->end() && it->is_string() && !it->get<std::string>().empty()) return it->get<std::string>();
  }
  return "";
}

std::string oci_blob_path(const std::string& digest) {
  if (!is_sha256_digest(digest)) fail("unsupported or malformed digest \"{}\"", digest);
  return "blobs/sha256/" + std::string(digest_hex(digest));
}

}  // namespace tug
