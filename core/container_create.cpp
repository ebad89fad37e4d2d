// Container creation. The directory is created and locked before config.json is written:
// a directory without config.json is a creation that died half-way, and any later command
// that can take its lock may delete it.
#include "core/container_create.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <string_view>

#include "core/cgroup.hpp"
#include "core/container_network.hpp"
#include "core/format/human_units.hpp"
#include "core/healthcheck.hpp"
#include "core/image_config.hpp"
#include "core/pull.hpp"
#include "core/restart_policy.hpp"
#include "core/signal_names.hpp"
#include "net/port_spec.hpp"
#include "registry/reference.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

// docker's name grammar [a-zA-Z0-9][a-zA-Z0-9_.-]{min_rest,}, checked without std::regex,
// whose construction alone would cost more than the rest of creating a container.
bool valid_object_name(std::string_view name, size_t min_rest) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (name.size() < 1 + min_rest || !alnum(name.front())) return false;
  for (char c : name.substr(1))
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

constexpr const char* kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Json parse_volume(const std::string& spec, const StorePaths& paths, Json& binds) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    auto colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3 || parts[0].empty()) fail("invalid volume specification: '{}'", spec);
  std::string source, dest, mode;
  if (parts.size() == 1) {
    dest = parts[0];
  } else {
    source = parts[0];
    dest = parts[1];
    if (parts.size() == 3) mode = parts[2];
  }
  if (dest.empty() || dest.front() != '/')
    fail("invalid volume specification: '{}': invalid mount config: destination must be an absolute path",
         spec);
  bool read_only = false;
  if (!mode.empty()) {
    size_t s = 0;
    for (;;) {
      auto comma = mode.find(',', s);
      std::string opt = mode.substr(s, comma - s);
      if (opt == "ro")
        read_only = true;
      else if (opt != "rw" && opt != "z" && opt != "Z" && !opt.empty())
        fail("invalid mode: {}", opt);
      if (comma == std::string::npos) break;
      s = comma + 1;
    }
  }
  Json m;
  if (!source.empty() && source.front() == '/') {
    // docker creates a missing host directory for -v.
    if (!path_exists(source)) make_dirs(source, 0755);
    m = {{"Type", "bind"}, {"Source", source}, {"Destination", dest},
         {"Mode", mode},   {"RW", !read_only}, {"Propagation", "rprivate"}};
    binds.push_back(spec);
  } else {
    std::string name = source;
    if (name.empty()) {
      name = ContainerStore::new_id();
    } else if (!valid_object_name(name, 0)) {
      fail(
          "create {}: \"{}\" includes invalid characters for a local volume name, only "
          "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute "
          "path",
          source, source);
    }
    std::string data = paths.volumes() + "/" + name + "/_data";
    make_dirs(data, 0755);
    m = {{"Type", "volume"},    {"Name", name},      {"Source", data},
         {"Destination", dest}, {"Driver", "local"}, {"Mode", mode.empty() ? "z" : mode},
         {"RW", !read_only},    {"Propagation", ""}};
    if (!source.empty()) binds.push_back(spec);
  }
  return m;
}

// docker's CreateDaemonEnvironment: default PATH and HOSTNAME first, then the image's and
// the user's variables replace or append.
std::vector<std::string> container_env(const Image& image, const RunOptions& o) {
  std::vector<std::string> overrides;
  for (const auto& f : o.env_files)
    for (auto& line : read_env_file(f)) overrides.push_back(line);
  overrides.insert(overrides.end(), o.env.begin(), o.env.end());
  Json cfg = image.config.value("config", Json::object());
  return merge_env(json_string_array(cfg.value("Env", Json())), overrides);
}

// -m and --memory-swap, checked as docker's CLI and daemon check them; without --memory-swap
// the daemon allows as much swap as memory (MemorySwap = 2 × Memory).
MemoryLimits parse_memory_limits(const RunOptions& o) {
  auto bytes = [](const std::string& text, const char* flag) -> int64_t {
    if (text.empty()) return 0;
    if (text == "-1" && std::string_view(flag) == "--memory-swap") return -1;
    auto n = ram_in_bytes(text);
    if (!n) fail("invalid argument \"{}\" for \"{}\" flag: invalid size: '{}'", text, flag, text);
    return *n;
  };
  MemoryLimits limits{bytes(o.memory, "-m, --memory"), bytes(o.memory_swap, "--memory-swap")};
  if (limits.memory > 0 && limits.memory < 6 * 1024 * 1024) fail("Minimum memory limit allowed is 6MB");
  if (limits.swap != 0 && limits.memory == 0)
    fail("You should always set the Memory limit when using Memoryswap limit, see usage");
  if (limits.swap > 0 && limits.swap < limits.memory)
    fail("Minimum memoryswap limit should be larger than memory limit, see usage");
  if (limits.memory > 0 && limits.swap == 0) limits.swap = 2 * limits.memory;
  return limits;
}

}  // namespace

CreatedContainer create_container(Image image, ContainerStore& containers, const RunOptions& o) {
  Json image_cfg = image.config.value("config", Json::object());

  std::string name = o.name;
  if (!name.empty() && !valid_object_name(name.front() == '/' ? std::string_view(name).substr(1) : name, 1))
    fail("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
  if (!name.empty() && name.front() == '/') name.erase(0, 1);

  RestartPolicy restart = parse_restart_policy(o.restart);
  MemoryLimits memory = parse_memory_limits(o);
  if (!o.stop_signal.empty()) parse_signal(o.stop_signal);  // docker refuses a bad one at creation
  Json healthcheck = healthcheck_config(image_cfg.value("Healthcheck", Json()), o.health);
  ContainerNetwork network = container_network(o);
  std::vector<PortMapping> port_mappings;
  for (const auto& spec : o.publish) {
    try {
      for (auto& m : parse_port_spec(spec)) port_mappings.push_back(std::move(m));
    } catch (const Error& e) {
      fail("invalid argument \"{}\" for \"-p, --publish\" flag: {}", spec, e.what());
    }
  }
  Json exposed_ports = image_cfg.value("ExposedPorts", Json::object());
  if (!exposed_ports.is_object()) exposed_ports = Json::object();
  for (const auto& spec : o.expose)
    for (const auto& key : parse_exposed_ports(spec)) exposed_ports[key] = Json::object();
  for (const auto& m : port_mappings) exposed_ports[m.key()] = Json::object();
  if (!o.workdir.empty() && o.workdir.front() != '/')
    fail("the working directory '{}' is invalid, it needs to be an absolute path", o.workdir);
  std::string id = ContainerStore::new_id();
  std::string hostname = container_hostname(o, network, id);
  std::vector<std::string> argv = combine_command(image.config, o.entrypoint, o.command);
  if (argv.empty()) fail("No command specified");

  Json binds = Json::array();
  Json mounts = Json::array();
  for (const auto& v : o.volumes) mounts.push_back(parse_volume(v, containers.paths(), binds));
  Json tmpfs = Json::object();
  for (const auto& t : o.tmpfs) {
    auto colon = t.find(':');
    std::string dest = t.substr(0, colon);
    if (dest.empty() || dest.front() != '/')
      fail("invalid tmpfs mount: {}: destination must be an absolute path", t);
    tmpfs[dest] = colon == std::string::npos ? "" : t.substr(colon + 1);
  }
  Json labels =
      image_cfg.contains("Labels") && image_cfg["Labels"].is_object() ? image_cfg["Labels"] : Json::object();
  for (const auto& l : o.labels) {
    auto eq = l.find('=');
    labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }

  std::vector<std::string> env = container_env(image, o);
  std::vector<std::string> full_env{kDefaultPath, "HOSTNAME=" + hostname};
  if (o.tty) full_env.push_back("TERM=xterm");
  full_env = merge_env(full_env, env);

  if (name.empty()) name = containers.generate_name();
  containers.reserve_name(name, id);
  std::string dir = containers.dir(id);
  try {
    make_dirs(dir, 0700);
    FileLock lock(containers.lock_path(id), FileLock::Mode::kExclusive);
    for (const char* sub : {"/upper", "/work", "/merged"}) make_dirs(dir + sub, 0755);
    // The upper dir is the container's "/": it must be root-owned inside and world-readable.
    ::chmod((dir + "/upper").c_str(), 0755);
    write_network_files(dir, hostname, network);

    Json cfg_cmd = o.command.empty() && !o.entrypoint ? image_cfg.value("Cmd", Json()) : Json(o.command);
    if (o.command.empty() && o.entrypoint) cfg_cmd = nullptr;
    Json cfg_entry = o.entrypoint ? (o.entrypoint->empty() ? Json(nullptr) : Json::array({*o.entrypoint}))
                                  : image_cfg.value("Entrypoint", Json());
    std::string workdir = o.workdir.empty() ? image_cfg.value("WorkingDir", "") : o.workdir;
    Json config = {
        {"Id", id},
        {"Created", now_rfc3339()},
        {"Path", argv[0]},
        {"Args", std::vector<std::string>(argv.begin() + 1, argv.end())},
        {"Image", image.id},
        {"Name", "/" + name},
        {"Config",
         {{"Hostname", hostname},
          {"Domainname", ""},
          {"User", o.user.empty() ? image_cfg.value("User", "") : o.user},
          {"AttachStdin", o.interactive && !o.detach},
          {"AttachStdout", !o.detach},
          {"AttachStderr", !o.detach},
          {"ExposedPorts", exposed_ports},
          {"Tty", o.tty},
          {"OpenStdin", o.interactive},
          {"StdinOnce", o.interactive && !o.detach},
          {"Env", full_env},
          {"Cmd", cfg_cmd},
          {"Image", o.image},
          {"Volumes", image_cfg.value("Volumes", Json())},
          {"WorkingDir", workdir},
          {"Entrypoint", cfg_entry},
          {"Labels", labels},
          {"StopSignal", o.stop_signal.empty() ? image_cfg.value("StopSignal", "") : o.stop_signal}}},
        {"HostConfig",
         {{"Binds", binds.empty() ? Json(nullptr) : binds},
          {"NetworkMode", network.mode},
          {"PortBindings", port_bindings_json(port_mappings)},
          {"PublishAllPorts", o.publish_all},
          {"AutoRemove", o.remove},
          {"CapAdd", o.cap_add.empty() ? Json(nullptr) : Json(o.cap_add)},
          {"CapDrop", o.cap_drop.empty() ? Json(nullptr) : Json(o.cap_drop)},
          {"Dns", network.dns},
          {"DnsOptions", network.dns_options},
          {"DnsSearch", network.dns_search},
          {"ExtraHosts", network.extra_hosts.empty() ? Json(nullptr) : Json(network.extra_hosts)},
          {"Privileged", o.privileged},
          {"ReadonlyRootfs", o.read_only},
          {"SecurityOpt", o.security_opts.empty() ? Json(nullptr) : Json(o.security_opts)},
          {"Tmpfs", tmpfs.empty() ? Json(nullptr) : tmpfs},
          {"RestartPolicy", restart.to_json()},
          {"Init", o.init},
          {"Memory", memory.memory},
          {"MemorySwap", memory.swap}}},
        {"Mounts", mounts},
    };
    if (o.stop_timeout) config["Config"]["StopTimeout"] = *o.stop_timeout;
    if (!healthcheck.is_null()) config["Config"]["Healthcheck"] = healthcheck;
    // run --rm state dies with the container; only durable containers pay for fsync.
    write_file_atomic(dir + "/config.json", config.dump(), 0644, !o.remove);
    return CreatedContainer{id, std::move(config), std::move(image), std::move(lock)};
  } catch (...) {
    remove_tree(dir);
    containers.release_name(name, id);
    throw;
  }
}

std::string create_container_only(const StorePaths& paths, const RunOptions& options) {
  SilentObserver silent;
  Image image = image_for_container(paths, options.image, options.pull, options.pull_options,
                                    options.pull_progress ? *options.pull_progress : silent);
  ContainerStore containers(paths);
  return create_container(std::move(image), containers, options).id;
}

}  // namespace tug
