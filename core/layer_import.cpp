// Layer import pipeline: raw → (tee to blob file, sha256) → decompress → sha256 → unpack.
// The store lock is held shared for the whole import so a concurrent rmi (exclusive) can
// neither sweep a layer we just published nor see a half-published one.
#include "core/layer_import.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>

#include "fs/compression.hpp"
#include "fs/layer_unpack.hpp"
#include "util/error.hpp"
#include "util/file_lock.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

/// Passes bytes through while copying them into a sink.
class TeeSource final : public ByteSource {
 public:
  TeeSource(ByteSource& inner, ByteSink& copy) : inner_(inner), copy_(copy) {}
  size_t read(void* buf, size_t n) override {
    size_t got = inner_.read(buf, n);
    if (got) copy_.write(buf, got);
    return got;
  }

 private:
  ByteSource& inner_;
  ByteSink& copy_;
};

/// A temporary path removed on destruction unless released.
struct TempPath {
  std::string path;
  bool keep = false;
  ~TempPath() {
    if (keep || path.empty()) return;
    try {
      remove_tree(path);
    } catch (const Error&) {
    }
  }
};

std::string temp_name(const std::string& dir, const char* prefix) {
  static std::atomic<unsigned> counter = 0;  // pulls import several layers at once
  return fmt::format("{}/.tmp-{}-{}-{}", dir, prefix, ::getpid(), ++counter);
}

const char* media_type_for(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Compression::kZstd:
      return "application/vnd.oci.image.layer.v1.tar+zstd";
    case Compression::kNone:
      break;
  }
  return "application/vnd.oci.image.layer.v1.tar";
}

}  // namespace

ImportedLayer import_layer(ImageStore& store, ByteSource& raw, bool chown,
                           const std::function<void(const std::string&)>& warn,
                           const LayerExpectation& expect) {
  const StorePaths& paths = store.paths();
  FileLock lock(paths.store_lock(), FileLock::Mode::kShared);
  TempPath blob_tmp{temp_name(paths.tmp(), "blob")};
  TempPath layer_tmp{temp_name(paths.layers(), "layer")};
  make_dirs(layer_tmp.path + "/diff", 0755);

  UniqueFd blob_fd(::open(blob_tmp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!blob_fd) fail_errno("create {}", blob_tmp.path);
  FdSink blob_file(blob_fd.get(), blob_tmp.path);
  HashingSink blob_hash(blob_file);
  TeeSource tee(raw, blob_hash);
  Compression compression = Compression::kNone;
  std::unique_ptr<ByteSource> tar = decompressing_source(tee, &compression);
  HashingSource diff_hash(*tar);
  UniqueFd diff_fd(::open((layer_tmp.path + "/diff").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!diff_fd) fail_errno("open {}", layer_tmp.path);
  UnpackOptions opts;
  opts.chown = chown;
  opts.warn = warn;
  UnpackStats stats = unpack_layer(diff_hash, diff_fd.get(), opts);
  drain(tee);  // any bytes after the compressed stream still count towards the blob digest

  ImportedLayer out;
  out.diff_id = diff_hash.digest();
  out.blob_digest = blob_hash.digest();
  out.blob_size = static_cast<int64_t>(blob_hash.bytes());
  out.media_type = media_type_for(compression);
  out.unpacked_size = static_cast<int64_t>(stats.bytes);

  // docker's wording: the bytes are not what the manifest promised (corrupt or tampered blob).
  if (!expect.blob_digest.empty() && out.blob_digest != expect.blob_digest)
    fail("filesystem layer verification failed for digest {}: the blob's sha256 is {}", expect.blob_digest,
         out.blob_digest);
  if (!expect.diff_id.empty() && out.diff_id != expect.diff_id)
    fail("layer {} unpacks to {}, but the image config lists {}", out.blob_digest, out.diff_id,
         expect.diff_id);

  if (::fsync(blob_fd.get()) != 0) fail_errno("fsync {}", blob_tmp.path);
  blob_fd.reset();
  std::string blob_final = store.blob_path(out.blob_digest);
  if (::rename(blob_tmp.path.c_str(), blob_final.c_str()) != 0) fail_errno("rename {}", blob_tmp.path);
  blob_tmp.keep = true;

  write_file_atomic(layer_tmp.path + "/size", std::to_string(out.unpacked_size), 0644, false);
  std::string layer_final = store.layer_path(out.diff_id);
  if (!store.has_layer(out.diff_id)) {
    ::syncfs(diff_fd.get());
    // Check, clear and rename as one step: another thread or tug may publish the same layer
    // at the same moment, and its complete copy must not be taken for a stale one.
    FileLock publishing(paths.layers() + "/.publish.lock", FileLock::Mode::kExclusive);
    if (!store.has_layer(out.diff_id)) {
      remove_tree(layer_final);  // a half-removed old copy, never a complete one
      if (::rename(layer_tmp.path.c_str(), layer_final.c_str()) != 0) fail_errno("rename {}", layer_tmp.path);
      layer_tmp.keep = true;
    }
  }
  return out;
}

void clean_stale_temporaries(const StorePaths& paths) {
  FileLock lock = FileLock::try_lock(paths.store_lock(), FileLock::Mode::kExclusive);
  if (!lock.held()) return;
  for (const auto& dir : {paths.tmp(), paths.layers()}) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) continue;
    std::vector<std::string> stale;
    while (dirent* ent = ::readdir(d.get())) {
      std::string name = ent->d_name;
      if (name.rfind(".tmp-", 0) == 0) stale.push_back(dir + "/" + name);
    }
    for (const auto& p : stale) remove_tree(p);
  }
}

ImportedLayer import_packed_layer(ImageStore& store, int fd, const std::string& path, bool chown) {
  if (::lseek(fd, 0, SEEK_SET) != 0) fail_errno("seek {}", path);
  FdSource source(fd, path);
  auto warn = [](const std::string& line) { std::fprintf(stderr, "tug: warning: %s\n", line.c_str()); };
  return import_layer(store, source, chown, warn);
}

Json imported_layer_json(const ImportedLayer& layer) {
  return Json{{"diff_id", layer.diff_id},
              {"blob_digest", layer.blob_digest},
              {"blob_size", layer.blob_size},
              {"media_type", layer.media_type},
              {"unpacked_size", layer.unpacked_size}};
}

ImportedLayer imported_layer_from_json(const Json& m) {
  return ImportedLayer{m.at("diff_id"), m.at("blob_digest"), m.at("blob_size"), m.at("media_type"),
                       m.at("unpacked_size")};
}

}  // namespace tug
