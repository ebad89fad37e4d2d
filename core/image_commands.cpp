// import, rmi, tag and the image views. Layer files may belong to ids of the user namespace,
// so import and rmi enter it before touching them.
#include "core/image_commands.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "core/container_store.hpp"
#include "core/format/human_units.hpp"
#include "core/image_config.hpp"
#include "core/layer_import.hpp"
#include "core/userns.hpp"
#include "registry/reference.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

std::string short_id(const std::string& id) { return std::string(digest_hex(id)).substr(0, 12); }

// Who uses each image: image id → container ids (and whether one of them is running).
struct ImageUsers {
  std::vector<std::string> containers;
  bool running = false;
};

std::map<std::string, ImageUsers> image_users(const StorePaths& paths) {
  ContainerStore store(paths);
  std::map<std::string, ImageUsers> out;
  for (const auto& id : store.list_ids()) {
    try {
      Json cfg = store.load_config(id);
      auto& users = out[cfg.value("Image", "")];
      users.containers.push_back(id);
      if (store.is_running(id)) users.running = true;
    } catch (const std::exception&) {
      // A container being removed right now: it no longer holds its image.
    }
  }
  return out;
}

}  // namespace

std::string import_image(const StorePaths& paths, const std::string& source, const std::string& ref,
                         const std::vector<std::string>& changes, const std::string& message) {
  std::string full_ref;
  if (!ref.empty()) full_ref = parse_reference(ref).full();
  Json config_section = Json::object();
  for (const auto& c : changes) apply_change(config_section, c);

  UniqueFd input;
  if (source == "-") {
    input.reset(::dup(STDIN_FILENO));
  } else {
    input.reset(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  }
  if (!input) fail_errno("open {}", source);

  IdMapping mapping = detect_id_mapping();
  enter_user_namespace(mapping);
  ImageStore store(paths);
  clean_stale_temporaries(paths);
  FdSource raw(input.get(), source == "-" ? "stdin" : source);
  auto warn = [](const std::string& line) { std::fprintf(stderr, "tug: warning: %s\n", line.c_str()); };
  ImportedLayer layer;
  try {
    layer = import_layer(store, raw, mapping.mode != IdMapping::Mode::kSingle, warn);
  } catch (const Error& e) {
    throw Error(fmt::format("import {}: {}", source, e.what()), e.exit_code());
  }

  std::string created = now_rfc3339();
  Json history_entry = {{"created", created}, {"created_by", "tug import"}};
  if (!message.empty()) history_entry["comment"] = message;
  Json config = {{"architecture", "amd64"},
                 {"os", "linux"},
                 {"created", created},
                 {"config", config_section},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {layer.diff_id}}}},
                 {"history", {history_entry}}};
  std::string config_text = config.dump();
  std::string config_digest = store.put_blob(config_text);
  Json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
        {"digest", config_digest},
        {"size", config_text.size()}}},
      {"layers",
       {{{"mediaType", layer.media_type}, {"digest", layer.blob_digest}, {"size", layer.blob_size}}}}};
  std::string manifest_digest = store.put_blob(manifest.dump());
  FileLock lock(paths.store_lock(), FileLock::Mode::kShared);
  std::vector<std::string> tags;
  if (!full_ref.empty()) tags.push_back(full_ref);
  return store.add_image(manifest_digest, tags).id;
}

void tag_image(const StorePaths& paths, const std::string& source, const std::string& target) {
  ImageStore store(paths);
  Image img = store.resolve(source);
  store.tag(img.id, parse_reference(target).full());
}

std::vector<std::string> remove_images(const StorePaths& paths, const std::vector<std::string>& names,
                                       bool force) {
  ImageStore store(paths);
  std::vector<std::string> lines;
  std::vector<std::string> errors;
  bool entered = false;
  for (const auto& name : names) {
    try {
      Image img = store.resolve(name);
      auto users = image_users(paths)[img.id];
      std::string tag_ref;
      if (!looks_like_image_id(name)) tag_ref = parse_reference(name).full();
      // Removing one of several tags only untags, exactly as docker does.
      if (!tag_ref.empty() && img.repo_tags.size() > 1 && !force) {
        store.untag(tag_ref);
        lines.push_back("Untagged: " + parse_reference(name).familiar());
        continue;
      }
      if (!users.containers.empty() && (!force || users.running)) {
        std::string cid = users.containers.front().substr(0, 12);
        if (!tag_ref.empty() && !force)
          fail(
              "conflict: unable to remove repository reference \"{}\" (must force) - container {} is using "
              "its referenced image {}",
              name, cid, short_id(img.id));
        fail("conflict: unable to delete {} ({}) - image is being used by {} container {}", short_id(img.id),
             users.running ? "cannot be forced" : "must be forced", users.running ? "running" : "stopped",
             cid);
      }
      for (const auto& t : img.repo_tags) {
        store.untag(t);
        lines.push_back("Untagged: " + parse_reference(t).familiar());
      }
      if (!entered) {
        enter_user_namespace(detect_id_mapping());
        entered = true;
      }
      store.remove_image(img.id);
      lines.push_back("Deleted: " + img.id);
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
  }
  if (!errors.empty()) {
    for (const auto& l : lines) std::printf("%s\n", l.c_str());
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\ntug: ") + e;
    throw Error(all);
  }
  return lines;
}

std::vector<std::string> prune_images(const StorePaths& paths, ImagePrune scope, int64_t& reclaimed) {
  reclaimed = 0;
  ImageStore store(paths);
  auto users = image_users(paths);
  std::vector<std::string> ids;
  std::map<std::string, int64_t> layer_sizes;
  for (const auto& img : store.list()) {
    if (users.count(img.id)) continue;
    bool build_step = img.intermediate && img.repo_tags.empty();
    bool take = scope == ImagePrune::kBuildCache ? build_step
                : scope == ImagePrune::kUnused   ? !build_step
                                                 : !build_step && img.repo_tags.empty();
    if (!take) continue;
    ids.push_back(img.id);
    for (const auto& d : img.diff_ids()) layer_sizes[d] = store.layer_size(d);
  }
  if (ids.empty()) return {};
  std::vector<std::string> lines = remove_images(paths, ids, true);
  for (auto& l : lines)
    if (!l.empty()) l[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(l[0])));
  for (const auto& [diff_id, size] : layer_sizes)
    if (!store.has_layer(diff_id)) reclaimed += size;
  return lines;
}

Json image_inspect_json(const Image& img) {
  Json cfg = img.config.value("config", Json::object());
  Json config = {{"Hostname", ""},       {"Domainname", ""},      {"User", ""},
                 {"AttachStdin", false}, {"AttachStdout", false}, {"AttachStderr", false},
                 {"Tty", false},         {"OpenStdin", false},    {"StdinOnce", false},
                 {"Env", nullptr},       {"Cmd", nullptr},        {"Image", ""},
                 {"Volumes", nullptr},   {"WorkingDir", ""},      {"Entrypoint", nullptr},
                 {"OnBuild", nullptr},   {"Labels", nullptr}};
  for (auto it = cfg.begin(); it != cfg.end(); ++it) config[it.key()] = it.value();
  Json tags = Json::array();
  for (const auto& t : img.repo_tags) tags.push_back(parse_reference(t).familiar());
  Json digests = Json::array();
  for (const auto& d : img.repo_digests) digests.push_back(d);
  std::string comment;
  if (img.config.contains("history") && !img.config["history"].empty())
    comment = img.config["history"].back().value("comment", "");
  return Json{{"Id", img.id},
              {"RepoTags", tags},
              {"RepoDigests", digests},
              {"Parent", ""},
              {"Comment", comment},
              {"Created", img.config.value("created", "")},
              {"DockerVersion", ""},
              {"Author", img.config.value("author", "")},
              {"Config", config},
              {"Architecture", img.config.value("architecture", "amd64")},
              {"Os", img.config.value("os", "linux")},
              {"Size", img.size},
              {"GraphDriver", {{"Name", "overlay"}, {"Data", nullptr}}},
              {"RootFS", {{"Type", "layers"}, {"Layers", img.diff_ids()}}},
              {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}}};
}

std::vector<Json> image_list_rows(const StorePaths& paths, bool no_trunc, bool all) {
  ImageStore store(paths);
  auto images = store.list();
  // Newest first, as docker lists them.
  std::sort(images.begin(), images.end(), [](const Image& a, const Image& b) {
    return a.config.value("created", "") > b.config.value("created", "");
  });
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::vector<Json> rows;
  for (const auto& img : images) {
    // docker hides a build's intermediate images unless -a.
    if (img.intermediate && img.repo_tags.empty() && !all) continue;
    std::string created = img.config.value("created", "");
    int64_t created_s = parse_rfc3339(created);
    std::string since = created_s ? human_duration(now - created_s) + " ago" : "N/A";
    std::string id = no_trunc ? img.id : short_id(img.id);
    auto row = [&](const std::string& repo, const std::string& tag, const std::string& digest) {
      return Json{{"Containers", "N/A"},
                  {"CreatedAt", created},
                  {"CreatedSince", since},
                  {"Digest", digest.empty() ? "<none>" : digest},
                  {"ID", id},
                  {"Repository", repo},
                  {"SharedSize", "N/A"},
                  {"Size", human_size(static_cast<double>(img.size))},
                  {"Tag", tag},
                  {"UniqueSize", "N/A"},
                  {"VirtualSize", human_size(static_cast<double>(img.size))}};
    };
    // docker pairs each repository with the digest it was pulled by; an image known only by
    // digest is listed as "<repository> <none>".
    auto digest_of = [&](const std::string& repository) {
      for (const auto& d : img.repo_digests)
        if (d.compare(0, repository.size() + 1, repository + "@") == 0)
          return d.substr(repository.size() + 1);
      return std::string();
    };
    if (img.repo_tags.empty()) {
      for (const auto& d : img.repo_digests) {
        Reference r = parse_reference(d);
        rows.push_back(row(r.familiar_repository(), "<none>", r.digest));
      }
      if (img.repo_digests.empty()) rows.push_back(row("<none>", "<none>", ""));
      continue;
    }
    std::vector<std::string> sorted = img.repo_tags;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& t : sorted) {
      Reference r = parse_reference(t);
      rows.push_back(row(r.familiar_repository(), r.tag, digest_of(r.repository())));
    }
  }
  return rows;
}

}  // namespace tug
