// Image store files: blobs/sha256/<hex>, layers/<hex>/{diff,size}, images/<hex>.json and
// tags.json. Tag updates are read-modify-write under tags.lock; layer and blob removal
// takes store.lock exclusively, so it never races an import or pull (which hold it shared).
#include "core/image_store.hpp"

#include <dirent.h>

#include <algorithm>
#include <memory>
#include <set>

#include "registry/reference.hpp"
#include "util/error.hpp"
#include "util/file_lock.hpp"
#include "util/file_util.hpp"
#include "util/sha256.hpp"

namespace tug {

std::vector<std::string> Image::diff_ids() const {
  std::vector<std::string> out;
  if (config.contains("rootfs") && config["rootfs"].contains("diff_ids"))
    for (const auto& d : config["rootfs"]["diff_ids"]) out.push_back(d.get<std::string>());
  return out;
}

std::string ImageStore::blob_path(const std::string& digest) const {
  if (!is_sha256_digest(digest)) fail("invalid digest {}", digest);
  return paths_.blobs() + "/" + std::string(digest_hex(digest));
}

bool ImageStore::has_blob(const std::string& digest) const { return path_exists(blob_path(digest)); }

std::string ImageStore::put_blob(std::string_view data) {
  std::string digest = sha256_digest(data);
  std::string path = blob_path(digest);
  if (!path_exists(path)) write_file_atomic(path, data, 0644);
  return digest;
}

std::string ImageStore::read_blob(const std::string& digest) const { return read_file(blob_path(digest)); }

std::string ImageStore::layer_path(const std::string& diff_id) const {
  if (!is_sha256_digest(diff_id)) fail("invalid layer digest {}", diff_id);
  return paths_.layers() + "/" + std::string(digest_hex(diff_id));
}

bool ImageStore::has_layer(const std::string& diff_id) const {
  return path_exists(layer_path(diff_id) + "/size");
}

int64_t ImageStore::layer_size(const std::string& diff_id) const {
  auto s = read_file_if_exists(layer_path(diff_id) + "/size");
  return s ? std::stoll(*s) : 0;
}

Json ImageStore::read_tags() const {
  auto text = read_file_if_exists(paths_.tags_file());
  if (!text || text->empty()) return Json::object();
  return Json::parse(*text);
}

std::optional<Image> ImageStore::load(const std::string& image_id) const {
  auto record_text = read_file_if_exists(paths_.images() + "/" + std::string(digest_hex(image_id)) + ".json");
  if (!record_text) return std::nullopt;
  Json record = Json::parse(*record_text);
  Image img;
  img.id = image_id;
  img.manifest_digest = record.value("manifest", "");
  img.manifest = Json::parse(read_blob(img.manifest_digest));
  img.config = Json::parse(read_blob(image_id));
  for (const auto& d : img.diff_ids()) img.size += layer_size(d);
  Json tags = read_tags();
  for (auto it = tags.begin(); it != tags.end(); ++it)
    if (it.value() == image_id) img.repo_tags.push_back(it.key());
  if (record.contains("repo_digests"))
    for (const auto& d : record["repo_digests"]) img.repo_digests.push_back(d.get<std::string>());
  img.intermediate = record.value("intermediate", false);
  return img;
}

Image ImageStore::add_image(const std::string& manifest_digest, const std::vector<std::string>& tags,
                            const std::vector<std::string>& repo_digests, bool intermediate) {
  Json manifest = Json::parse(read_blob(manifest_digest));
  std::string config_digest = manifest["config"]["digest"].get<std::string>();
  std::string record_path = paths_.images() + "/" + std::string(digest_hex(config_digest)) + ".json";
  {
    // Read-modify-write of the record: two pulls of one image from two repositories both
    // keep their repo digest.
    FileLock lock(paths_.tags_lock(), FileLock::Mode::kExclusive);
    Json digests = Json::array();
    if (auto old = read_file_if_exists(record_path)) {
      Json record = Json::parse(*old, nullptr, false);
      if (record.is_object() && record.contains("repo_digests") && record["repo_digests"].is_array())
        digests = record["repo_digests"];
      if (!record.is_object() || !record.value("intermediate", false)) intermediate = false;
    }
    for (const auto& d : repo_digests)
      if (std::find(digests.begin(), digests.end(), Json(d)) == digests.end()) digests.push_back(d);
    Json record = {{"manifest", manifest_digest}};
    if (!digests.empty()) record["repo_digests"] = digests;
    if (intermediate) record["intermediate"] = true;
    write_file_atomic(record_path, record.dump());
  }
  for (const auto& t : tags) tag(config_digest, t);
  return *load(config_digest);
}

bool ImageStore::has_complete_image(const std::string& image_id) const {
  auto record_text = read_file_if_exists(paths_.images() + "/" + std::string(digest_hex(image_id)) + ".json");
  if (!record_text) return false;
  Json record = Json::parse(*record_text, nullptr, false);
  if (!record.is_object() || !record.contains("manifest")) return false;
  std::string manifest_digest = record["manifest"].get<std::string>();
  if (!has_blob(manifest_digest) || !has_blob(image_id)) return false;
  Json manifest = Json::parse(read_blob(manifest_digest), nullptr, false);
  Json config = Json::parse(read_blob(image_id), nullptr, false);
  if (!manifest.is_object() || !config.is_object()) return false;
  for (const auto& l : manifest.value("layers", Json::array()))
    if (!has_blob(l.value("digest", ""))) return false;
  if (!config.contains("rootfs")) return false;
  for (const auto& d : config["rootfs"].value("diff_ids", Json::array()))
    if (!has_layer(d.get<std::string>())) return false;
  return true;
}

std::optional<std::string> ImageStore::tagged_id(const std::string& full_ref) const {
  Json tags = read_tags();
  auto it = tags.find(full_ref);
  if (it == tags.end()) return std::nullopt;
  return it.value().get<std::string>();
}

std::optional<Image> ImageStore::find(const std::string& name) const {
  if (name.empty()) return std::nullopt;
  // A tag wins over an ID prefix that happens to look like hex, as in docker.
  try {
    Reference ref = parse_reference(name);
    Json tags = read_tags();
    if (ref.digest.empty()) {
      auto it = tags.find(ref.full());
      if (it != tags.end()) return load(it.value().get<std::string>());
    } else {
      for (const auto& img : list())
        for (const auto& d : img.repo_digests)
          if (d == ref.repository() + "@" + ref.digest) return img;
    }
  } catch (const Error&) {
    // Not a valid reference: may still be an ID.
  }
  if (!looks_like_image_id(name)) return std::nullopt;
  std::string hex(digest_hex(name));
  std::optional<std::string> match;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(paths_.images().c_str()), ::closedir);
  if (!dir) return std::nullopt;
  while (dirent* ent = ::readdir(dir.get())) {
    std::string_view file = ent->d_name;
    if (!file.ends_with(".json") || file.size() != 64 + 5) continue;
    if (file.substr(0, hex.size()) != hex) continue;
    if (match) fail("image ID prefix {} is ambiguous", name);
    match = "sha256:" + std::string(file.substr(0, 64));
  }
  return match ? load(*match) : std::nullopt;
}

Image ImageStore::resolve(const std::string& name) const {
  auto img = find(name);
  if (!img) fail("No such image: {}", name);
  return *img;
}

std::vector<Image> ImageStore::list() const {
  std::vector<Image> out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(paths_.images().c_str()), ::closedir);
  if (!dir) return out;
  while (dirent* ent = ::readdir(dir.get())) {
    std::string_view file = ent->d_name;
    if (!file.ends_with(".json") || file.size() != 64 + 5) continue;
    if (auto img = load("sha256:" + std::string(file.substr(0, 64)))) out.push_back(std::move(*img));
  }
  return out;
}

void ImageStore::tag(const std::string& image_id, const std::string& full_ref) {
  FileLock lock(paths_.tags_lock(), FileLock::Mode::kExclusive);
  Json tags = read_tags();
  tags[full_ref] = image_id;
  write_file_atomic(paths_.tags_file(), tags.dump(1));
}

bool ImageStore::untag(const std::string& full_ref) {
  FileLock lock(paths_.tags_lock(), FileLock::Mode::kExclusive);
  Json tags = read_tags();
  if (!tags.contains(full_ref)) return false;
  tags.erase(full_ref);
  write_file_atomic(paths_.tags_file(), tags.dump(1));
  return true;
}

void ImageStore::remove_image(const std::string& image_id) {
  FileLock store_lock(paths_.store_lock(), FileLock::Mode::kExclusive);
  ::unlink((paths_.images() + "/" + std::string(digest_hex(image_id)) + ".json").c_str());
  // Everything still referenced by a remaining image stays.
  std::set<std::string> keep_blobs, keep_layers;
  for (const auto& img : list()) {
    keep_blobs.insert(img.id);
    keep_blobs.insert(img.manifest_digest);
    for (const auto& l : img.manifest.value("layers", Json::array()))
      keep_blobs.insert(l["digest"].get<std::string>());
    for (const auto& d : img.diff_ids()) keep_layers.insert(d);
  }
  auto sweep = [](const std::string& dir_path, const std::set<std::string>& keep, bool tree) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_path.c_str()), ::closedir);
    if (!dir) return;
    std::vector<std::string> doomed;
    while (dirent* ent = ::readdir(dir.get())) {
      std::string name = ent->d_name;
      if (name.size() != 64 || name.find('.') != std::string::npos) continue;
      if (!keep.count("sha256:" + name)) doomed.push_back(name);
    }
    for (const auto& name : doomed) {
      std::string path = dir_path + "/" + name;
      if (tree) {
        remove_tree(path);
      } else {
        ::unlink(path.c_str());
      }
    }
  };
  sweep(paths_.blobs(), keep_blobs, false);
  sweep(paths_.layers(), keep_layers, true);
}

}  // namespace tug
