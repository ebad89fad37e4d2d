// RUN --mount: parsed as BuildKit's dockerfile frontend parses it (instructions/commands_runmount),
// then turned into the bind mounts and tmpfs of tug's own run path.
#include "core/build/run_mounts.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/build/dockerfile.hpp"
#include "core/build/path_pattern.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"
#include "util/sha256.hpp"

namespace tug::build {

RunMount parse_run_mount(const std::string& spec, const std::string& file, int line) {
  RunMount m;
  bool read_write = false;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string field = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? spec.size() + 1 : comma + 1;
    if (field.empty()) continue;
    auto eq = field.find('=');
    std::string key = field.substr(0, eq), value = eq == std::string::npos ? "" : field.substr(eq + 1);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    if (key == "type") {
      m.type = value;
    } else if (key == "target" || key == "dst" || key == "destination") {
      m.target = value;
    } else if (key == "source" || key == "src") {
      m.source = value;
    } else if (key == "id") {
      m.id = value;
    } else if (key == "rw" || key == "readwrite") {
      read_write = value.empty() || value == "true";
    } else if (key == "ro" || key == "readonly") {
      read_write = !(value.empty() || value == "true");
    } else if (key == "from") {
      fail_at_line(file, line, "RUN --mount with from= is not supported yet");
    } else if (key == "sharing" || key == "mode" || key == "uid" || key == "gid" || key == "size" ||
               key == "required" || key == "env") {
      // Accepted and left to their defaults: a cache is shared, files keep their owners.
    } else {
      fail_at_line(file, line, fmt::format("unexpected key '{}' in '{}'", key, field));
    }
  }
  if (m.type == "secret" || m.type == "ssh")
    fail_at_line(file, line, fmt::format("RUN --mount=type={} is not supported yet", m.type));
  if (m.type != "bind" && m.type != "cache" && m.type != "tmpfs")
    fail_at_line(file, line, fmt::format("unsupported mount type \"{}\"", m.type));
  if (m.target.empty()) fail_at_line(file, line, "mount target not specified");
  if (!m.target.starts_with('/')) m.target = "/" + m.target;
  if (m.type == "bind" && read_write)
    fail_at_line(file, line,
                 "RUN --mount=type=bind,rw is not supported yet (tug binds the context read-only)");
  if (m.type == "cache" && m.id.empty()) m.id = m.target;
  return m;
}

RunMountArgs run_mount_args(const std::vector<RunMount>& mounts, const std::string& context_dir,
                            const std::vector<ContextEntry>& context, const std::string& cache_root,
                            const std::string& file, int line) {
  RunMountArgs out;
  for (const auto& m : mounts) {
    if (m.type == "tmpfs") {
      out.tmpfs.push_back(m.target);
    } else if (m.type == "cache") {
      Sha256 id;
      id.update(m.id);
      std::string dir = cache_root + "/" + id.hex();
      make_dirs(dir, 0755);
      out.volumes.push_back(dir + ":" + m.target);
    } else {
      // Only what the context listing holds (no symlink on the way, nothing .dockerignore'd).
      std::string rel = clean_path("/" + m.source).substr(1);
      if (!rel.empty()) {
        auto it = std::find_if(context.begin(), context.end(),
                               [&](const ContextEntry& e) { return e.path == rel; });
        if (it == context.end() ||
            (it->type != ContextEntry::Type::kFile && it->type != ContextEntry::Type::kDirectory))
          fail_at_line(file, line, fmt::format("failed to compute cache key: \"/{}\": not found", rel));
      }
      out.volumes.push_back((rel.empty() ? context_dir : context_dir + "/" + rel) + ":" + m.target + ":ro");
    }
  }
  return out;
}

}  // namespace tug::build
