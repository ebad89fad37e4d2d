// Where a container's cgroup goes: below the cgroup this tug runs in, in the hierarchy that
// has the memory controller (cgroup v1's memory hierarchy on a hybrid system, else the unified
// one). No systemd and no daemon: the directory is made, limited and removed by tug itself,
// which needs that hierarchy writable (root, or a delegated subtree).
#include "core/cgroup.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

struct Hierarchy {
  std::string dir;  ///< the cgroup tug runs in, as a path under the mount
  int version = 0;  ///< 1 or 2; 0: none found
};

// /proc/self/mountinfo fields: id parent dev root mountpoint options - fstype source superopts.
struct CgroupMount {
  std::string root, mount_point, fstype, super_options;
};

std::vector<CgroupMount> cgroup_mounts() {
  std::vector<CgroupMount> out;
  std::istringstream in(read_file_if_exists("/proc/self/mountinfo").value_or(""));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::vector<std::string> fields;
    for (std::string w; f >> w;) fields.push_back(w);
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash < 5 || dash + 3 > fields.size()) continue;
    const std::string& type = fields[dash + 1];
    if (type != "cgroup" && type != "cgroup2") continue;
    out.push_back({fields[3], fields[4], type, fields[dash + 3]});
  }
  return out;
}

bool has_option(const std::string& options, const std::string& want) {
  std::istringstream in(options);
  for (std::string o; std::getline(in, o, ',');)
    if (o == want) return true;
  return false;
}

// The mount point plus `path` with the mount's own root taken off.
std::string under_mount(const CgroupMount& m, const std::string& path) {
  std::string rel = path;
  if (m.root != "/" && rel.starts_with(m.root)) rel = rel.substr(m.root.size());
  if (rel == "/") rel.clear();
  return m.mount_point + rel;
}

Hierarchy memory_hierarchy() {
  std::string v1_path, v2_path;
  bool v2_seen = false;
  std::istringstream in(read_file_if_exists("/proc/self/cgroup").value_or(""));
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (line.starts_with("0::")) {
      v2_path = path;
      v2_seen = true;
    } else if (has_option(controllers, "memory")) {
      v1_path = path;
    }
  }
  auto mounts = cgroup_mounts();
  if (!v1_path.empty())
    for (const auto& m : mounts)
      if (m.fstype == "cgroup" && has_option(m.super_options, "memory")) return {under_mount(m, v1_path), 1};
  if (v2_seen)
    for (const auto& m : mounts)
      if (m.fstype == "cgroup2") return {under_mount(m, v2_path), 2};
  return {};
}

std::string user_name() {
  if (const passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
  return std::to_string(::geteuid());
}

std::string cgroup_name(const std::string& id) { return "tug-" + id; }

bool write_value(const std::string& file, const std::string& value) {
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return false;
  return ::write(fd.get(), value.data(), value.size()) == static_cast<ssize_t>(value.size());
}

// The number after `key` in a "key value" per line file (memory.events, memory.oom_control).
uint64_t keyed_value(const std::string& file, const std::string& key) {
  std::istringstream in(read_file_if_exists(file).value_or(""));
  std::string k;
  uint64_t v = 0;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

const char* const kDelegateFix =
    "fix: run tug as root, or boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1) and delegate "
    "the user's cgroup with its memory controller (systemd: Delegate=yes for user@.service)";

}  // namespace

ContainerCgroup::ContainerCgroup(std::string dir, int version) : dir_(std::move(dir)), version_(version) {}

std::optional<ContainerCgroup> ContainerCgroup::create(const std::string& id, const MemoryLimits& limits,
                                                       std::string& why_not) {
  Hierarchy h = memory_hierarchy();
  if (h.version == 0) {
    why_not = fmt::format("no cgroup hierarchy with a memory controller is mounted; {}", kDelegateFix);
    return std::nullopt;
  }
  const char* kind = h.version == 1 ? "cgroup v1 memory hierarchy" : "cgroup v2 hierarchy";
  if (h.version == 2) {
    // A child cgroup gets memory.max only when its parent hands the controller down.
    std::string enabled = read_file_if_exists(h.dir + "/cgroup.subtree_control").value_or("");
    if (enabled.find("memory") == std::string::npos &&
        !write_value(h.dir + "/cgroup.subtree_control", "+memory")) {
      why_not = fmt::format("the memory controller is not enabled below {} for {} ({}); {}", h.dir,
                            user_name(), std::strerror(errno), kDelegateFix);
      return std::nullopt;
    }
  }
  ContainerCgroup cg(h.dir + "/" + cgroup_name(id), h.version);
  if (::mkdir(cg.dir_.c_str(), 0755) != 0 && errno != EEXIST) {
    why_not = fmt::format("{} {} is not writable by {} ({}); {}", kind, h.dir, user_name(),
                          std::strerror(errno), kDelegateFix);
    return std::nullopt;
  }
  auto fail_setting = [&](const std::string& file) {
    why_not = fmt::format("cannot set {}/{} ({}); {}", cg.dir_, file, std::strerror(errno), kDelegateFix);
    ::rmdir(cg.dir_.c_str());
    return std::nullopt;
  };
  std::string memory = std::to_string(limits.memory);
  if (h.version == 1) {
    if (!write_value(cg.dir_ + "/memory.limit_in_bytes", memory))
      return fail_setting("memory.limit_in_bytes");
    // Without swap accounting the file is missing and swap is simply not limited.
    std::string memsw = cg.dir_ + "/memory.memsw.limit_in_bytes";
    if (limits.swap > 0 && path_exists(memsw) && !write_value(memsw, std::to_string(limits.swap)))
      return fail_setting("memory.memsw.limit_in_bytes");
  } else {
    if (!write_value(cg.dir_ + "/memory.max", memory)) return fail_setting("memory.max");
    std::string swap_max = cg.dir_ + "/memory.swap.max";
    if (limits.swap > 0 && path_exists(swap_max) &&
        !write_value(swap_max, std::to_string(limits.swap - limits.memory)))
      return fail_setting("memory.swap.max");
  }
  cg.procs_.reset(::open((cg.dir_ + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
  if (!cg.procs_) return fail_setting("cgroup.procs");
  return cg;
}

std::optional<ContainerCgroup> ContainerCgroup::find(const std::string& id) {
  Hierarchy h = memory_hierarchy();
  if (h.version == 0) return std::nullopt;
  ContainerCgroup cg(h.dir + "/" + cgroup_name(id), h.version);
  cg.procs_.reset(::open((cg.dir_ + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
  if (!cg.procs_) return std::nullopt;
  return cg;
}

uint64_t ContainerCgroup::oom_kills() const {
  return keyed_value(dir_ + (version_ == 1 ? "/memory.oom_control" : "/memory.events"), "oom_kill");
}

int64_t ContainerCgroup::memory_usage() const {
  auto text = read_file_if_exists(dir_ + (version_ == 1 ? "/memory.usage_in_bytes" : "/memory.current"));
  return text ? std::stoll(*text) : 0;
}

void ContainerCgroup::remove() {
  procs_.reset();
  // Processes of a PID namespace whose init died are killed, not reaped at once: the cgroup is
  // busy until the last one is gone.
  for (int i = 0; i < 100; ++i) {
    if (::rmdir(dir_.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void remove_container_cgroup(const std::string& id) {
  if (auto cg = ContainerCgroup::find(id)) cg->remove();
}

}  // namespace tug
