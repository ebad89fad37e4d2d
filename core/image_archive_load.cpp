// `tug load`: one pass over a docker-archive or OCI-archive tar. Members whose role is already
// known (manifest.json or index.json came first, as tug writes them) are imported as layers
// while they stream past; the others are kept in memory (small) or spooled under tmp/ (large)
// until the metadata at the end of the archive says what they are. Everything is verified
// (member digests, diff_ids against the configs) before any image is recorded; a failure
// removes the layers and blobs this load added, so the store is as it was.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/image_archive.hpp"
#include "core/layer_import.hpp"
#include "core/userns.hpp"
#include "fs/compression.hpp"
#include "registry/reference.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_lock.hpp"
#include "util/file_util.hpp"
#include "util/sha256.hpp"

namespace tug {

namespace {

constexpr size_t kReadBufferSize = 256 * 1024;
constexpr int64_t kInMemoryMax = 1 << 20;      // members up to 1 MiB stay in memory...
constexpr int64_t kInMemoryBudget = 64 << 20;  // ...while they add up to less than 64 MiB
constexpr int64_t kMetadataMax = 64 << 20;     // manifest.json, index.json, configs (read back if spooled)
constexpr int kMaxLinkHops = 16;

constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The outer tar, read with libarchive from a ByteSource.
class TarReader {
 public:
  explicit TarReader(ByteSource& src) : src_(src), archive_(archive_read_new()) {
    if (!archive_) fail("cannot allocate a tar reader");
    archive_read_support_format_tar(archive_.get());
    if (archive_read_open(archive_.get(), this, nullptr, read_callback, nullptr) != ARCHIVE_OK)
      failed(ARCHIVE_FATAL);
  }

  /// The next member, or nullptr at the end of the archive.
  archive_entry* next() {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(archive_.get(), &entry);
    if (rc == ARCHIVE_EOF) return nullptr;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) failed(rc);
    started_ = true;
    return entry;
  }

  /// Reads the current member's content; 0 at its end.
  size_t read_data(void* buf, size_t n) {
    la_ssize_t got = archive_read_data(archive_.get(), buf, n);
    if (got < 0) failed(static_cast<int>(got));
    return static_cast<size_t>(got);
  }

 private:
  struct Free {
    void operator()(struct archive* a) const { archive_read_free(a); }
  };

  // Exceptions must not unwind through libarchive's C frames: park them, rethrow in failed().
  static la_ssize_t read_callback(struct archive*, void* self, const void** out) {
    auto* r = static_cast<TarReader*>(self);
    try {
      size_t got = r->src_.read(r->buf_.data(), r->buf_.size());
      if (got == 0) r->eof_ = true;
      r->bytes_ += got;
      *out = r->buf_.data();
      return static_cast<la_ssize_t>(got);
    } catch (...) {
      r->error_ = std::current_exception();
      return -1;
    }
  }

  [[noreturn]] void failed(int rc) {
    if (error_) std::rethrow_exception(error_);
    const char* msg = archive_error_string(archive_.get());
    if (bytes_ == 0) fail("the archive is empty");
    if (!started_) fail("not a tar archive: {}", msg ? msg : "unknown error");
    std::string why = msg ? msg : "unknown error";
    if (eof_ && rc != ARCHIVE_RETRY) fail("the archive is truncated ({} bytes): {}", bytes_, why);
    fail("not a valid tar archive: {}", why);
  }

  ByteSource& src_;
  std::unique_ptr<struct archive, Free> archive_;
  std::vector<char> buf_ = std::vector<char>(kReadBufferSize);
  bool eof_ = false;
  bool started_ = false;  // a first header was read: the input is a tar
  uint64_t bytes_ = 0;
  std::exception_ptr error_;
};

/// The current member's content as a ByteSource (for import_layer).
class MemberSource final : public ByteSource {
 public:
  explicit MemberSource(TarReader& tar) : tar_(tar) {}
  size_t read(void* buf, size_t n) override { return tar_.read_data(buf, n); }

 private:
  TarReader& tar_;
};

/// What the loader keeps of one member until it knows what the member is.
struct Member {
  bool is_link = false;
  std::string link_target;  ///< symlinks: as written; hardlinks: a cleaned archive path
  bool symlink = false;
  int64_t size = 0;
  std::string digest;  ///< sha256 of the content
  Compression compression = Compression::kNone;
  std::optional<std::string> data;     ///< content kept in memory
  std::string spool;                   ///< or: the file holding it
  std::optional<ImportedLayer> layer;  ///< or: imported as a layer while streaming
};

/// A directory under the store's tmp/ removed with everything in it on every exit path.
/// Named .tmp-*, so a killed tug's leftovers are swept by clean_stale_temporaries().
struct SpoolDir {
  std::string path;
  ~SpoolDir() {
    if (path.empty()) return;
    try {
      remove_tree(path);
    } catch (const Error&) {
    }
  }
};

/// One layer of an image to load: which member holds it and what it must be.
struct PlannedLayer {
  std::string member;
  std::string diff_id;      ///< from the image config
  std::string blob_digest;  ///< OCI: the manifest's layer digest; docker-archive: ""
  int64_t blob_size = -1;   ///< OCI: the manifest's size; -1 unknown
};

/// One image to load.
struct PlannedImage {
  std::string config;                ///< the config JSON, byte for byte
  std::string manifest;              ///< OCI: the manifest, byte for byte; docker-archive: ""
  std::vector<PlannedLayer> layers;  ///< bottom first
  std::vector<std::string> tags;     ///< full references
  std::vector<ImportedLayer> imported;
};

Json parse_json_object(const std::string& text, const std::string& what) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) fail("{} is not a JSON object", what);
  return j;
}

std::string string_field(const Json& j, const char* key, const std::string& what) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) fail("{} has no \"{}\"", what, key);
  return it->get<std::string>();
}

std::vector<std::string> config_diff_ids(const Json& config, const std::string& what) {
  auto rootfs = config.find("rootfs");
  if (rootfs == config.end() || !rootfs->is_object() || !rootfs->contains("diff_ids") ||
      !(*rootfs)["diff_ids"].is_array())
    fail("image config {} has no rootfs.diff_ids", what);
  std::vector<std::string> out;
  for (const auto& d : (*rootfs)["diff_ids"]) {
    if (!d.is_string() || !is_sha256_digest(d.get<std::string>()))
      fail("image config {} has a malformed diff_id", what);
    out.push_back(d.get<std::string>());
  }
  return out;
}

std::string host_architecture() {
  struct utsname uts {};
  ::uname(&uts);
  std::string_view m = uts.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m.starts_with("arm")) return "arm";
  return std::string(m);
}

std::set<std::string> digests_in(const std::string& dir) {
  std::set<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return out;
  while (dirent* ent = ::readdir(d.get())) {
    std::string name = ent->d_name;
    if (name.size() == 64 && name.find('.') == std::string::npos) out.insert("sha256:" + name);
  }
  return out;
}

class Loader {
 public:
  Loader(ImageStore& store, bool chown) : store_(store), chown_(chown) {
    lock_.emplace(store.paths().store_lock(), FileLock::Mode::kShared);
  }

  /// Reads every member of the archive once.
  void read(ByteSource& input) {
    TarReader tar(input);
    while (archive_entry* entry = tar.next()) {
      const char* raw = archive_entry_pathname(entry);
      std::string name = clean_archive_path(raw ? raw : "");
      if (name.empty()) continue;
      if (members_.count(name)) fail("the archive has two members named \"{}\"", name);
      if (const char* hard = archive_entry_hardlink(entry)) {
        Member& m = members_[name];
        m.is_link = true;
        m.link_target = clean_archive_path(hard);
        continue;
      }
      auto type = archive_entry_filetype(entry);
      if (type == AE_IFLNK) {
        const char* target = archive_entry_symlink(entry);
        Member& m = members_[name];
        m.is_link = m.symlink = true;
        m.link_target = target ? target : "";
        continue;
      }
      if (type != AE_IFREG) continue;  // directories (and oddities) carry nothing we read
      int64_t size = archive_entry_size(entry);
      if (planned_layers_.count(name)) {
        import_streaming(tar, name);
      } else {
        keep(tar, name, size);
        if (name == "manifest.json" || name == "index.json" || wanted_metadata_.count(name)) update_plan();
      }
    }
  }

  /// Verifies, imports the layers not imported yet, and records the images. Returns docker's lines.
  std::vector<std::string> finish() {
    std::vector<PlannedImage> images;
    if (members_.count("manifest.json")) {
      images = plan_docker();
    } else if (members_.count("index.json")) {
      images = plan_oci();
    } else {
      fail("not an image archive: it has neither manifest.json nor index.json");
    }
    // Everything that can be checked without unpacking, before any layer is imported.
    for (const auto& img : images)
      for (const auto& l : img.layers) precheck(l);
    std::map<std::string, ImportedLayer> by_member;
    for (auto& img : images) {
      for (const auto& l : img.layers) {
        auto done = by_member.find(l.member);
        if (done == by_member.end()) done = by_member.emplace(l.member, import_member(l.member)).first;
        check_layer(l, done->second);
        img.imported.push_back(done->second);
      }
    }

    std::vector<std::string> lines;
    std::set<std::string> used_blobs, used_layers;
    for (const auto& img : images) {
      std::string config_digest = store_.put_blob(img.config);
      std::string manifest = img.manifest;
      if (manifest.empty()) {
        std::vector<LayerDescriptor> descriptors;
        for (const auto& l : img.imported) descriptors.push_back({l.media_type, l.blob_digest, l.blob_size});
        manifest = synthesize_manifest(config_digest, static_cast<int64_t>(img.config.size()), descriptors);
      }
      std::string manifest_digest = store_.put_blob(manifest);
      for (const auto& t : img.tags) {
        auto old = store_.find(t);
        if (old && old->id != config_digest)
          lines.push_back(
              fmt::format("The image {} already exists, renaming the old one with ID {} to empty string",
                          parse_reference(t).familiar(), old->id));
      }
      Image recorded = store_.add_image(manifest_digest, img.tags);
      for (const auto& l : img.imported) {
        used_blobs.insert(l.blob_digest);
        used_layers.insert(l.diff_id);
      }
      if (img.tags.empty()) lines.push_back("Loaded image ID: " + recorded.id);
      for (const auto& t : img.tags) lines.push_back("Loaded image: " + parse_reference(t).familiar());
    }
    // Layers imported while streaming that no image turned out to use.
    std::set<std::string> spare_blobs, spare_layers;
    for (const auto& b : created_blobs_)
      if (!used_blobs.count(b)) spare_blobs.insert(b);
    for (const auto& d : created_layers_)
      if (!used_layers.count(d)) spare_layers.insert(d);
    created_blobs_ = spare_blobs;
    created_layers_ = spare_layers;
    discard_imports();
    return lines;
  }

  /// Removes the blobs and layers this load created that no recorded image uses. Under the
  /// exclusive store lock: every other import or load (shared holders) has recorded its images
  /// by then, so nothing they rely on is removed.
  void discard_imports() noexcept {
    if (created_blobs_.empty() && created_layers_.empty()) return;
    try {
      lock_.reset();
      FileLock exclusive(store_.paths().store_lock(), FileLock::Mode::kExclusive);
      std::set<std::string> used_blobs, used_layers;
      for (const auto& img : store_.list()) {
        for (const auto& l : img.manifest.value("layers", Json::array()))
          used_blobs.insert(l.value("digest", ""));
        for (const auto& d : img.diff_ids()) used_layers.insert(d);
      }
      for (const auto& b : created_blobs_)
        if (!used_blobs.count(b)) ::unlink(store_.blob_path(b).c_str());
      for (const auto& d : created_layers_)
        if (!used_layers.count(d)) remove_tree(store_.layer_path(d));
    } catch (const std::exception&) {
      // Leftovers are unreferenced: the next rmi's sweep removes them.
    }
    created_blobs_.clear();
    created_layers_.clear();
  }

 private:
  // ---- reading

  void keep(TarReader& tar, const std::string& name, int64_t size) {
    Member& m = members_[name];
    bool in_memory = size <= kInMemoryMax && memory_used_ + size <= kInMemoryBudget;
    Sha256 sha;
    std::vector<char> buf(kReadBufferSize);
    std::unique_ptr<FdSink> file;
    UniqueFd fd;
    if (in_memory) {
      m.data.emplace();
      m.data->reserve(static_cast<size_t>(std::max<int64_t>(size, 0)));
      memory_used_ += size;
    } else {
      m.spool = spool_path();
      fd.reset(::open(m.spool.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      if (!fd) fail_errno("create {}", m.spool);
      file = std::make_unique<FdSink>(fd.get(), m.spool);
    }
    int64_t total = 0;
    while (size_t got = tar.read_data(buf.data(), buf.size())) {
      if (total == 0) m.compression = detect_compression(buf.data(), got);
      sha.update(buf.data(), got);
      if (file) {
        file->write(buf.data(), got);
      } else {
        m.data->append(buf.data(), got);
      }
      total += static_cast<int64_t>(got);
    }
    m.size = total;
    m.digest = sha.digest();
  }

  std::string spool_path() {
    if (spool_.path.empty()) {
      std::string templ = fmt::format("{}/.tmp-load-{}-XXXXXX", store_.paths().tmp(), ::getpid());
      if (!::mkdtemp(templ.data())) fail_errno("create a directory in {}", store_.paths().tmp());
      spool_.path = templ;
    }
    return fmt::format("{}/{}", spool_.path, ++spooled_);
  }

  void import_streaming(TarReader& tar, const std::string& name) {
    MemberSource src(tar);
    ImportedLayer layer = import_source(src, name);
    Member& m = members_[name];
    m.size = layer.blob_size;
    m.digest = layer.blob_digest;
    m.layer = layer;
  }

  ImportedLayer import_source(ByteSource& src, const std::string& name) {
    if (!before_) before_.emplace(digests_in(store_.paths().blobs()), digests_in(store_.paths().layers()));
    auto warn = [](const std::string& line) { std::fprintf(stderr, "tug: warning: %s\n", line.c_str()); };
    ImportedLayer layer;
    try {
      layer = import_layer(store_, src, chown_, warn);
    } catch (const Error& e) {
      throw Error(fmt::format("layer {}: {}", name, e.what()), e.exit_code());
    }
    if (!before_->first.count(layer.blob_digest)) created_blobs_.insert(layer.blob_digest);
    if (!before_->second.count(layer.diff_id)) created_layers_.insert(layer.diff_id);
    return layer;
  }

  // ---- what the members are

  /// The member `name` leads to (following symlinks and hardlinks), or nullptr.
  Member* find(std::string name) {
    for (int hops = 0; hops < kMaxLinkHops; ++hops) {
      auto it = members_.find(name);
      if (it == members_.end()) return nullptr;
      if (!it->second.is_link) return &it->second;
      name = it->second.symlink ? resolve_archive_link(name, it->second.link_target) : it->second.link_target;
    }
    fail("archive member \"{}\": too many levels of links", name);
  }

  Member& get(const std::string& name) {
    Member* m = find(name);
    if (!m) fail("the archive has no member \"{}\"", name);
    return *m;
  }

  /// A member's content as text (metadata only).
  std::string text(const std::string& name) {
    Member& m = get(name);
    if (m.data) return *m.data;
    if (m.layer || m.size > kMetadataMax) fail("archive member \"{}\" is too large to be metadata", name);
    return read_file(m.spool);
  }

  // Called while streaming when metadata arrives: which members will be layers. Only members
  // already in memory are consulted; anything odd is left for finish() to report.
  void update_plan() {
    try {
      if (Member* m = find("manifest.json"); m && m->data) {
        for (const auto& img : parse_docker_manifest(*m->data))
          for (const auto& l : img.layers) planned_layers_.insert(l);
        return;  // docker's loader reads manifest.json, so do we
      }
      Member* index = find("index.json");
      if (!index || !index->data) return;
      Json doc = parse_json_object(*index->data, "index.json");
      for (const auto& d : doc.value("manifests", Json::array())) plan_descriptor(d, 0);
    } catch (const std::exception&) {
    }
  }

  void plan_descriptor(const Json& d, int depth) {
    if (depth > 2 || !d.is_object()) return;
    std::string path = oci_blob_path(d.value("digest", ""));
    wanted_metadata_.insert(path);
    Member* m = find(path);
    if (!m || !m->data) return;
    Json doc = parse_json_object(*m->data, path);
    if (doc.contains("manifests")) {
      for (const auto& child : doc["manifests"]) plan_descriptor(child, depth + 1);
      return;
    }
    for (const auto& l : doc.value("layers", Json::array()))
      planned_layers_.insert(oci_blob_path(l.value("digest", "")));
  }

  std::vector<PlannedImage> plan_docker() {
    std::vector<PlannedImage> out;
    auto entries = parse_docker_manifest(text("manifest.json"));
    if (entries.empty()) fail("manifest.json lists no image");
    for (const auto& e : entries) {
      PlannedImage img;
      img.config = text(e.config);
      check_named_digest(e.config);
      Json config = parse_json_object(img.config, e.config);
      std::vector<std::string> diff_ids = config_diff_ids(config, e.config);
      if (diff_ids.size() != e.layers.size())
        fail("manifest.json lists {} layers for {}, its config {}", e.layers.size(), e.config,
             diff_ids.size());
      for (size_t i = 0; i < diff_ids.size(); ++i) img.layers.push_back({e.layers[i], diff_ids[i], "", -1});
      for (const auto& t : e.repo_tags) img.tags.push_back(tag_reference(t));
      out.push_back(std::move(img));
    }
    return out;
  }

  std::vector<PlannedImage> plan_oci() {
    Json index = parse_json_object(text("index.json"), "index.json");
    auto list = index.find("manifests");
    if (list == index.end() || !list->is_array()) fail("index.json has no manifests");
    std::vector<PlannedImage> out;
    std::map<std::string, size_t> by_manifest;
    for (const auto& d : *list) {
      if (!d.is_object()) fail("index.json: a manifest descriptor is not an object");
      std::optional<std::pair<std::string, std::string>> manifest = image_manifest(d, 0);
      if (!manifest) continue;  // an artifact, an attestation: not an image
      auto [it, fresh] = by_manifest.emplace(manifest->first, out.size());
      if (fresh) out.push_back(plan_oci_image(manifest->first, manifest->second));
      std::string name = oci_descriptor_name(d);
      if (!name.empty()) {
        std::string tag = tag_reference(name);
        auto& tags = out[it->second].tags;
        if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
      }
    }
    if (out.empty()) fail("index.json lists no image manifest");
    return out;
  }

  /// The blob a descriptor points to, verified against its digest and size.
  std::string blob_text(const Json& d, const std::string& what) {
    std::string digest = string_field(d, "digest", what);
    std::string path = oci_blob_path(digest);
    Member& m = get(path);
    if (m.digest != digest) fail("{}: the content does not match its digest (the archive is corrupt)", path);
    std::string body = text(path);
    if (d.contains("size") && d["size"].is_number_integer() && d["size"].get<int64_t>() != m.size)
      fail("{} has {} bytes, its descriptor says {}", path, m.size, d["size"].get<int64_t>());
    return body;
  }

  /// (digest, bytes) of the image manifest a descriptor leads to: an index or manifest list
  /// is followed to this host's platform. nullopt for descriptors of other kinds.
  std::optional<std::pair<std::string, std::string>> image_manifest(const Json& d, int depth) {
    std::string media = d.value("mediaType", "");
    std::string body = blob_text(d, "an index.json descriptor");
    Json doc = parse_json_object(body, oci_blob_path(d.value("digest", "")));
    if (media.empty()) media = doc.value("mediaType", "");
    bool is_index =
        media == kOciIndex || media == kDockerList || (media.empty() && doc.contains("manifests"));
    bool is_manifest =
        media == kOciManifest || media == kDockerManifest || (media.empty() && doc.contains("layers"));
    if (is_manifest) return std::make_pair(d["digest"].get<std::string>(), body);
    if (!is_index || depth >= 2) return std::nullopt;
    std::string arch = host_architecture();
    // A copy: value() returns one, so a pointer into it would dangle after the loop.
    std::optional<Json> chosen;
    for (const auto& child : doc.value("manifests", Json::array())) {
      Json platform = child.value("platform", Json::object());
      if (platform.value("os", "") == "linux" && platform.value("architecture", "") == arch) {
        chosen = child;
        break;
      }
    }
    if (!chosen) fail("index {} has no image for linux/{}", d["digest"].get<std::string>(), arch);
    return image_manifest(*chosen, depth + 1);
  }

  PlannedImage plan_oci_image(const std::string& digest, const std::string& body) {
    std::string what = "manifest " + digest;
    Json manifest = parse_json_object(body, what);
    PlannedImage img;
    img.manifest = body;
    auto config_desc = manifest.find("config");
    if (config_desc == manifest.end() || !config_desc->is_object()) fail("{} has no config", what);
    img.config = blob_text(*config_desc, what);
    std::string config_digest = string_field(*config_desc, "digest", what);
    std::vector<std::string> diff_ids =
        config_diff_ids(parse_json_object(img.config, config_digest), config_digest);
    Json layers = manifest.value("layers", Json::array());
    if (!layers.is_array() || layers.size() != diff_ids.size())
      fail("{} lists {} layers, its config {}", what, layers.size(), diff_ids.size());
    for (size_t i = 0; i < diff_ids.size(); ++i) {
      if (!layers[i].is_object()) fail("{}: a layer descriptor is not an object", what);
      std::string layer_digest = string_field(layers[i], "digest", what);
      int64_t size = layers[i].value("size", int64_t{-1});
      img.layers.push_back({oci_blob_path(layer_digest), diff_ids[i], layer_digest, size});
    }
    return img;
  }

  // docker and podman name a config (and docker 25 every blob) by its digest: "<hex>.json",
  // "blobs/sha256/<hex>". Such a name is a promise worth checking.
  void check_named_digest(const std::string& name) {
    std::string_view base = name;
    if (base.starts_with("blobs/sha256/")) base.remove_prefix(13);
    if (base.ends_with(".json")) base.remove_suffix(5);
    std::string digest = "sha256:" + std::string(base);
    if (!is_sha256_digest(digest)) return;
    if (get(name).digest != digest)
      fail("{}: the content does not match its digest (the archive is corrupt)", name);
  }

  static std::string tag_reference(const std::string& name) {
    Reference ref = parse_reference(name);
    if (ref.tag.empty()) fail("image name \"{}\" has no tag", name);
    return ref.full();
  }

  // ---- verification and import

  void precheck(const PlannedLayer& l) {
    Member& m = get(l.member);
    if (m.layer) return check_layer(l, *m.layer);
    if (!l.blob_digest.empty() && m.digest != l.blob_digest)
      fail("{}: the content does not match its digest (the archive is corrupt)", l.member);
    if (l.blob_size >= 0 && m.size != l.blob_size)
      fail("{} has {} bytes, its descriptor says {}", l.member, m.size, l.blob_size);
    // An uncompressed layer's digest is its diff_id: known without unpacking anything.
    if (m.compression == Compression::kNone && m.digest != l.diff_id)
      fail("layer {} has diff_id {}, its image config says {}", l.member, m.digest, l.diff_id);
  }

  void check_layer(const PlannedLayer& l, const ImportedLayer& got) {
    if (!l.blob_digest.empty() && got.blob_digest != l.blob_digest)
      fail("{}: the content does not match its digest (the archive is corrupt)", l.member);
    if (got.diff_id != l.diff_id)
      fail("layer {} has diff_id {}, its image config says {}", l.member, got.diff_id, l.diff_id);
  }

  ImportedLayer import_member(const std::string& name) {
    Member& m = get(name);
    if (m.layer) return *m.layer;
    if (m.data) {
      MemorySource src(*m.data);
      return import_source(src, name);
    }
    UniqueFd fd(::open(m.spool.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) fail_errno("open {}", m.spool);
    FdSource src(fd.get(), m.spool);
    return import_source(src, name);
  }

  ImageStore& store_;
  bool chown_;
  std::optional<FileLock> lock_;
  std::map<std::string, Member> members_;
  std::set<std::string> planned_layers_;   // members known to be layers (import as they pass)
  std::set<std::string> wanted_metadata_;  // OCI blobs whose arrival may extend the plan
  int64_t memory_used_ = 0;
  SpoolDir spool_;
  unsigned spooled_ = 0;
  std::optional<std::pair<std::set<std::string>, std::set<std::string>>> before_;  // blobs, layers
  std::set<std::string> created_blobs_, created_layers_;
};

}  // namespace

std::vector<std::string> load_images(const StorePaths& paths, const std::string& input) {
  bool from_stdin = input.empty() || input == "-";
  std::string name = from_stdin ? "stdin" : input;
  UniqueFd fd(from_stdin ? ::dup(STDIN_FILENO) : ::open(input.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) fail_errno("open {}", name);

  // Layer files belong to ids of the user namespace: unpack them from inside it.
  IdMapping mapping = detect_id_mapping();
  enter_user_namespace(mapping);
  ImageStore store(paths);
  clean_stale_temporaries(paths);

  FdSource raw(fd.get(), name);
  Loader loader(store, mapping.mode != IdMapping::Mode::kSingle);
  try {
    auto tar_stream = decompressing_source(raw);  // `docker save | gzip` loads as well
    loader.read(*tar_stream);
    try {
      drain(raw);  // whatever follows the end of the tar; the writer must not see EPIPE
    } catch (const Error&) {
    }
    return loader.finish();
  } catch (const Error& e) {
    loader.discard_imports();
    throw Error(fmt::format("load {}: {}", name, e.what()), e.exit_code());
  } catch (const std::exception& e) {
    loader.discard_imports();
    throw Error(fmt::format("load {}: {}", name, e.what()));
  }
}

}  // namespace tug
