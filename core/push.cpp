// Push: layers (top first, as docker lists them) through a small pool of threads, then the
// config, then the manifest. The store lock is held shared so no rmi sweeps a blob being read.
#include "core/push.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/image_store.hpp"
#include "registry/manifest.hpp"
#include "registry/reference.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_lock.hpp"

namespace tug {

namespace {

/// A stored blob as a stream; owns its descriptor.
class BlobFileSource final : public ByteSource {
 public:
  explicit BlobFileSource(const std::string& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), source_(fd_.get(), path) {
    if (!fd_) fail_errno("open {}", path);
  }
  size_t read(void* buf, size_t n) override { return source_.read(buf, n); }

 private:
  UniqueFd fd_;
  FdSource source_;
};

/// Repositories of the same registry the image is known to come from ("bb/busybox"), for mounts.
std::vector<std::string> mount_sources(const std::vector<std::string>& repo_digests,
                                       const Reference& target) {
  std::vector<std::string> out;
  for (const auto& d : repo_digests) {
    try {
      Reference from = parse_reference(d);
      if (from.domain == target.domain && from.path != target.path &&
          std::find(out.begin(), out.end(), from.path) == out.end())
        out.push_back(from.path);
    } catch (const Error&) {
    }
  }
  return out;
}

void upload_from_store(RegistryClient& client, const ImageStore& store, const std::string& repo,
                       const Descriptor& blob, ProgressFn progress = {}) {
  std::string path = store.blob_path(blob.digest);
  if (!store.has_blob(blob.digest)) fail("blob {} is missing from the store", blob.digest);
  int64_t size = blob.size;
  if (size < 0) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) fail_errno("stat {}", path);
    size = st.st_size;
  }
  client.upload_blob(
      repo, blob.digest, size, [path] { return std::make_unique<BlobFileSource>(path); },
      std::move(progress));
}

}  // namespace

PushOptions push_options_from_env() {
  PushOptions o;
  if (const char* text = std::getenv("TUG_MAX_CONCURRENT_UPLOADS"); text && *text) {
    int v = std::atoi(text);
    if (v < 1) fail("TUG_MAX_CONCURRENT_UPLOADS={}: expected a number of at least 1", text);
    o.max_concurrent = v;
  }
  return o;
}

PushResult push_image(const StorePaths& paths, const std::string& reference, const PushOptions& options,
                      TransferObserver& progress) {
  Reference ref = parse_reference(reference);
  ImageStore store(paths);
  FileLock store_lock(paths.store_lock(), FileLock::Mode::kShared);
  std::optional<Image> image = store.find(reference);
  if (!image) fail("An image does not exist locally with the tag: {}", ref.familiar_repository());
  std::string manifest_body = store.read_blob(image->manifest_digest);
  ImageManifest m = parse_image_manifest(manifest_body, "");
  progress.message("The push refers to repository [" + ref.repository() + "]");

  RegistryClient client(ref.domain, options.registry, std::make_shared<CredentialStore>());
  // Mount candidates: where the image came from, then where any image sharing a layer with
  // it came from (a build on a pulled base pushed to a new repository mounts the base layers).
  std::vector<std::string> known = image->repo_digests;
  std::set<std::string> layer_digests;
  for (const auto& l : m.layers) layer_digests.insert(l.digest);
  for (const auto& other : store.list()) {
    if (other.id == image->id || other.repo_digests.empty()) continue;
    for (const auto& l : other.manifest.value("layers", Json::array()))
      if (layer_digests.count(l.value("digest", ""))) {
        known.insert(known.end(), other.repo_digests.begin(), other.repo_digests.end());
        break;
      }
  }
  std::vector<std::string> sources = mount_sources(known, ref);

  // docker lists the top layer first.
  std::vector<size_t> order(m.layers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = m.layers.size() - 1 - i;
  std::vector<std::string> ids;
  std::vector<int64_t> sizes;
  for (size_t i : order) {
    ids.push_back(short_layer_id(m.layers[i].digest));
    sizes.push_back(m.layers[i].size);
  }
  progress.layers_begin(ids, sizes);
  for (size_t row = 0; row < order.size(); ++row) progress.layer_state(row, LayerState::kWaiting);

  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::string first_error;
  auto work = [&] {
    for (size_t row; (row = next.fetch_add(1)) < order.size();) {
      if (failed) return;
      const Descriptor& layer = m.layers[order[row]];
      try {
        if (client.has_blob(ref.path, layer.digest)) {
          progress.layer_state(row, LayerState::kLayerExists);
          continue;
        }
        bool mounted = false;
        for (const auto& from : sources) {
          if (client.mount_blob(ref.path, layer.digest, from)) {
            progress.layer_state(row, LayerState::kMounted, from);
            mounted = true;
            break;
          }
        }
        if (mounted) continue;
        progress.layer_state(row, LayerState::kPushing);
        upload_from_store(client, store, ref.path, layer,
                          [&progress, row](uint64_t done) { progress.layer_bytes(row, done); });
        progress.layer_state(row, LayerState::kPushed);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!failed.exchange(true)) first_error = short_layer_id(layer.digest) + ": " + e.what();
        return;
      }
    }
  };
  size_t n = std::min(order.size(), static_cast<size_t>(std::max(options.max_concurrent, 1)));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  progress.layers_end();
  if (!first_error.empty()) throw Error(first_error);

  if (!client.has_blob(ref.path, m.config.digest)) upload_from_store(client, store, ref.path, m.config);
  PushResult result;
  result.digest =
      client.put_manifest(ref.path, ref.digest.empty() ? ref.tag : ref.digest, m.media_type, manifest_body);
  result.manifest_size = manifest_body.size();
  if (!ref.digest.empty() && result.digest != ref.digest)
    fail("the image's manifest digest is {}, not {}", result.digest, ref.digest);
  progress.message(fmt::format("{}: digest: {} size: {}", ref.digest.empty() ? ref.tag : ref.digest,
                               result.digest, result.manifest_size));
  return result;
}

}  // namespace tug
