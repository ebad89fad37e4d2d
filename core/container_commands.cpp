// rm, inspect, rename and port. A container whose lock is free but whose state says "running"
// was held by a tug that died: it is reported as exited and can be removed like any stopped one.
#include "core/container_commands.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "core/cgroup.hpp"
#include "core/container_lifecycle.hpp"
#include "core/container_list.hpp"
#include "core/container_size.hpp"
#include "core/container_store.hpp"
#include "core/image_store.hpp"
#include "core/json_log.hpp"
#include "core/userns.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

/// NetworkSettings as docker shows it: what the network setup recorded, the published ports of
/// a running container, and the deprecated top-level IPAddress most scripts still read.
Json network_settings(const Json& config, bool running) {
  Json ns = config.contains("NetworkSettings") && config["NetworkSettings"].is_object()
                ? config["NetworkSettings"]
                : Json{{"Bridge", ""},
                       {"SandboxID", ""},
                       {"SandboxKey", ""},
                       {"Ports", Json::object()},
                       {"Gateway", ""},
                       {"IPAddress", ""},
                       {"IPPrefixLen", 0},
                       {"MacAddress", ""},
                       {"Networks", Json::object()}};
  ns["Ports"] = published_ports(config, running);
  if (!ns.contains("IPAddress")) ns["IPAddress"] = "";
  return ns;
}

}  // namespace

Json container_inspect_json(const StorePaths& paths, const std::string& id, bool size) {
  ContainerStore store(paths);
  Json cfg = store.load_config(id);
  ContainerState state = store.live_state(id);
  std::string dir = store.dir(id);
  Json out = Json::object();
  auto take = [&](const char* key) {
    if (cfg.contains(key)) out[key] = cfg[key];
  };
  // docker's field order (api/types ContainerJSON), so scripts and eyes find things where docker
  // puts them; fields only tug's config has come last, in their own order.
  take("Id");
  take("Created");
  take("Path");
  take("Args");
  out["State"] = state.to_json();
  take("Image");
  out["ResolvConfPath"] = dir + "/resolv.conf";
  out["HostnamePath"] = dir + "/hostname";
  out["HostsPath"] = dir + "/hosts";
  out["LogPath"] = json_log_path(dir, id);
  take("Name");
  out["RestartCount"] = state.restart_count;
  take("Driver");
  out["Platform"] = cfg.value("Platform", "linux");
  take("HostConfig");
  take("GraphDriver");
  if (size) {
    int64_t rw = writable_layer_sizes(paths, {id}).front();
    int64_t image_size = 0;
    try {
      if (auto img = ImageStore(paths).find(cfg.value("Image", ""))) image_size = img->size;
    } catch (const Error&) {
    }
    out["SizeRw"] = rw;
    out["SizeRootFs"] = image_size + rw;
  }
  take("Mounts");
  take("Config");
  out["NetworkSettings"] = network_settings(cfg, state.running());
  for (auto it = cfg.begin(); it != cfg.end(); ++it)
    if (!out.contains(it.key())) out[it.key()] = it.value();
  return out;
}

namespace {

/// Names of the container's anonymous volumes: volume mounts that no -v NAME:... created.
std::vector<std::string> anonymous_volumes(const Json& config) {
  std::vector<std::string> out;
  const Json& mounts = config.contains("Mounts") ? config["Mounts"] : Json();
  const Json binds = config.contains("HostConfig") ? config["HostConfig"].value("Binds", Json()) : Json();
  if (!mounts.is_array()) return out;
  for (const auto& m : mounts) {
    if (m.value("Type", "") != "volume") continue;
    std::string name = m.value("Name", "");
    if (name.empty()) continue;
    bool named = false;
    if (binds.is_array())
      for (const auto& b : binds)
        if (b.is_string() && b.get<std::string>().starts_with(name + ":")) named = true;
    if (!named) out.push_back(name);
  }
  return out;
}

/// Whether some container other than `except` mounts the volume `name`.
bool volume_in_use(const ContainerStore& store, const std::string& name, const std::string& except) {
  for (const auto& id : store.list_ids()) {
    if (id == except) continue;
    try {
      Json cfg = store.load_config(id);
      if (!cfg.contains("Mounts") || !cfg["Mounts"].is_array()) continue;
      for (const auto& m : cfg["Mounts"])
        if (m.value("Type", "") == "volume" && m.value("Name", "") == name) return true;
    } catch (const std::exception&) {
    }
  }
  return false;
}

/// SIGKILLs a running container's processes (from inside its user namespace: PID 1 may run as
/// an id the user cannot signal from outside) and waits until its holder lets go of the lock.
void kill_and_wait(const StorePaths& paths, const ContainerStore& store, const std::string& id) {
  using namespace std::chrono;
  auto deadline = steady_clock::now() + seconds(30);
  auto next_kill = steady_clock::now();
  // The holder may be a monitor still starting the container (a `run -d` or `start` racing
  // us): its PID 1 does not exist yet, and one kill sent now would miss the PID 1 that comes
  // after and leave us waiting for a container that runs on. So the kill is repeated until the
  // holder lets go.
  while (store.is_running(id)) {
    if (steady_clock::now() >= deadline) fail("could not kill running container {}", id.substr(0, 12));
    if (steady_clock::now() >= next_kill) {
      try {
        kill_container(paths, id, SIGKILL);
      } catch (const Error&) {
        // Exited, or not started yet: the loop decides.
      }
      next_kill = steady_clock::now() + milliseconds(50);
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
}

/// Whether the container's record still exists (another rm may have removed it meanwhile).
bool container_exists(const ContainerStore& store, const std::string& id) {
  return path_exists(store.dir(id) + "/config.json");
}

}  // namespace

std::vector<std::string> remove_containers(const StorePaths& paths, const std::vector<std::string>& names,
                                           bool force, bool volumes) {
  ContainerStore store(paths);
  std::vector<std::string> removed, errors;
  // Kills first: joining a container's user namespace is impossible once this process is in a
  // user namespace of its own, which the removals below need.
  struct Doomed {
    std::string name, id;
    std::vector<std::string> volumes;
  };
  std::vector<Doomed> doomed;
  for (const auto& name : names) {
    try {
      std::optional<std::string> found = store.find(name);
      // docker (since 20.10): `rm -f` of a container that does not exist succeeds, like rm -f
      // of a missing file, so that a cleanup can be run again, also after it was killed.
      if (!found && force) continue;
      if (!found) fail("No such container: {}", name);
      std::string id = *found;
      if (store.is_running(id)) {
        if (!force)
          fail(
              "cannot remove container \"/{}\": container is running: stop the container before removing or "
              "force remove",
              store.load_config(id).value("Name", "/").substr(1));
        kill_and_wait(paths, store, id);
      }
      Doomed d{name, id, {}};
      // A concurrent rm may have removed it meanwhile: the loop below tells which.
      Json config;
      try {
        config = store.load_config(id);
      } catch (const Error&) {
        if (container_exists(store, id)) throw;
        config = Json::object();
      }
      if (volumes && !config.empty()) d.volumes = anonymous_volumes(config);
      // A monitor killed with SIGKILL leaves its cgroup behind; outside the user namespace
      // entered below, the cgroup's path is still the host's.
      if (config.value("HostConfig", Json::object()).value("Memory", int64_t{0}) > 0)
        remove_container_cgroup(id);
      doomed.push_back(std::move(d));
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
  }
  // A deletion that a killed tug left half-done: the container is already gone from every
  // listing (retire), so no rm can name it any more; any rm finishes it.
  std::vector<std::string> trash = store.leftover_trash();
  if (!doomed.empty() || !trash.empty()) enter_user_namespace(detect_id_mapping());
  for (const auto& d : doomed) {
    try {
      // Another rm of the same container may get there first: once it has retired the
      // directory, the lock file is gone (the open fails) or we hold the lock of the trash.
      std::optional<FileLock> lock;
      try {
        lock.emplace(store.lock_path(d.id), FileLock::Mode::kExclusive);
      } catch (const Error&) {
        if (container_exists(store, d.id)) throw;
      }
      if (!lock || !container_exists(store, d.id)) {
        if (!force) fail("No such container: {}", d.name);
        continue;
      }
      store.remove(d.id);
      for (const auto& v : d.volumes)
        if (!volume_in_use(store, v, d.id)) remove_tree(paths.volumes() + "/" + v);
      removed.push_back(d.name);
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
  }
  for (const auto& path : trash) {
    try {
      remove_tree(path);
    } catch (const Error&) {
      // Being deleted by another tug as well, or not deletable: the next rm or run tries again.
    }
  }
  if (!errors.empty()) {
    for (const auto& r : removed) std::printf("%s\n", r.c_str());
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\ntug: ") + e;
    throw Error(all);
  }
  return removed;
}

namespace {

/// docker's container name grammar: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool valid_container_name(std::string_view name) {
  auto allowed = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  };
  return name.size() >= 2 && std::isalnum(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(), allowed);
}

}  // namespace

void rename_container(const StorePaths& paths, const std::string& old_name, const std::string& new_name) {
  if (old_name.empty() || new_name.empty()) fail("Neither old nor new names may be empty");
  std::string name = new_name.front() == '/' ? new_name.substr(1) : new_name;
  if (!valid_container_name(name))
    fail("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
  ContainerStore store(paths);
  std::string id = store.resolve(old_name);
  // Two renames of one container must not interleave their config rewrites.
  FileLock lock(store.dir(id) + "/state.lock", FileLock::Mode::kExclusive);
  Json cfg = store.load_config(id);
  std::string current = cfg.value("Name", "/");
  if (current.starts_with("/")) current.erase(0, 1);
  if (current == name) fail("Renaming a container with the same name as its current name");
  // The new name is claimed atomically (a symlink) before anything changes: losing a race for
  // it leaves the container as it was.
  store.reserve_name(name, id);
  try {
    cfg["Name"] = "/" + name;
    store.save_config(id, cfg);
  } catch (...) {
    store.release_name(name, id);
    throw;
  }
  store.release_name(current, id);
}

namespace {

/// sortorder.NaturalLess: digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t i0 = i, j0 = j;
      while (i < a.size() && a[i] == '0') ++i;
      while (j < b.size() && b[j] == '0') ++j;
      size_t is = i, js = j;
      while (i < a.size() && digit(a[i])) ++i;
      while (j < b.size() && digit(b[j])) ++j;
      std::string_view na(a.data() + is, i - is), nb(b.data() + js, j - js);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      if (i - i0 != j - j0) return i - i0 < j - j0;  // more leading zeros sorts later
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

}  // namespace

std::vector<std::string> container_port_lines(const StorePaths& paths, const std::string& name,
                                              const std::string& port) {
  ContainerStore store(paths);
  std::string id = store.resolve(name);
  Json ports = published_ports(store.load_config(id), store.live_state(id).running());
  std::vector<std::string> out;
  auto frontend = [](const Json& f) {
    return join_host_port(f.value("HostIp", ""), f.value("HostPort", ""));
  };
  if (!port.empty()) {
    size_t slash = port.find('/');
    std::string number = port.substr(0, slash);
    std::string proto = slash == std::string::npos ? "tcp" : port.substr(slash + 1);
    char* end = nullptr;
    unsigned long n = std::strtoul(number.c_str(), &end, 10);
    if (number.empty() || *end || n > 65535 || !std::isdigit(static_cast<unsigned char>(number[0])))
      fail("invalid port ({})", number);
    auto it = ports.find(number + "/" + proto);
    if (it == ports.end() || !it->is_array() || it->empty())
      fail("No public port '{}' published for {}", port, name);
    for (const auto& f : *it) out.push_back(frontend(f));
  } else {
    for (const auto& [key, frontends] : ports.items())
      if (frontends.is_array())
        for (const auto& f : frontends) out.push_back(fmt::format("{} -> {}", key, frontend(f)));
  }
  std::sort(out.begin(), out.end(), natural_less);
  return out;
}

std::vector<std::string> prune_containers(const StorePaths& paths, int64_t& reclaimed) {
  reclaimed = 0;
  ContainerStore store(paths);
  std::vector<std::string> stopped;
  for (const auto& id : store.list_ids())
    if (!store.is_running(id)) stopped.push_back(id);
  if (stopped.empty()) return {};
  for (int64_t size : writable_layer_sizes(paths, stopped)) reclaimed += size;
  // A container started meanwhile is refused by rm (not forced) and kept.
  std::vector<std::string> removed;
  try {
    removed = remove_containers(paths, stopped, false, false);
  } catch (const Error&) {
    for (const auto& id : stopped)
      if (!container_exists(store, id)) removed.push_back(id);
  }
  return removed;
}

}  // namespace tug
