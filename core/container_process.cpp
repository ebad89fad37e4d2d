// Entering a container's namespaces, mounting its filesystems and spawning its PID 1. The
// sequence, all in this process until the fork: enter the user namespace → unshare mount and
// cgroup namespaces → make "/" private → mount the rootfs and its filesystems → clone PID 1
// into a new PID namespace (container_child.cpp). Every mount lives only in the container's
// mount namespace, so when the last process holding it exits, the kernel unmounts everything.
#include "core/container_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "core/image_config.hpp"
#include "core/supervisor.hpp"
#include "fs/container_mounts.hpp"
#include "fs/in_root.hpp"
#include "fs/rootfs.hpp"
#include "net/loopback.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

std::string read_in_root(int rootfs_fd, const char* path) {
  UniqueFd fd = open_in_root(rootfs_fd, path, O_RDONLY);
  if (!fd) return {};
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// NULL-terminated char* view of strings that outlive it.
std::vector<char*> c_array(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int last_cap() {
  auto text = read_file_if_exists("/proc/sys/kernel/cap_last_cap");
  return text ? std::stoi(*text) : 40;
}

// Compiling docker's profile costs ~14 ms, more than the rest of a container start, so the
// compiled program is cached under <root>/cache/seccomp, keyed by the profile text, the
// capabilities, libseccomp's and the kernel's versions.
SeccompProgram seccomp_for(const StorePaths& paths, const Json& host_config,
                           const std::vector<std::string>& caps, bool& unconfined) {
  unconfined = host_config.value("Privileged", false);
  std::string file;
  for (const auto& opt : json_string_array(host_config.value("SecurityOpt", Json()))) {
    auto eq = opt.find_first_of("=:");
    std::string key = opt.substr(0, eq), value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    if (key == "seccomp") {
      if (value == "unconfined")
        unconfined = true;
      else
        file = value;
    } else if (key != "no-new-privileges" && key != "label" && key != "apparmor") {
      fail("invalid --security-opt: {}", opt);
    }
  }
  if (unconfined) return {};
  std::string text = file.empty() ? std::string(default_seccomp_profile_json()) : read_file(file);
  std::string cache_dir = paths.root + "/cache/seccomp";
  std::string cached = cache_dir + "/" + seccomp_cache_key(text, caps);
  if (auto bytes = read_file_if_exists(cached)) {
    try {
      return deserialize(*bytes);
    } catch (const Error&) {
      // A damaged cache entry is simply rebuilt.
    }
  }
  SeccompProfile profile = parse_seccomp_profile(text, file.empty() ? "default profile" : file);
  SeccompProgram program = compile_seccomp(profile, caps);
  make_dirs(cache_dir, 0700);
  write_file_atomic(cached, serialize(program), 0600, false);
  return program;
}

std::string describe_child_failure(const ChildFailure& f, const std::string& command) {
  const std::string why = errno_text(f.err);
  switch (f.step) {
    case ChildStep::kExec:
      return "failed to start container process: " + exec_failure_text(command, f.err);
    case ChildStep::kMountProc:
      return fmt::format("mount /proc: {}", why);
    case ChildStep::kPivotRoot:
      return fmt::format("pivot_root: {}", why);
    case ChildStep::kMaskPaths:
      return fmt::format("mask /proc and /sys paths: {}", why);
    case ChildStep::kReadOnlyRoot:
      return fmt::format("make rootfs read-only: {}", why);
    case ChildStep::kTerminal:
      return fmt::format("set up terminal: {}", why);
    case ChildStep::kWorkdir:
      return fmt::format("chdir to working directory: {}", why);
    case ChildStep::kSetUser:
      return fmt::format("switch user: {}", why);
    case ChildStep::kCapabilities:
      return fmt::format("set capabilities: {}", why);
    case ChildStep::kNoNewPrivs:
      return fmt::format("set no_new_privs: {}", why);
    case ChildStep::kInit:
      return fmt::format("start the command under the init: {}", why);
    case ChildStep::kCgroup:
      return fmt::format("join the container's cgroup: {}", why);
    case ChildStep::kSeccomp:
      return fmt::format("load seccomp filter: {}", why);
  }
  return why;
}

}  // namespace

CapMask container_capabilities(const Json& host_config) {
  return resolve_caps(json_string_array(host_config.value("CapAdd", Json())),
                      json_string_array(host_config.value("CapDrop", Json())),
                      host_config.value("Privileged", false));
}

SeccompProgram container_seccomp(const StorePaths& paths, const Json& host_config, const CapMask& caps,
                                 bool& unconfined) {
  return seccomp_for(paths, host_config, cap_names(caps), unconfined);
}

ContainerProcess::ContainerProcess(const StorePaths& paths, CreatedContainer& created,
                                   const IdMapping& mapping)
    : paths_(paths), created_(created), mapping_(mapping) {}

ContainerProcess::~ContainerProcess() {
  if (cgroup_) cgroup_->remove();
}

void ContainerProcess::prepare(PendingUserNamespace& userns, std::optional<BackgroundJanitor>& janitor,
                               bool volatile_upper) {
  ContainerStore containers(paths_);
  const std::string& id = created_.id;
  const Json& cfg = created_.config;
  const Json& host_cfg = cfg["HostConfig"];
  std::string dir = containers.dir(id);

  // Privileges and the seccomp program need no namespace: work them out while the id
  // mappers run.
  caps_ = container_capabilities(host_cfg);
  seccomp_ = container_seccomp(paths_, host_cfg, caps_, unconfined_);
  seccomp_prog_.len = static_cast<unsigned short>(seccomp_.filter.size());
  seccomp_prog_.filter = seccomp_.filter.data();

  // Published ports are bound while we are still in the host's network namespace: a port
  // in use fails the start here, before anything runs. In host mode there is nothing to relay:
  // the container's own sockets are on the host (docker discards -p there, with a warning).
  bool host_network = host_cfg.value("NetworkMode", "") == "host";
  if (!host_network)
    published_ = bind_published_ports(
        published_mappings(host_cfg, cfg["Config"].value("ExposedPorts", Json::object())),
        cfg.value("Name", "/").substr(1));

  // The cgroup is made from the host's cgroup namespace, before ours hides the path.
  MemoryLimits limits{host_cfg.value("Memory", int64_t{0}), host_cfg.value("MemorySwap", int64_t{0})};
  if (limits.memory > 0) {
    std::string why_not;
    cgroup_ = ContainerCgroup::create(id, limits, why_not);
    if (!cgroup_) {
      warnings_.push_back("WARNING: --memory ignored: " + why_not);
      std::fprintf(stderr, "%s\n", warnings_.back().c_str());
    }
  }

  userns.enter();
  janitor.emplace(containers);
  // Network (unless host mode), IPC and UTS namespaces came with the user namespace; the PID
  // namespace is made for each PID 1 (spawn), so that a restarted container gets a fresh one.
  if (::unshare(CLONE_NEWNS | CLONE_NEWCGROUP) != 0) fail_errno("create container namespaces");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail_errno("make / private");

  RootfsLayout layout;
  ImageStore images(paths_);
  for (const auto& d : created_.image.diff_ids()) layout.lower_dirs.push_back(images.layer_diff_dir(d));
  layout.upper = dir + "/upper";
  layout.work = dir + "/work";
  layout.merged = dir + "/merged";
  layout.copy_dir = dir + "/rootfs";
  layout.volatile_upper = volatile_upper;
  std::string overlay_note;
  mount_rootfs(layout, preferred_overlay_mode(), overlay_note);
  rootfs_.reset(::open(layout.merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfs_) fail_errno("open rootfs {}", layout.merged);

  const Json& ccfg = cfg["Config"];
  std::string user_spec = ccfg.value("User", "");
  user_ = resolve_user(user_spec.empty() ? "0" : user_spec, read_in_root(rootfs_.get(), "/etc/passwd"),
                       read_in_root(rootfs_.get(), "/etc/group"));
  auto mapped = [](const std::vector<IdRange>& ranges, uint32_t id) {
    for (const auto& r : ranges)
      if (id >= r.inside && id - r.inside < r.count) return true;
    return false;
  };
  if (!mapped(mapping_.uids, user_.uid) || !mapped(mapping_.gids, user_.gid)) {
    fail("user {} (uid {}, gid {}) is not mapped in this user namespace (id mapping: {}){}", user_spec,
         user_.uid, user_.gid, mapping_.mode_name(),
         mapping_.why_single.empty() ? "" : ": " + mapping_.why_single);
  }
  std::vector<gid_t> groups;
  for (gid_t g : user_.groups)
    if (mapped(mapping_.gids, g)) groups.push_back(g);
  user_.groups = groups;
  env_ = json_string_array(ccfg["Env"]);
  if (!env_value(env_, "HOME")) env_.push_back("HOME=" + user_.home);
  workdir_ = ccfg.value("WorkingDir", "");
  if (workdir_.empty()) workdir_ = "/";
  make_dirs_in_root(rootfs_.get(), workdir_);

  ContainerMounts mounts;
  for (const auto& m : cfg["Mounts"])
    mounts.binds.push_back(
        {m["Source"].get<std::string>(), m["Destination"].get<std::string>(), !m["RW"].get<bool>()});
  for (const char* f : {"hosts", "hostname", "resolv.conf"})
    mounts.binds.push_back({dir + "/" + f, std::string("/etc/") + f, false});
  if (host_cfg.contains("Tmpfs") && host_cfg["Tmpfs"].is_object())
    for (auto it = host_cfg["Tmpfs"].begin(); it != host_cfg["Tmpfs"].end(); ++it)
      mounts.tmpfs.push_back({it.key(), it.value().get<std::string>()});
  for (const auto& r : mapping_.gids)
    if (r.inside <= 5 && 5 < r.inside + r.count) mounts.gid5_mapped = true;
  // A fresh sysfs needs the network namespace to be ours; in host mode it is the host's, whose
  // /sys is bound read-only instead (it shows the host's interfaces, which is what host mode is).
  mounts.mount_sysfs = !host_network;
  mount_container_filesystems(rootfs_.get(), mounts);
  make_dirs_in_root(rootfs_.get(), "/proc");

  std::string hostname = ccfg.value("Hostname", id.substr(0, 12));
  if (::sethostname(hostname.data(), hostname.size()) != 0) fail_errno("sethostname {}", hostname);
  // The host's loopback is up already, and not ours to change (its namespace belongs to the
  // host's user namespace, where we hold no capability).
  if (!host_network) bring_loopback_up();
  if (!published_.empty()) {
    // The forwarder lives in the container's network namespace (ours now) and relays to its
    // loopback; the ports it got are what `port`, `ps` and inspect show.
    port_forwarder_ = start_port_forwarder(published_);
    created_.config["NetworkSettings"]["Ports"] =
        network_settings_ports(published_, cfg["Config"].value("ExposedPorts", Json::object()));
    write_file_atomic(dir + "/config.json", created_.config.dump(), 0644, false);
    published_.clear();  // the forwarder has them; ours close, so only it accepts
  }

  argv_ = {cfg["Path"].get<std::string>()};
  for (const auto& a : cfg["Args"]) argv_.push_back(a.get<std::string>());
  argv_ptrs_ = c_array(argv_);
  env_ptrs_ = c_array(env_);
  path_env_ = env_value(env_, "PATH").value_or("");
}

SpawnedPid1 ContainerProcess::spawn(const ContainerStdio& stdio, bool die_with_parent) {
  const Json& host_cfg = created_.config["HostConfig"];
  bool privileged = host_cfg.value("Privileged", false);
  UniqueFd devnull;
  int stdin_fd = stdio.stdin_fd;
  if (stdin_fd < 0 && !stdio.tty) {
    devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!devnull) fail_errno("open /dev/null");
    stdin_fd = devnull.get();
  }
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
  UniqueFd tty_parent, tty_child;
  if (stdio.tty) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) fail_errno("socketpair");
    tty_parent.reset(sp[0]);
    tty_child.reset(sp[1]);
  }

  ExecPlan plan;
  plan.rootfs_fd = rootfs_.get();
  plan.stdin_fd = stdin_fd;
  plan.stdout_fd = stdio.stdout_fd;
  plan.stderr_fd = stdio.stderr_fd;
  plan.tty = stdio.tty;
  plan.tty_socket = tty_child.get();
  plan.tty_rows = stdio.tty_rows;
  plan.tty_cols = stdio.tty_cols;
  plan.read_only_root = host_cfg.value("ReadonlyRootfs", false);
  plan.masked_paths = privileged ? nullptr : kMaskedPaths;
  plan.read_only_paths = privileged ? nullptr : kReadOnlyPaths;
  plan.workdir = workdir_.c_str();
  plan.uid = user_.uid;
  plan.gid = user_.gid;
  plan.groups = user_.groups.data();
  plan.group_count = user_.groups.size();
  plan.capabilities = caps_;
  plan.last_cap = last_cap();
  plan.seccomp = unconfined_ ? nullptr : &seccomp_prog_;
  plan.argv = argv_ptrs_.data();
  plan.envp = env_ptrs_.data();
  plan.path_env = path_env_.empty() ? nullptr : path_env_.c_str();
  plan.error_fd = err_write.get();
  plan.die_with_parent = die_with_parent;
  UniqueFd self_pidfd(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
  plan.parent_pidfd = self_pidfd.get();  // -1 on kernels before 5.3: PDEATHSIG alone
  plan.init = host_cfg.value("Init", false);
  plan.cgroup_procs_fd = cgroup_ ? cgroup_->procs_fd() : -1;

  block_supervised_signals();
  // clone(CLONE_NEWPID) rather than unshare + fork: a PID namespace whose init exited takes no
  // new process, and a restart needs a new one.
  pid_t child =
      static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, 0L));
  if (child < 0) fail_errno("start the container's process");
  if (child == 0) container_child_main(plan);
  err_write.reset();
  tty_child.reset();

  if (auto failure = read_child_failure(err_read.get())) {
    int status;
    ::waitpid(child, &status, 0);
    int code = failure->step == ChildStep::kExec
                   ? (failure->err == ENOENT ? kExitNotFound : kExitCannotExecute)
                   : kExitToolError;
    throw Error(describe_child_failure(*failure, argv_[0]), code);
  }
  SpawnedPid1 spawned;
  spawned.pid = child;
  if (stdio.tty) {
    spawned.tty_master = receive_tty_master(tty_parent.get());
    if (!spawned.tty_master) fail("set up terminal: the container did not send its pty");
  }
  return spawned;
}

}  // namespace tug
