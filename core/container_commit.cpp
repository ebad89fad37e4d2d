// Commit: in a child inside the user namespace (the container's files belong to its ids), the
// changes are packed into a gzip-compressed layer tar in the store's tmp dir, which then goes
// through the same import as `tug import` (blob, extracted layer) before the config, manifest,
// image record and tag are written, all under the store lock held shared, as imports hold it.
#include "core/container_commit.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <optional>

#include "core/container_changes.hpp"
#include "core/container_fs_child.hpp"
#include "core/container_lifecycle.hpp"
#include "core/container_store.hpp"
#include "core/image_archive.hpp"
#include "core/image_config.hpp"
#include "core/layer_import.hpp"
#include "core/userns.hpp"
#include "fs/compression.hpp"
#include "fs/safe_path.hpp"
#include "fs/tar_pack.hpp"
#include "registry/reference.hpp"
#include "util/error.hpp"
#include "util/file_lock.hpp"

namespace tug {

namespace {

// The image config fields a container's Config carries over (docker copies its whole
// container.Config; the per-run ones like Hostname or Tty mean nothing in an image).
constexpr const char* kImageConfigKeys[] = {
    "User",       "ExposedPorts", "Env",        "Entrypoint",  "Cmd",     "Healthcheck", "Volumes",
    "WorkingDir", "Labels",       "StopSignal", "StopTimeout", "OnBuild", "Shell"};

bool is_unset(const Json& v) { return v.is_null() || ((v.is_object() || v.is_array()) && v.empty()); }

/// The packed layer, removed unless the import took it over (it copies, so always removed).
struct TempFile {
  std::string path;
  UniqueFd fd;
  explicit TempFile(std::string p) : path(std::move(p)) {
    // ".tmp-" names in the store's tmp dir are what clean_stale_temporaries() sweeps after a kill.
    fd.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) fail_errno("create {}", path);
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

// A layer holding `changes` of the tree at `own_dir`: A and C entries as they are now, D entries
// as whiteouts. Parents are resolved beneath the tree, so a running container's symlinks cannot
// make us read outside it.
void pack_changes(TarPacker& packer, const std::string& own_dir, const std::vector<Change>& changes) {
  UniqueFd root(::open(own_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) fail_errno("open {}", own_dir);
  std::string cached_parent = "\x01";  // no path is this
  UniqueFd parent_fd;
  for (const auto& c : changes) {
    std::string rel = c.path.substr(1);
    if (c.kind == ChangeKind::kDelete) {
      packer.add_whiteout(rel);
      continue;
    }
    size_t slash = rel.rfind('/');
    std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
    if (parent != cached_parent) {
      parent_fd = open_beneath(root.get(), parent.empty() ? "." : parent, O_PATH | O_DIRECTORY | O_NOFOLLOW);
      if (!parent_fd) fail_errno("open {}", parent.empty() ? "/" : "/" + parent);
      cached_parent = parent;
    }
    packer.add(parent_fd.get(), slash == std::string::npos ? rel : rel.substr(slash + 1), rel);
  }
}

std::vector<LayerDescriptor> parent_layers(const Image& parent) {
  std::vector<LayerDescriptor> out;
  for (const auto& l : parent.manifest.value("layers", Json::array()))
    out.push_back({l.value("mediaType", ""), l.value("digest", ""), l.value("size", int64_t{0})});
  return out;
}

// Pauses a running container while its files are read and unpauses it on every path out of
// the commit, a killed commit's included. Both are done by a small child in a session of its
// own (neither ^C nor kill -9 of the commit reaches it): it pauses, waits until the commit lets
// go or dies (either way its pipe reaches end of file), and unpauses. Done by the commit
// itself, a kill between pause and unpause would leave the container frozen for good.
class PauseGuard {
 public:
  PauseGuard(const StorePaths& paths, const std::string& id, bool pause) {
    if (!pause || ContainerStore(paths).live_state(id).status != "running") return;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
    UniqueFd release_read(fds[0]), release_write(fds[1]);
    if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
    UniqueFd reply_read(fds[0]), reply_write(fds[1]);
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) fail_errno("fork");
    if (pid == 0) {
      // tug is single-threaded here, so the child may allocate and throw; it ends with _exit,
      // leaving the parent's objects to the parent.
      ::setsid();
      // The reply goes to a commit that may be dead by then: EPIPE, not death (this process
      // never execs, so the disposition goes nowhere else).
      ::signal(SIGPIPE, SIG_IGN);
      int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
      release_write.reset();
      reply_read.reset();
      std::string reply = "1";
      try {
        pause_container(paths, id);
      } catch (const std::exception& e) {
        reply = std::string("0") + e.what();
      }
      (void)!::write(reply_write.get(), reply.data(), reply.size());
      reply_write.reset();
      if (reply != "1") ::_exit(1);
      char byte;
      while (::read(release_read.get(), &byte, 1) < 0 && errno == EINTR) {
      }
      try {
        unpause_container(paths, id);
      } catch (const std::exception&) {
        // It stopped meanwhile: nothing to unpause.
      }
      ::_exit(0);
    }
    guard_ = pid;
    release_ = std::move(release_write);
    release_read.reset();
    reply_write.reset();
    std::string reply;
    char buf[512];
    ssize_t n;
    while ((n = ::read(reply_read.get(), buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
    if (reply != "1") {
      release();
      throw Error(reply.size() > 1 ? reply.substr(1) : "the process pausing the container died");
    }
  }
  ~PauseGuard() { release(); }
  PauseGuard(const PauseGuard&) = delete;
  PauseGuard& operator=(const PauseGuard&) = delete;

  /// Unpauses (the guard does) and waits until it did.
  void release() {
    if (guard_ <= 0) return;
    release_.reset();
    while (::waitpid(guard_, nullptr, 0) < 0 && errno == EINTR) {
    }
    guard_ = -1;
  }
  /// In a forked child: lets go of the parent's end of the guard's pipe, which would otherwise
  /// keep the guard waiting for as long as the child lives.
  void drop_in_child() {
    release_.reset();
    guard_ = -1;
  }

 private:
  pid_t guard_ = -1;
  UniqueFd release_;  ///< closing it (or dying) tells the guard to unpause
};

}  // namespace

Json commit_config_section(const Json& container_config, const std::vector<std::string>& changes) {
  Json out = Json::object();
  for (const char* key : kImageConfigKeys) {
    auto it = container_config.find(key);
    if (it == container_config.end() || is_unset(*it) || (it->is_string() && it->get<std::string>().empty()))
      continue;
    out[key] = *it;
  }
  // tug writes HOSTNAME (and TERM for a tty) into the container's Env where docker adds them at
  // run time only; an image keeping them would override the next container's own.
  if (out.contains("Env")) {
    std::string hostname = "HOSTNAME=" + container_config.value("Hostname", "");
    bool tty = container_config.value("Tty", false);
    Json env = Json::array();
    for (const auto& e : json_string_array(out["Env"]))
      if (e != hostname && !(tty && e == "TERM=xterm")) env.push_back(e);
    out["Env"] = env;
  }
  for (const auto& c : changes) apply_change(out, c);
  return out;
}

Json commit_history_entry(const Json& container_config, const std::string& created,
                          const CommitOptions& options, bool empty_layer) {
  std::string created_by;
  for (const auto& part : json_string_array(container_config.value("Cmd", Json()))) {
    if (!created_by.empty()) created_by += ' ';
    created_by += part;
  }
  Json entry = {{"created", created}};
  if (!options.author.empty()) entry["author"] = options.author;
  entry["created_by"] = created_by;
  if (!options.message.empty()) entry["comment"] = options.message;
  if (empty_layer) entry["empty_layer"] = true;
  return entry;
}

namespace {

// Packs the container's changes (in a child inside the user namespace, holding the store lock
// shared) and imports them as a layer; nullopt when nothing changed. `packed` runs in the
// parent once the files are read (the container may go on).
std::optional<ImportedLayer> import_changes(const StorePaths& paths, const std::string& id,
                                            const std::function<void()>& packed,
                                            const std::function<void()>& in_child,
                                            std::optional<int64_t> mtime = std::nullopt) {
  ContainerFiles files = container_files(paths, id);
  IdMapping mapping = detect_id_mapping();
  ChildTask child([&](ChildTask::Channel& channel) {
    in_child();
    enter_user_namespace(mapping);
    ImageStore store(paths);
    clean_stale_temporaries(paths);
    FileLock lock(paths.store_lock(), FileLock::Mode::kShared);
    std::vector<Change> changes = compute_changes(files);
    if (changes.empty()) {
      channel.send(Json{{"packed", true}});
      channel.send(Json::object());
      return;
    }
    TempFile temp(fmt::format("{}/.tmp-commit-{}", paths.tmp(), ::getpid()));
    {
      FdSink file(temp.fd.get(), temp.path);
      GzipSink gzip(file);
      PackOptions pack;
      pack.mtime = mtime;
      TarPacker packer(gzip, pack);
      pack_changes(packer, files.own_dir, changes);
      packer.finish();
      gzip.finish();
    }
    channel.send(Json{{"packed", true}});
    channel.send(imported_layer_json(
        import_packed_layer(store, temp.fd.get(), temp.path, mapping.mode != IdMapping::Mode::kSingle)));
  });
  child.receive();
  packed();
  Json done = child.receive();
  child.wait();
  if (!done.contains("diff_id")) return std::nullopt;
  return imported_layer_from_json(done);
}

}  // namespace

std::optional<ImportedLayer> commit_container_layer(const StorePaths& paths, const std::string& id,
                                                    std::optional<FileLock>& store_lock,
                                                    std::optional<int64_t> mtime) {
  return import_changes(
      paths, id, [&] { store_lock.emplace(paths.store_lock(), FileLock::Mode::kShared); }, [] {}, mtime);
}

std::string store_image(const StorePaths& paths, const Json& config,
                        const std::vector<LayerDescriptor>& layers, const std::vector<std::string>& tags,
                        bool intermediate) {
  ImageStore store(paths);
  FileLock lock(paths.store_lock(), FileLock::Mode::kShared);
  std::string config_text = config.dump();
  std::string config_digest = store.put_blob(config_text);
  std::string manifest_digest =
      store.put_blob(synthesize_manifest(config_digest, static_cast<int64_t>(config_text.size()), layers));
  return store.add_image(manifest_digest, tags, {}, intermediate).id;
}

std::string commit_container(const StorePaths& paths, const std::string& id, const CommitOptions& options) {
  ContainerStore containers(paths);
  Json container = containers.load_config(id);
  Image parent = ImageStore(paths).resolve(container.value("Image", ""));
  // Everything the user typed is checked before anything is paused or written.
  std::vector<std::string> tags;
  if (!options.reference.empty()) tags.push_back(parse_reference(options.reference).full());
  Json section = commit_config_section(container["Config"], options.changes);

  PauseGuard pause(paths, id, options.pause);
  // The store lock is held shared from the import (taken while the child still holds it) to
  // the image record: a concurrent rmi or garbage collection cannot take the new layer for
  // unreferenced in between.
  std::optional<FileLock> lock;
  std::optional<ImportedLayer> layer = import_changes(
      paths, id,
      [&] {
        lock.emplace(paths.store_lock(), FileLock::Mode::kShared);
        pause.release();
      },
      [&] { pause.drop_in_child(); });

  std::string created = now_rfc3339();
  Json config = parent.config;
  for (const char* stale : {"container", "container_config", "docker_version", "comment"})
    config.erase(stale);
  config["created"] = created;
  if (!options.author.empty()) config["author"] = options.author;
  config["config"] = section;
  if (!config.contains("rootfs") || !config["rootfs"].is_object())
    config["rootfs"] = {{"type", "layers"}, {"diff_ids", Json::array()}};
  if (layer) config["rootfs"]["diff_ids"].push_back(layer->diff_id);
  if (!config.contains("history") || !config["history"].is_array()) config["history"] = Json::array();
  config["history"].push_back(commit_history_entry(container["Config"], created, options, !layer));
  std::vector<LayerDescriptor> layers = parent_layers(parent);
  if (layer) layers.push_back({layer->media_type, layer->blob_digest, layer->blob_size});
  return store_image(paths, config, layers, tags, false);
}

}  // namespace tug
