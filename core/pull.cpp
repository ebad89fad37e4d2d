// Pull: resolve the reference to one manifest, fetch the config, then bring in the layers the
// store lacks through a small pool of threads. The store lock is held shared from the first
// "Already exists" decision until the image is recorded, so no rmi can sweep a layer this pull
// counts on.
#include "core/pull.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "core/layer_import.hpp"
#include "core/userns.hpp"
#include "registry/manifest.hpp"
#include "registry/reference.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_lock.hpp"
#include "util/json.hpp"

namespace tug {

namespace {

/// Stops a layer's stream at its next read once another layer has failed.
class CancellableSource final : public ByteSource {
 public:
  CancellableSource(ByteSource& inner, const std::atomic<bool>& cancelled)
      : inner_(inner), cancelled_(cancelled) {}
  size_t read(void* buf, size_t n) override {
    if (cancelled_.load(std::memory_order_relaxed)) throw Error("cancelled");
    return inner_.read(buf, n);
  }

 private:
  ByteSource& inner_;
  const std::atomic<bool>& cancelled_;
};

/// The manifest of the image to pull: `top` itself, or the entry of the index for the platform.
struct ResolvedManifest {
  FetchedManifest top;       ///< what the reference names (its digest is the repo digest)
  FetchedManifest manifest;  ///< the image manifest
  ImageManifest parsed;
};

ResolvedManifest resolve_manifest(RegistryClient& client, const Reference& ref, const Platform& want) {
  ResolvedManifest out;
  out.top = client.get_manifest(ref.path, ref.digest.empty() ? ref.tag : ref.digest);
  if (is_index_media_type(out.top.media_type)) {
    ImageIndex index = parse_image_index(out.top.body, out.top.media_type);
    std::optional<Descriptor> entry = select_platform(index, want);
    if (!entry) fail("no matching manifest for {} in the manifest list entries", want.str());
    out.manifest = client.get_manifest(ref.path, entry->digest);
    if (is_index_media_type(out.manifest.media_type))
      fail("{}: the index entry for {} is itself an index", ref.familiar(), want.str());
  } else {
    out.manifest = out.top;
  }
  out.parsed = parse_image_manifest(out.manifest.body, out.manifest.media_type);
  return out;
}

/// The config's rootfs.diff_ids, one per manifest layer.
std::vector<std::string> config_diff_ids(const Json& config, const ImageManifest& manifest) {
  std::vector<std::string> ids;
  if (config.contains("rootfs") && config["rootfs"].is_object())
    for (const auto& d : config["rootfs"].value("diff_ids", Json::array()))
      if (d.is_string()) ids.push_back(d.get<std::string>());
  if (ids.size() != manifest.layers.size())
    fail("the image config lists {} layers but its manifest {}", ids.size(), manifest.layers.size());
  for (const auto& d : ids)
    if (!is_sha256_digest(d)) fail("the image config lists an invalid layer digest {}", d);
  return ids;
}

void check_platform(const Json& config, const Platform& want, const std::string& shown) {
  Platform have;
  have.os = config.value("os", "");
  have.architecture = config.value("architecture", "");
  have.variant = config.value("variant", "");
  have = normalize_platform(have);
  Platform w = normalize_platform(want);
  if (have.os != w.os || have.architecture != w.architecture)
    fail("image with reference {} was found but its platform ({}) does not match the specified platform ({})",
         shown, have.str(), w.str());
}

/// Whether the text of a reference spells a tag (a ':' after the last '/'; "host:5000/x" has none).
bool names_tag(std::string_view text) {
  size_t slash = text.rfind('/');
  return text.find(':', slash == std::string_view::npos ? 0 : slash) != std::string_view::npos;
}

int env_int(const char* name, int fallback, int min) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*end || v < min) fail("{}={}: expected a number of at least {}", name, text, min);
  return static_cast<int>(v);
}

/// Downloads and imports `todo` (indexes into the manifest's layers) with `workers` threads.
/// Returns the first failure's message, or "" when every layer is in.
std::string fetch_layers(RegistryClient& client, ImageStore& store, const Reference& ref,
                         const ImageManifest& m, const std::vector<std::string>& diff_ids,
                         const std::vector<size_t>& todo, bool chown, int workers,
                         TransferObserver& progress) {
  std::atomic<size_t> next{0};
  std::atomic<bool> cancelled{false};
  std::mutex error_mutex;
  std::string first_error;
  auto warn = [](const std::string& line) { std::fprintf(stderr, "tug: warning: %s\n", line.c_str()); };
  auto work = [&] {
    for (size_t k; (k = next.fetch_add(1)) < todo.size();) {
      if (cancelled) return;
      size_t i = todo[k];
      const Descriptor& layer = m.layers[i];
      try {
        progress.layer_state(i, LayerState::kDownloading);
        auto blob = client.open_blob(ref.path, layer.digest, layer.size,
                                     [&progress, i](uint64_t done) { progress.layer_bytes(i, done); });
        CancellableSource source(*blob, cancelled);
        import_layer(store, source, chown, warn, LayerExpectation{layer.digest, diff_ids[i]});
        progress.layer_state(i, LayerState::kPullComplete);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!cancelled.exchange(true)) {
          std::string what = e.what();
          std::string id = short_layer_id(layer.digest);
          first_error = what.find(id) == std::string::npos ? id + ": " + what : what;
        }
        return;
      }
    }
  };
  size_t n = std::min(todo.size(), static_cast<size_t>(std::max(workers, 1)));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return first_error;
}

}  // namespace

PullPolicy parse_pull_policy(std::string_view text) {
  if (text == "missing") return PullPolicy::kMissing;
  if (text == "always") return PullPolicy::kAlways;
  if (text == "never") return PullPolicy::kNever;
  fail("invalid pull option: '{}': must be one of \"always\", \"missing\" or \"never\"", text);
}

PullOptions pull_options_from_env() {
  PullOptions o;
  o.max_concurrent = env_int("TUG_MAX_CONCURRENT_DOWNLOADS", o.max_concurrent, 1);
  return o;
}

PullResult pull_image(const StorePaths& paths, const std::string& reference, const PullOptions& options,
                      TransferObserver& progress) {
  Reference ref = parse_reference(reference);
  bool default_tag = ref.digest.empty() && !names_tag(reference);
  // Threads come later (curl's resolver, the layer workers): the namespace must come first.
  IdMapping mapping = detect_id_mapping();
  enter_user_namespace(mapping);

  Platform want = options.platform.empty() ? host_platform() : parse_platform(options.platform);
  if (default_tag) progress.message("Using default tag: " + ref.tag);

  RegistryClient client(ref.domain, options.registry, std::make_shared<CredentialStore>());
  ResolvedManifest resolved = resolve_manifest(client, ref, want);
  // As docker: the line comes once the registry has answered with a manifest.
  progress.message(fmt::format("{}: Pulling from {}", ref.digest.empty() ? ref.tag : ref.digest, ref.path));
  const ImageManifest& m = resolved.parsed;
  ImageStore store(paths);
  // The store's blobs are named by their digest: a config already here is not fetched again.
  std::string config_text = store.has_blob(m.config.digest) ? store.read_blob(m.config.digest)
                                                            : client.get_blob(ref.path, m.config.digest);
  Json config = Json::parse(config_text, nullptr, false);
  if (!config.is_object()) fail("the image config {} is not a JSON object", m.config.digest);
  if (!options.platform.empty()) check_platform(config, want, ref.familiar());
  std::vector<std::string> diff_ids = config_diff_ids(config, m);

  clean_stale_temporaries(paths);
  FileLock store_lock(paths.store_lock(), FileLock::Mode::kShared);
  const std::string& image_id = m.config.digest;
  std::optional<std::string> tagged_before;
  if (ref.digest.empty()) tagged_before = store.tagged_id(ref.full());
  bool had_image = store.has_complete_image(image_id);

  if (!had_image) {
    std::vector<std::string> ids;
    std::vector<int64_t> sizes;
    std::vector<size_t> todo;
    for (size_t i = 0; i < m.layers.size(); ++i) {
      ids.push_back(short_layer_id(m.layers[i].digest));
      sizes.push_back(m.layers[i].size);
    }
    progress.layers_begin(ids, sizes);
    for (size_t i = 0; i < m.layers.size(); ++i) {
      if (store.has_layer(diff_ids[i]) && store.has_blob(m.layers[i].digest)) {
        progress.layer_state(i, LayerState::kAlreadyExists);
      } else {
        progress.layer_state(i, LayerState::kWaiting);
        todo.push_back(i);
      }
    }
    std::string error =
        fetch_layers(client, store, ref, m, diff_ids, todo, mapping.mode != IdMapping::Mode::kSingle,
                     options.max_concurrent, progress);
    progress.layers_end();
    if (!error.empty()) throw Error(error);
  }

  // Config and manifest last: an image is recorded only once all it names is in.
  store.put_blob(config_text);
  std::string manifest_digest = store.put_blob(resolved.manifest.body);
  std::vector<std::string> tags;
  if (ref.digest.empty()) tags.push_back(ref.full());
  std::string repo_digest = ref.repository() + "@" + resolved.top.digest;
  bool had_repo_digest = false;
  if (had_image)
    if (auto img = store.find(image_id))
      for (const auto& d : img->repo_digests) had_repo_digest |= d == repo_digest;
  store.add_image(manifest_digest, tags, {repo_digest});

  PullResult result;
  result.image_id = image_id;
  result.reference = ref.digest.empty() ? ref.full() : ref.repository() + "@" + ref.digest;
  result.up_to_date = had_image && (ref.digest.empty() ? tagged_before == image_id : had_repo_digest);
  progress.message("Digest: " + resolved.top.digest);
  std::string shown = ref.digest.empty() ? ref.familiar() : ref.familiar_repository() + "@" + ref.digest;
  progress.message(result.up_to_date ? "Status: Image is up to date for " + shown
                                     : "Status: Downloaded newer image for " + shown);
  return result;
}

PullResult pull_image_in_child(const StorePaths& paths, const std::string& reference,
                               const PullOptions& options, TransferObserver& progress) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd report_read(fds[0]), report_write(fds[1]);
  std::fflush(nullptr);  // buffered output must not be written twice
  pid_t child = ::fork();
  if (child < 0) fail_errno("fork");
  if (child == 0) {
    report_read.reset();
    std::string report;
    int code = 0;
    try {
      PullResult r = pull_image(paths, reference, options, progress);
      report = fmt::format("ok\n{}\n{}\n{}", r.image_id, r.reference, r.up_to_date ? 1 : 0);
    } catch (const std::exception& e) {
      report = std::string("error\n") + e.what();
      code = 1;
    }
    std::fflush(nullptr);
    for (size_t off = 0; off < report.size();) {
      ssize_t n = ::write(report_write.get(), report.data() + off, report.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::_exit(code);
  }
  report_write.reset();
  std::string report;
  char buf[4096];
  for (ssize_t n; (n = ::read(report_read.get(), buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    report.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (report.rfind("error\n", 0) == 0) throw Error(report.substr(6));
  if (report.rfind("ok\n", 0) != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("pulling {} failed: the puller {}", reference,
         WIFSIGNALED(status) ? fmt::format("was killed by signal {}", WTERMSIG(status))
                             : "ended without a result");
  PullResult r;
  size_t a = report.find('\n', 3), b = report.find('\n', a + 1);
  r.image_id = report.substr(3, a - 3);
  r.reference = report.substr(a + 1, b - a - 1);
  r.up_to_date = report.substr(b + 1) == "1";
  return r;
}

Image image_for_container(const StorePaths& paths, const std::string& name, PullPolicy policy,
                          const PullOptions& options, TransferObserver& progress) {
  ImageStore images(paths);
  std::optional<Image> found;
  if (policy != PullPolicy::kAlways) found = images.find(name);
  if (found) return std::move(*found);
  std::string shown = name;
  try {
    shown = parse_reference(name).familiar();
  } catch (const Error&) {
    if (!looks_like_image_id(name)) throw;
    fail("Unable to find image '{}' locally", name);  // an ID is never pulled
  }
  if (policy == PullPolicy::kNever) fail("Unable to find image '{}' locally", shown);
  if (policy == PullPolicy::kMissing)
    std::fprintf(stderr, "Unable to find image '%s' locally\n", shown.c_str());
  PullResult pulled = pull_image_in_child(paths, name, options, progress);
  return images.resolve(pulled.image_id);
}

}  // namespace tug
