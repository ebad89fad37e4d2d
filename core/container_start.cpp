// Starting a created container in the foreground. The sequence, all in this process until the
// fork: enter the user namespace → unshare mount/uts/ipc/net/cgroup/pid → make "/" private →
// mount the rootfs and its filesystems → fork PID 1 (container_child.cpp) → supervise.
// Every mount lives only in the container's mount namespace, so when the last process of the
// container exits — or tug is killed — the kernel unmounts everything: nothing leaks.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "core/background_janitor.hpp"
#include "core/container_child.hpp"
#include "core/container_create.hpp"
#include "core/image_config.hpp"
#include "core/security/capabilities.hpp"
#include "core/security/seccomp_profile.hpp"
#include "core/supervisor.hpp"
#include "core/userns.hpp"
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
  const char* why = std::strerror(f.err);
  switch (f.step) {
    case ChildStep::kExec:
      if (f.err == ENOENT && command.find('/') == std::string::npos)
        return fmt::format(
            "failed to start container process: exec: \"{}\": executable file not found in $PATH", command);
      if (f.err == ENOENT)
        return fmt::format(
            "failed to start container process: exec: \"{}\": stat {}: no such file or directory", command,
            command);
      return fmt::format("failed to start container process: exec: \"{}\": {}", command, why);
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
    case ChildStep::kSeccomp:
      return fmt::format("load seccomp filter: {}", why);
  }
  return why;
}

UniqueFd receive_fd(int sock) {
  char dummy;
  struct iovec iov {
    &dummy, 1
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0) return UniqueFd();
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return UniqueFd();
  int fd;
  std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return UniqueFd(fd);
}

}  // namespace

int run_container(const StorePaths& paths, const RunOptions& options) {
  ContainerStore containers(paths);
  SilentObserver silent;
  Image image = image_for_container(paths, options.image, options.pull, options.pull_options,
                                    options.pull_progress ? *options.pull_progress : silent);
  IdMapping mapping = detect_id_mapping();
  // The id mappers run while the container is created (as ourselves, outside the namespace).
  PendingUserNamespace userns(mapping, PendingUserNamespace::kJoinable);
  CreatedContainer created = create_container(std::move(image), containers, options);
  const std::string& id = created.id;
  const Json& cfg = created.config;
  const Json& host_cfg = cfg["HostConfig"];
  std::string dir = containers.dir(id);
  bool remove = options.remove;

  // From here on a failure removes an --rm container and leaves others as "created", as
  // docker does. The files go to the janitor: the caller gets the exit code without waiting
  // for their deletion.
  std::optional<BackgroundJanitor> janitor;
  struct Cleanup {
    ContainerStore& store;
    std::optional<BackgroundJanitor>& janitor;
    const std::string& id;
    std::string name;
    bool remove;
    ~Cleanup() {
      if (!remove) return;
      try {
        ::umount2((store.dir(id) + "/merged").c_str(), MNT_DETACH);
        std::string trash = store.retire(id, name);
        if (janitor)
          janitor->delete_later(trash);
        else
          remove_tree(trash);
      } catch (const Error&) {
      }
    }
  } cleanup{containers, janitor, id, cfg.value("Name", ""), remove};

  // Privileges and the seccomp program need no namespace: work them out while the id
  // mappers run.
  bool privileged = host_cfg.value("Privileged", false);
  CapMask caps = resolve_caps(json_string_array(host_cfg.value("CapAdd", Json())),
                              json_string_array(host_cfg.value("CapDrop", Json())), privileged);
  bool unconfined = false;
  SeccompProgram seccomp = seccomp_for(paths, host_cfg, cap_names(caps), unconfined);
  struct sock_fprog seccomp_prog {};
  seccomp_prog.len = static_cast<unsigned short>(seccomp.filter.size());
  seccomp_prog.filter = seccomp.filter.data();

  userns.enter();
  janitor.emplace(containers);
  // Network, IPC and UTS namespaces came with the user namespace.
  if (::unshare(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWPID) != 0) fail_errno("create container namespaces");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail_errno("make / private");

  RootfsLayout layout;
  ImageStore images(paths);
  for (const auto& d : created.image.diff_ids()) layout.lower_dirs.push_back(images.layer_diff_dir(d));
  layout.upper = dir + "/upper";
  layout.work = dir + "/work";
  layout.merged = dir + "/merged";
  layout.copy_dir = dir + "/rootfs";
  layout.volatile_upper = remove;
  std::string overlay_note;
  mount_rootfs(layout, preferred_overlay_mode(), overlay_note);
  UniqueFd rootfs(::open(layout.merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfs) fail_errno("open rootfs {}", layout.merged);

  const Json& ccfg = cfg["Config"];
  std::string user_spec = ccfg.value("User", "");
  ResolvedUser user =
      resolve_user(user_spec.empty() ? "0" : user_spec, read_in_root(rootfs.get(), "/etc/passwd"),
                   read_in_root(rootfs.get(), "/etc/group"));
  auto mapped = [](const std::vector<IdRange>& ranges, uint32_t id) {
    for (const auto& r : ranges)
      if (id >= r.inside && id - r.inside < r.count) return true;
    return false;
  };
  if (!mapped(mapping.uids, user.uid) || !mapped(mapping.gids, user.gid)) {
    fail("user {} (uid {}, gid {}) is not mapped in this user namespace (id mapping: {}){}", user_spec,
         user.uid, user.gid, mapping.mode_name(),
         mapping.why_single.empty() ? "" : ": " + mapping.why_single);
  }
  std::vector<gid_t> groups;
  for (gid_t g : user.groups)
    if (mapped(mapping.gids, g)) groups.push_back(g);
  user.groups = groups;
  std::vector<std::string> env = json_string_array(ccfg["Env"]);
  if (!env_value(env, "HOME")) env.push_back("HOME=" + user.home);
  std::string workdir = ccfg.value("WorkingDir", "");
  if (workdir.empty()) workdir = "/";
  make_dirs_in_root(rootfs.get(), workdir);

  ContainerMounts mounts;
  for (const auto& m : cfg["Mounts"])
    mounts.binds.push_back(
        {m["Source"].get<std::string>(), m["Destination"].get<std::string>(), !m["RW"].get<bool>()});
  for (const char* f : {"hosts", "hostname", "resolv.conf"})
    mounts.binds.push_back({dir + "/" + f, std::string("/etc/") + f, false});
  if (host_cfg.contains("Tmpfs") && host_cfg["Tmpfs"].is_object())
    for (auto it = host_cfg["Tmpfs"].begin(); it != host_cfg["Tmpfs"].end(); ++it)
      mounts.tmpfs.push_back({it.key(), it.value().get<std::string>()});
  for (const auto& r : mapping.gids)
    if (r.inside <= 5 && 5 < r.inside + r.count) mounts.gid5_mapped = true;
  mount_container_filesystems(rootfs.get(), mounts);
  make_dirs_in_root(rootfs.get(), "/proc");

  std::string hostname = ccfg.value("Hostname", id.substr(0, 12));
  if (::sethostname(hostname.data(), hostname.size()) != 0) fail_errno("sethostname {}", hostname);
  bring_loopback_up();

  std::vector<std::string> argv_s{cfg["Path"].get<std::string>()};
  for (const auto& a : cfg["Args"]) argv_s.push_back(a.get<std::string>());
  auto argv = c_array(argv_s);
  auto envp = c_array(env);
  std::string path_env = env_value(env, "PATH").value_or("");

  UniqueFd devnull;
  if (!options.interactive) {
    devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!devnull) fail_errno("open /dev/null");
  }
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
  UniqueFd tty_parent, tty_child;
  if (options.tty) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) fail_errno("socketpair");
    tty_parent.reset(sp[0]);
    tty_child.reset(sp[1]);
  }

  ExecPlan plan;
  plan.rootfs_fd = rootfs.get();
  plan.stdin_fd = devnull.get();
  plan.tty = options.tty;
  plan.tty_socket = tty_child.get();
  plan.read_only_root = host_cfg.value("ReadonlyRootfs", false);
  plan.masked_paths = privileged ? nullptr : kMaskedPaths;
  plan.read_only_paths = privileged ? nullptr : kReadOnlyPaths;
  plan.workdir = workdir.c_str();
  plan.uid = user.uid;
  plan.gid = user.gid;
  plan.groups = user.groups.data();
  plan.group_count = user.groups.size();
  plan.capabilities = caps;
  plan.last_cap = last_cap();
  plan.seccomp = unconfined ? nullptr : &seccomp_prog;
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.path_env = path_env.empty() ? nullptr : path_env.c_str();
  plan.error_fd = err_write.get();

  block_supervised_signals();
  pid_t child = ::fork();
  if (child < 0) fail_errno("fork");
  if (child == 0) container_child_main(plan);
  err_write.reset();
  tty_child.reset();

  ContainerState state;
  state.status = "running";
  state.pid = child;
  state.started_at = now_rfc3339();
  containers.save_state(id, state, !remove);

  ChildFailure failure{};
  ssize_t n;
  while ((n = ::read(err_read.get(), &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  UniqueFd tty_master;
  if (n == sizeof failure) {
    int status;
    ::waitpid(child, &status, 0);
    state.status = "exited";
    state.exit_code = failure.step == ChildStep::kExec
                          ? (failure.err == ENOENT ? kExitNotFound : kExitCannotExecute)
                          : kExitToolError;
    state.error = describe_child_failure(failure, argv_s[0]);
    state.finished_at = now_rfc3339();
    containers.save_state(id, state, !remove);
    throw Error(state.error, state.exit_code);
  }
  if (options.tty) {
    tty_master = receive_fd(tty_parent.get());
    if (!tty_master) fail("set up terminal: the container did not send its pty");
  }
  int code = supervise_foreground(child, tty_master.get(), options.interactive);
  state.status = "exited";
  state.exit_code = code;
  state.finished_at = now_rfc3339();
  if (!remove) containers.save_state(id, state, true);
  return code;
}

}  // namespace tug
