// COPY/ADD: planning is pure string work over the context listing; the layer is packed in a
// child inside the user namespace, where the image's layer directories (owned by container
// ids) can be read for the parents' metadata, and imported like any other layer.
#include "core/build/copy_step.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/build/path_pattern.hpp"
#include "core/container_fs_child.hpp"
#include "core/image_config.hpp"
#include "core/userns.hpp"
#include "fs/compression.hpp"
#include "fs/layer_stack.hpp"
#include "fs/layer_unpack.hpp"
#include "fs/safe_path.hpp"
#include "fs/tar_pack.hpp"
#include "util/error.hpp"
#include "util/file_lock.hpp"
#include "util/file_util.hpp"
#include "util/sha256.hpp"

namespace tug::build {

namespace {

bool has_wildcards(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

const ContextEntry* find_entry(const std::vector<ContextEntry>& entries, const std::string& path) {
  auto it = std::lower_bound(entries.begin(), entries.end(), path,
                             [](const ContextEntry& e, const std::string& p) { return e.path < p; });
  return it != entries.end() && it->path == path ? &*it : nullptr;
}

// The merged image's object at `path` ("a/b", relative), or nullopt.
// The merged directory holding `path` ("a/b/c" → the dir a/b) and the last name ("c"); the
// directory's exists() is false when a component is missing or no directory.
std::pair<LayerStack::Dir, std::string> merged_parent(const LayerStack& stack, const std::string& path) {
  LayerStack::Dir dir = stack.root();
  std::string rest = path;
  for (auto slash = rest.find('/'); slash != std::string::npos && dir.exists(); slash = rest.find('/')) {
    dir = stack.open(dir, rest.substr(0, slash));
    rest = rest.substr(slash + 1);
  }
  return {std::move(dir), rest};
}

std::optional<struct stat> image_lookup(const std::vector<std::string>& layers, const std::string& path) {
  if (layers.empty()) return std::nullopt;
  try {
    LayerStack stack(layers);
    auto [dir, name] = merged_parent(stack, path);
    return dir.exists() ? stack.lookup(dir, name) : std::nullopt;
  } catch (const Error&) {
    return std::nullopt;  // a directory private to a container id: decided as absent
  }
}

// Every ancestor of `path` ("a/b/c" → "a", "a/b").
void add_ancestors(const std::string& path, std::set<std::string>& out) {
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    out.insert(path.substr(0, slash));
}

// Entries of the context below `dir` ("" the root), in order.
template <typename F>
void for_each_below(const std::vector<ContextEntry>& entries, const std::string& dir, F&& f) {
  std::string prefix = dir.empty() ? "" : dir + "/";
  auto it = std::lower_bound(entries.begin(), entries.end(), prefix,
                             [](const ContextEntry& e, const std::string& p) { return e.path < p; });
  for (; it != entries.end() && it->path.compare(0, prefix.size(), prefix) == 0; ++it)
    if (it->path.size() > prefix.size()) f(*it, it->path.substr(prefix.size()));
}

uid_t parse_id(const std::string& s, const std::string& spec) {
  try {
    size_t used = 0;
    unsigned long v = std::stoul(s, &used);
    if (used == s.size()) return static_cast<uid_t>(v);
  } catch (const std::exception&) {
  }
  fail("unable to convert uid/gid chown string to host mapping: {}", spec);
}

std::string read_from_layers(const std::vector<std::string>& layers, const std::string& path) {
  if (layers.empty()) return {};
  LayerStack stack(layers);
  auto [dir, rest] = merged_parent(stack, path);
  if (!dir.exists()) return {};
  int fd = stack.holder(dir, rest);
  if (fd < 0) return {};
  UniqueFd file(::openat(fd, rest.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!file) return {};
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(file.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// --chown=user[:group]: numbers as given; names from the image's /etc/passwd and /etc/group. A
// user without a group takes the group with its own number, as docker does.
std::pair<uid_t, gid_t> resolve_chown(const std::string& spec, const std::vector<std::string>& layers) {
  auto colon = spec.find(':');
  std::string user = spec.substr(0, colon), group = colon == std::string::npos ? "" : spec.substr(colon + 1);
  auto numeric = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  uid_t uid;
  if (numeric(user)) {
    uid = parse_id(user, spec);
  } else {
    ResolvedUser r =
        resolve_user(user, read_from_layers(layers, "etc/passwd"), read_from_layers(layers, "etc/group"));
    uid = r.uid;
  }
  if (group.empty()) return {uid, static_cast<gid_t>(uid)};
  if (numeric(group)) return {uid, static_cast<gid_t>(parse_id(group, spec))};
  ResolvedUser r = resolve_user("0:" + group, read_from_layers(layers, "etc/passwd"),
                                read_from_layers(layers, "etc/group"));
  return {uid, r.gid};
}

std::optional<mode_t> parse_chmod(const std::string& text, const std::string& file, int line) {
  if (text.empty()) return std::nullopt;
  bool octal = !text.empty() && text.size() <= 4 &&
               std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; });
  if (!octal) fail_at_line(file, line, fmt::format("invalid chmod parameter: {}", text));
  return static_cast<mode_t>(std::stoul(text, nullptr, 8));
}

// Packs the merged image object `name` of `dir` as `archive_name`, and below it for a directory.
void pack_merged(TarPacker& packer, const LayerStack& stack, const LayerStack::Dir& dir,
                 const std::string& name, const std::string& archive_name, bool contents_only) {
  auto st = stack.lookup(dir, name);
  if (!st) return;
  if (!contents_only) packer.add(stack.holder(dir, name), name, archive_name);
  if (!S_ISDIR(st->st_mode)) return;
  LayerStack::Dir sub = stack.open(dir, name);
  for (const auto& child : stack.list(sub))
    pack_merged(packer, stack, sub, child, archive_name.empty() ? child : archive_name + "/" + child, false);
}

// ADD extracts a local file that is a tar archive, compressed or not (docker looks at the
// content, not the name).
bool is_tar_archive(int context_fd, const std::string& rel) {
  UniqueFd fd = open_beneath(context_fd, rel, O_RDONLY | O_NOFOLLOW);
  if (!fd) return false;
  char head[512];
  ssize_t n = ::read(fd.get(), head, sizeof head);
  if (n < 4) return false;
  if (detect_compression(head, static_cast<size_t>(n)) != Compression::kNone) return true;
  return n >= 262 && std::string_view(head + 257, 5) == "ustar";
}

}  // namespace

CopyPlan plan_copy_step(const FileCopy& copy, const CopyInputs& inputs, const std::string& file, int line,
                        bool is_add) {
  bool from_image = !inputs.from_layers.empty();
  struct Source {
    std::string path;
    bool is_dir;
  };
  std::vector<Source> sources;
  for (const auto& raw : copy.sources) {
    std::string path = raw;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (from_image) {
      std::string rel = clean_path("/" + path).substr(1);
      if (has_wildcards(rel)) fail_at_line(file, line, "COPY --from with wildcards is not supported yet");
      auto st = image_lookup(inputs.from_layers, rel);
      if (!rel.empty() && !st)
        fail_at_line(file, line, fmt::format("failed to compute cache key: \"/{}\": not found", rel));
      sources.push_back({rel, rel.empty() || S_ISDIR(st->st_mode)});
      continue;
    }
    std::string cleaned = clean_path(path);
    if (cleaned == ".." || cleaned.starts_with("../") || cleaned.starts_with("/.."))
      fail_at_line(file, line, fmt::format("forbidden path outside the build context: {}", raw));
    std::string rel = clean_path("/" + cleaned).substr(1);
    if (has_wildcards(rel)) {
      PathPattern pattern(rel);
      size_t before = sources.size();
      for (const auto& e : *inputs.context)
        if (pattern.matches(e.path)) sources.push_back({e.path, e.type == ContextEntry::Type::kDirectory});
      if (sources.size() == before)
        fail_at_line(file, line,
                     fmt::format("failed to compute cache key: no source files were specified ({})", raw));
      continue;
    }
    if (rel.empty()) {
      sources.push_back({"", true});
      continue;
    }
    const ContextEntry* entry = find_entry(*inputs.context, rel);
    if (!entry) fail_at_line(file, line, fmt::format("failed to compute cache key: \"/{}\": not found", rel));
    sources.push_back({rel, entry->type == ContextEntry::Type::kDirectory});
  }

  std::string dest = copy.destination;
  bool dest_slash = dest.ends_with('/') || dest == "." || dest.ends_with("/.");
  std::string dest_rel = clean_path(dest.starts_with('/') ? dest : inputs.workdir + "/" + dest);
  while (!dest_rel.empty() && dest_rel.front() == '/') dest_rel.erase(0, 1);
  if (dest_rel == ".") dest_rel.clear();
  auto existing =
      dest_rel.empty() ? std::optional<struct stat>() : image_lookup(inputs.image_layers, dest_rel);
  bool dest_is_dir = dest_slash || dest_rel.empty() || (existing && S_ISDIR(existing->st_mode));
  if (sources.size() + copy.inline_sources.size() > 1 && !dest_is_dir)
    fail_at_line(file, line,
                 "When using COPY with more than one source file, the destination must be a directory and "
                 "end with a /");

  CopyPlan plan;
  plan.from_layers = inputs.from_layers;
  plan.chown = copy.chown;
  plan.chmod = parse_chmod(copy.chmod, file, line);
  std::set<std::string> parents;
  UniqueFd context_fd;
  if (is_add && !from_image)
    context_fd.reset(::open(inputs.context_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (const auto& s : sources) {
    if (context_fd && !s.is_dir && is_tar_archive(context_fd.get(), s.path)) {
      CopyItem item{s.path, dest_rel, false};
      item.extract = true;
      plan.items.push_back(item);
      if (!dest_rel.empty()) parents.insert(dest_rel);
      add_ancestors(dest_rel, parents);
      continue;
    }
    if (s.is_dir) {
      plan.items.push_back({s.path, dest_rel, true});
      if (!dest_rel.empty()) parents.insert(dest_rel);
      add_ancestors(dest_rel, parents);
    } else {
      std::string target = dest_is_dir
                               ? (dest_rel.empty() ? base_name(s.path) : dest_rel + "/" + base_name(s.path))
                               : dest_rel;
      plan.items.push_back({s.path, target, false});
      add_ancestors(target, parents);
    }
  }
  // `COPY <<EOF /dest`: a file named after the delimiter, holding the body.
  for (const auto& h : copy.inline_sources) {
    std::string target = dest_is_dir ? (dest_rel.empty() ? h.name : dest_rel + "/" + h.name) : dest_rel;
    CopyItem item{h.name, target, false};
    item.inline_content = h.content;
    plan.items.push_back(item);
    add_ancestors(target, parents);
  }
  plan.parents.assign(parents.begin(), parents.end());
  return plan;
}

std::string copy_content_digest(const CopyPlan& plan, const CopyInputs& inputs) {
  Sha256 hash;
  auto field = [&](const std::string& s) {
    hash.update(s);
    hash.update(std::string_view("\0", 1));
  };
  field(plan.chown);
  field(plan.chmod ? std::to_string(*plan.chmod) : "");
  UniqueFd context(::open(inputs.context_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  auto object = [&](const std::string& rel) {
    struct stat st {};
    if (::fstatat(context.get(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("stat {}", rel);
    field(rel);
    field(fmt::format("{:o} {}", st.st_mode, S_ISDIR(st.st_mode) ? 0 : st.st_size));
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlinkat(context.get(), rel.c_str(), target, sizeof target);
      field(std::string(target, n > 0 ? static_cast<size_t>(n) : 0));
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd fd = open_beneath(context.get(), rel, O_RDONLY | O_NOFOLLOW);
      if (!fd) fail_errno("open {}", rel);
      char buf[65536];
      ssize_t n;
      while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) hash.update(buf, static_cast<size_t>(n));
    }
  };
  for (const auto& item : plan.items) {
    field(item.source);
    field(item.archive_name);
    if (item.inline_content) {
      field(*item.inline_content);
      continue;
    }
    if (!plan.from_layers.empty()) continue;
    if (!item.source.empty()) object(item.source);
    if (item.contents)
      for_each_below(*inputs.context, item.source, [&](const ContextEntry& e, const std::string&) {
        if (e.type != ContextEntry::Type::kOther) object(e.path);
      });
  }
  return hash.hex();
}

namespace {

// ADD of an archive: unpacked (hostile paths refused as for any layer) into a staging
// directory, whose entries are then written below the destination with the owners the archive
// gave them.
void extract_into(TarPacker& packer, int context_fd, const CopyItem& item, const std::string& tmp_base,
                  const PackOptions& files, const PackOptions& own) {
  std::string staging = tmp_base + "-extract";
  if (::mkdir(staging.c_str(), 0755) != 0) fail_errno("create {}", staging);
  struct Remove {
    std::string dir;
    ~Remove() { remove_tree(dir); }
  } remove{staging};
  UniqueFd dir(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd archive = open_beneath(context_fd, item.source, O_RDONLY | O_NOFOLLOW);
  if (!dir || !archive) fail_errno("open {}", item.source);
  FdSource raw(archive.get(), item.source);
  auto tar = decompressing_source(raw);
  UnpackOptions unpack;
  unpack_layer(*tar, dir.get(), unpack);
  PackOptions kept = own;
  kept.permissions.reset();
  packer.set_options(kept);
  for (const auto& name : list_dir(dir.get(), staging))
    packer.add_tree(dir.get(), name, item.archive_name.empty() ? name : item.archive_name + "/" + name);
  packer.set_options(files);
}

}  // namespace

ImportedLayer write_copy_layer(const StorePaths& paths, const CopyPlan& plan, const CopyInputs& inputs,
                               std::optional<int64_t> mtime) {
  IdMapping mapping = detect_id_mapping();
  ChildTask child([&](ChildTask::Channel& channel) {
    enter_user_namespace(mapping);
    ImageStore store(paths);
    FileLock lock(paths.store_lock(), FileLock::Mode::kShared);
    std::pair<uid_t, gid_t> owner{0, 0};
    if (!plan.chown.empty()) owner = resolve_chown(plan.chown, inputs.image_layers);

    std::string tmp_base = fmt::format("{}/.tmp-copy-{}", paths.tmp(), ::getpid());
    std::string empty_dir = tmp_base + "-dir";
    ::mkdir(empty_dir.c_str(), 0755);
    ::chmod(empty_dir.c_str(), 0755);  // whatever the umask
    struct Cleanup {
      std::string dir, file;
      ~Cleanup() {
        ::rmdir(dir.c_str());
        ::unlink(file.c_str());
      }
    } cleanup{empty_dir, tmp_base + ".tar.gz"};
    UniqueFd tmp_dir(::open(paths.tmp().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    UniqueFd out(::open(cleanup.file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!out) fail_errno("create {}", cleanup.file);
    {
      FdSink file(out.get(), cleanup.file);
      GzipSink gzip(file);
      PackOptions own;
      own.mtime = mtime;
      TarPacker packer(gzip, own);
      // The parents as the image has them (a copy into /tmp must not turn it 0755), else new
      // root-owned 0755 directories.
      LayerStack image(inputs.image_layers);
      for (const auto& parent : plan.parents) {
        bool written = false;
        if (!inputs.image_layers.empty()) {
          auto [dir, rest] = merged_parent(image, parent);
          if (dir.exists()) {
            auto st = image.lookup(dir, rest);
            if (st && S_ISDIR(st->st_mode)) {
              packer.add(image.holder(dir, rest), rest, parent);
              written = true;
            }
          }
        }
        if (!written) packer.add(tmp_dir.get(), base_name(empty_dir), parent);
      }
      PackOptions files;
      files.owner = owner;
      files.permissions = plan.chmod;
      files.mtime = mtime;
      packer.set_options(files);
      // Heredoc files are written into the staging directory, 0644, and packed from there.
      for (const auto& item : plan.items) {
        if (!item.inline_content) continue;
        std::string name = base_name(tmp_base) + "-inline";
        {
          UniqueFd f(::openat(tmp_dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
          if (!f) fail_errno("create {}/{}", paths.tmp(), name);
          ::fchmod(f.get(), item.inline_mode);
          const std::string& body = *item.inline_content;
          if (::write(f.get(), body.data(), body.size()) != static_cast<ssize_t>(body.size()))
            fail_errno("write {}/{}", paths.tmp(), name);
        }
        packer.add(tmp_dir.get(), name, item.archive_name);
        ::unlinkat(tmp_dir.get(), name.c_str(), 0);
      }
      if (!plan.from_layers.empty()) {
        LayerStack from(plan.from_layers);
        for (const auto& item : plan.items) {
          if (item.inline_content) continue;
          LayerStack::Dir dir = from.root();
          if (item.source.empty()) {
            for (const auto& child_name : from.list(dir))
              pack_merged(packer, from, dir, child_name,
                          item.archive_name.empty() ? child_name : item.archive_name + "/" + child_name,
                          false);
            continue;
          }
          auto [parent, name] = merged_parent(from, item.source);
          if (parent.exists()) pack_merged(packer, from, parent, name, item.archive_name, item.contents);
        }
      } else {
        UniqueFd context(::open(inputs.context_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!context) fail_errno("open the build context {}", inputs.context_dir);
        auto add_from_context = [&](const std::string& rel, const std::string& archive_name) {
          std::string parent = dir_name(rel);
          UniqueFd dir =
              open_beneath(context.get(), parent.empty() ? "." : parent, O_PATH | O_DIRECTORY | O_NOFOLLOW);
          if (!dir) fail_errno("open {} in the build context", parent);
          packer.add(dir.get(), base_name(rel), archive_name);
        };
        for (const auto& item : plan.items) {
          if (item.inline_content) continue;
          if (item.extract) {
            extract_into(packer, context.get(), item, tmp_base, files, own);
            continue;
          }
          if (!item.contents) {
            add_from_context(item.source, item.archive_name);
            continue;
          }
          for_each_below(*inputs.context, item.source, [&](const ContextEntry& e, const std::string& below) {
            if (e.type == ContextEntry::Type::kOther) return;
            add_from_context(e.path, item.archive_name.empty() ? below : item.archive_name + "/" + below);
          });
        }
      }
      packer.finish();
      gzip.finish();
    }
    channel.send(imported_layer_json(
        import_packed_layer(store, out.get(), cleanup.file, mapping.mode != IdMapping::Mode::kSingle)));
  });
  Json done = child.receive();
  child.wait();
  return imported_layer_from_json(done);
}

}  // namespace tug::build
