// `tug save`: the selected images streamed as one tar, straight from the store's blobs.
// docker-archive uses docker's legacy layout (manifest.json, repositories, <config hex>.json,
// <diff_id hex>/layer.tar), which every docker and podman loads; oci-archive is an OCI image
// layout whose blobs are the stored ones byte for byte, so every digest survives a round trip.
// Metadata is written before the layers, so a `tug load` reading the stream imports each layer
// as it passes instead of spooling it.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <memory>
#include <set>

#include "core/image_archive.hpp"
#include "fs/compression.hpp"
#include "registry/reference.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_lock.hpp"
#include "util/sha256.hpp"

namespace tug {

namespace {

constexpr size_t kCopyBufferSize = 1 << 17;

/// A tar stream written with libarchive (pax where ustar is not enough) into a ByteSink.
/// Every member has owner 0:0 and mtime 0, so saving the same images twice gives equal bytes.
class TarWriter {
 public:
  explicit TarWriter(ByteSink& out) : out_(out), archive_(archive_write_new()) {
    if (!archive_) fail("save: cannot allocate a tar writer");
    archive_write_set_format_pax_restricted(archive_.get());
    archive_write_add_filter_none(archive_.get());
    archive_write_set_bytes_in_last_block(archive_.get(), 1);  // no padding after the end marker
    check(archive_write_open2(archive_.get(), this, nullptr, write_callback, nullptr, nullptr));
  }

  void add_dir(const std::string& name) { header(name, AE_IFDIR, 0755, 0); }

  void add_file(const std::string& name, std::string_view data) {
    header(name, AE_IFREG, 0644, static_cast<int64_t>(data.size()));
    write(data.data(), data.size());
    check(archive_write_finish_entry(archive_.get()));
  }

  /// A member of exactly `size` bytes from `src`; a source that ends early or has more is an
  /// error (the header is already out, so the archive would lie about its content).
  void add_stream(const std::string& name, int64_t size, ByteSource& src) {
    header(name, AE_IFREG, 0644, size);
    std::vector<char> buf(kCopyBufferSize);
    uint64_t left = static_cast<uint64_t>(size);
    while (left > 0) {
      size_t got = src.read(buf.data(), static_cast<size_t>(std::min<uint64_t>(left, buf.size())));
      if (got == 0) fail("{} ended {} bytes before its recorded size {}", name, left, size);
      write(buf.data(), got);
      left -= got;
    }
    char extra;
    if (src.read(&extra, 1) != 0) fail("{} is longer than its recorded size {}", name, size);
    check(archive_write_finish_entry(archive_.get()));
  }

  void finish() { check(archive_write_close(archive_.get())); }

 private:
  struct Free {
    void operator()(struct archive* a) const { archive_write_free(a); }
  };

  // Exceptions must not unwind through libarchive's C frames: park them, rethrow in check().
  static la_ssize_t write_callback(struct archive*, void* self, const void* buf, size_t n) {
    auto* w = static_cast<TarWriter*>(self);
    try {
      w->out_.write(buf, n);
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      w->error_ = std::current_exception();
      return -1;
    }
  }

  void header(const std::string& name, unsigned type, unsigned mode, int64_t size) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), mode);
    archive_entry_set_size(e.get(), size);
    archive_entry_set_mtime(e.get(), 0, 0);
    check(archive_write_header(archive_.get(), e.get()));
  }

  void write(const void* data, size_t n) {
    la_ssize_t done = archive_write_data(archive_.get(), data, n);
    if (done < 0 || static_cast<size_t>(done) != n) check(ARCHIVE_FATAL);
  }

  void check(int rc) {
    if (rc == ARCHIVE_OK || rc == ARCHIVE_WARN) return;
    if (error_) std::rethrow_exception(error_);
    const char* msg = archive_error_string(archive_.get());
    fail("writing the archive: {}", msg ? msg : "unknown error");
  }

  ByteSink& out_;
  std::unique_ptr<struct archive, Free> archive_;
  std::exception_ptr error_;
};

/// One image to save and the full references it is saved under.
struct Selected {
  Image image;
  std::vector<std::string> tags;
};

// "busybox:1" and "x@sha256:.." name one tag or digest; "busybox" names a repository.
bool names_tag_or_digest(const std::string& name) {
  size_t slash = name.rfind('/');
  size_t start = slash == std::string::npos ? 0 : slash + 1;
  return name.find(':', start) != std::string::npos || name.find('@') != std::string::npos;
}

// docker's rules: a tag saves that tag, a bare repository every tag it has, an ID the image
// without tags. Several names for one image merge into one entry.
std::vector<Selected> select_images(const ImageStore& store, const std::vector<std::string>& names) {
  std::vector<Selected> out;
  auto add = [&](const Image& img, const std::string& tag) {
    auto it = std::find_if(out.begin(), out.end(), [&](const Selected& s) { return s.image.id == img.id; });
    if (it == out.end()) {
      out.push_back({img, {}});
      it = out.end() - 1;
    }
    if (!tag.empty() && std::find(it->tags.begin(), it->tags.end(), tag) == it->tags.end())
      it->tags.push_back(tag);
  };
  for (const auto& name : names) {
    bool id_form = name.starts_with("sha256:") || (name.size() == 64 && looks_like_image_id(name));
    std::optional<Reference> ref;
    if (!id_form) {
      try {
        ref = parse_reference(name);
      } catch (const Error&) {
        // Not a reference: only an ID prefix can still match.
      }
    }
    if (!ref) {
      add(store.resolve(name), "");
    } else if (names_tag_or_digest(name)) {
      Image img = store.resolve(name);
      add(img, ref->tag.empty() ? "" : ref->full());
    } else {
      bool any = false;
      for (const auto& img : store.list()) {
        std::vector<std::string> tags = img.repo_tags;
        std::sort(tags.begin(), tags.end());
        for (const auto& t : tags) {
          if (parse_reference(t).repository() != ref->repository()) continue;
          add(img, t);
          any = true;
        }
      }
      if (!any) add(store.resolve(name), "");
    }
  }
  return out;
}

/// A stored layer: its blob and what the blob must decompress to.
struct SavedLayer {
  std::string diff_id;
  std::string blob_digest;
};

std::vector<SavedLayer> image_layers(const Image& img) {
  std::vector<std::string> diff_ids = img.diff_ids();
  Json layers = img.manifest.value("layers", Json::array());
  if (!layers.is_array() || layers.size() != diff_ids.size())
    fail("image {}: its manifest lists {} layers, its config {}", img.id, layers.size(), diff_ids.size());
  std::vector<SavedLayer> out;
  for (size_t i = 0; i < diff_ids.size(); ++i) out.push_back({diff_ids[i], layers[i].value("digest", "")});
  return out;
}

UniqueFd open_blob(const ImageStore& store, const std::string& digest) {
  std::string path = store.blob_path(digest);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) fail_errno("open blob {}", path);
  return fd;
}

int64_t file_size(int fd, const std::string& what) {
  struct stat st;
  if (::fstat(fd, &st) != 0) fail_errno("stat {}", what);
  return st.st_size;
}

void rewind(int fd, const std::string& what) {
  if (::lseek(fd, 0, SEEK_SET) != 0) fail_errno("seek {}", what);
}

// A docker-archive layer is the uncompressed tar. A tar member's size goes in its header, before
// the data, and the store records the unpacked file size, not the tar's: a compressed blob is
// decompressed twice, once to count (and check it really is the diff_id), once to write.
void write_docker_layer(TarWriter& tar, const ImageStore& store, const SavedLayer& layer,
                        const std::string& member) {
  std::string path = store.blob_path(layer.blob_digest);
  UniqueFd fd = open_blob(store, layer.blob_digest);
  unsigned char head[4] = {};
  ssize_t got = ::pread(fd.get(), head, sizeof head, 0);
  if (got < 0) fail_errno("read {}", path);
  Compression compression = detect_compression(head, static_cast<size_t>(got));

  FdSource file(fd.get(), path);
  int64_t size = 0;
  if (compression == Compression::kNone) {
    size = file_size(fd.get(), path);
  } else {
    auto tar_stream = decompressing_source(file);
    HashingSource counted(*tar_stream);
    size = static_cast<int64_t>(drain(counted));
    if (counted.digest() != layer.diff_id)
      fail("layer {} in the store does not decompress to its diff_id {}", path, layer.diff_id);
    rewind(fd.get(), path);
  }
  auto tar_stream = decompressing_source(file);
  HashingSource hashed(*tar_stream);
  tar.add_stream(member, size, hashed);
  if (hashed.digest() != layer.diff_id)
    fail("layer {} in the store does not match its diff_id {}", path, layer.diff_id);
}

void write_blob(TarWriter& tar, const ImageStore& store, const std::string& digest) {
  std::string path = store.blob_path(digest);
  UniqueFd fd = open_blob(store, digest);
  FdSource file(fd.get(), path);
  HashingSource hashed(file);
  tar.add_stream(oci_blob_path(digest), file_size(fd.get(), path), hashed);
  if (hashed.digest() != digest) fail("blob {} in the store does not match its digest", path);
}

void save_docker(TarWriter& tar, const ImageStore& store, const std::vector<Selected>& selected) {
  std::vector<DockerArchiveImage> entries;
  std::vector<SavedLayer> layers;  // each once, in first-use order
  std::set<std::string> seen;
  for (const auto& s : selected) {
    DockerArchiveImage e;
    e.config = std::string(digest_hex(s.image.id)) + ".json";
    for (const auto& t : s.tags) e.repo_tags.push_back(parse_reference(t).familiar());
    for (const auto& l : image_layers(s.image)) {
      std::string dir(digest_hex(l.diff_id));
      e.layers.push_back(dir + "/layer.tar");
      if (seen.insert(l.diff_id).second) layers.push_back(l);
    }
    entries.push_back(std::move(e));
  }
  tar.add_file("manifest.json", docker_manifest_json(entries));
  std::string repositories = docker_repositories_json(entries);
  if (repositories != "{}\n") tar.add_file("repositories", repositories);
  for (const auto& s : selected)
    tar.add_file(std::string(digest_hex(s.image.id)) + ".json", store.read_blob(s.image.id));
  for (const auto& l : layers) {
    std::string dir(digest_hex(l.diff_id));
    tar.add_dir(dir);
    write_docker_layer(tar, store, l, dir + "/layer.tar");
  }
}

void save_oci(TarWriter& tar, const ImageStore& store, const std::vector<Selected>& selected) {
  Json manifests = Json::array();
  for (const auto& s : selected) {
    Json descriptor = {
        {"mediaType", s.image.manifest.value("mediaType", "application/vnd.oci.image.manifest.v1+json")},
        {"digest", s.image.manifest_digest},
        {"size", file_size(open_blob(store, s.image.manifest_digest).get(), s.image.manifest_digest)}};
    if (s.tags.empty()) manifests.push_back(descriptor);
    for (const auto& t : s.tags) {
      descriptor["annotations"] = {{"org.opencontainers.image.ref.name", t}};
      manifests.push_back(descriptor);
    }
  }
  Json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", manifests}};
  tar.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  tar.add_file("index.json", index.dump());
  tar.add_dir("blobs");
  tar.add_dir("blobs/sha256");
  // Manifests, then configs, then layers: metadata first lets a reader import layers as they pass.
  std::set<std::string> written;
  auto once = [&](const std::string& digest) {
    if (written.insert(digest).second) write_blob(tar, store, digest);
  };
  for (const auto& s : selected) once(s.image.manifest_digest);
  for (const auto& s : selected) once(s.image.id);
  for (const auto& s : selected)
    for (const auto& l : image_layers(s.image)) once(l.blob_digest);
}

/// A temporary file beside the destination, removed unless renamed into place.
struct PendingFile {
  std::string path;
  ~PendingFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

void save_images(const StorePaths& paths, const std::vector<std::string>& names, ArchiveFormat format,
                 ByteSink& out) {
  ImageStore store(paths);
  FileLock lock(paths.store_lock(), FileLock::Mode::kShared);
  std::vector<Selected> selected = select_images(store, names);
  TarWriter tar(out);
  if (format == ArchiveFormat::kDocker) {
    save_docker(tar, store, selected);
  } else {
    save_oci(tar, store, selected);
  }
  tar.finish();
}

void save_images_to_file(const StorePaths& paths, const std::vector<std::string>& names, ArchiveFormat format,
                         const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A FIFO, /dev/stdout...: nothing to rename, write into it.
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) fail_errno("open {}", path);
    FdSink sink(fd.get(), path);
    save_images(paths, names, format, sink);
    return;
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  PendingFile tmp{dir + "/.tug-save-XXXXXX"};
  UniqueFd fd(::mkostemp(tmp.path.data(), O_CLOEXEC));
  if (!fd) {
    tmp.path.clear();
    fail_errno("create a file in {}", dir);
  }
  mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd.get(), 0666 & ~mask) != 0) fail_errno("chmod {}", tmp.path);
  FdSink sink(fd.get(), path);
  save_images(paths, names, format, sink);
  if (::fsync(fd.get()) != 0) fail_errno("fsync {}", path);
  fd.reset();
  if (::rename(tmp.path.c_str(), path.c_str()) != 0) fail_errno("rename to {}", path);
  tmp.path.clear();
}

}  // namespace tug
