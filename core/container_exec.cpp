// `tug exec`, in this single-threaded tug until the fork: resolve the container and check it
// runs → everything that needs the host (seccomp cache, env files, the container's id maps,
// /dev/null) → pin PID 1 with a pidfd → join its namespaces (from then on "/" is the
// container's) → the user database, read inside the container → fork the process into the
// container's PID namespace (container_child.cpp: exec_child_main) → supervise it, or return as
// soon as it exec'd with -d.
#include "core/container_exec.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "core/cgroup.hpp"
#include "core/container_child.hpp"
#include "core/container_process.hpp"
#include "core/container_store.hpp"
#include "core/image_config.hpp"
#include "core/namespace_join.hpp"
#include "core/supervisor.hpp"
#include "fs/in_root.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

// docker's prefix for everything that goes wrong once the exec'd process is being set up.
constexpr const char* kExecFailed =
    "OCI runtime exec failed: exec failed: unable to start container process: ";

// docker refuses an exec into a container that is not (or not quite) running, naming it as
// each check does: the full ID when not running, as the user wrote it otherwise.
void check_running(const ContainerState& state, const std::string& id, const std::string& as_named) {
  if (state.status == "paused") fail("Container {} is paused, unpause the container before exec", as_named);
  if (state.status == "restarting")
    fail("Container {} is restarting, wait until the container is running", as_named);
  if (!state.running() || state.pid <= 0) fail("container {} is not running", id);
}

pid_t parent_of(pid_t pid) {
  auto stat = read_file_if_exists(fmt::format("/proc/{}/stat", pid));
  if (!stat) return -1;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, the last ')' ends it.
  auto close = stat->rfind(')');
  if (close == std::string::npos) return -1;
  int ppid = -1;
  if (std::sscanf(stat->c_str() + close + 1, " %*c %d", &ppid) != 1) return -1;
  return ppid;
}

/// The container's PID 1 behind a pidfd. state.json's pid may name another process by now (PID
/// 1 exited and the pid was reused): with the pidfd held, the pid cannot change hands, so what
/// /proc says while the process still lives (its parent is the container's holder) is about it.
UniqueFd pin_pid1(const ContainerStore& store, const std::string& id, const ContainerState& state) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, state.pid, 0)));
  if (!pidfd && errno != ESRCH) fail_errno("open process {}", state.pid);
  bool ours = pidfd && (state.monitor_pid <= 0 || parent_of(state.pid) == state.monitor_pid) &&
              ::syscall(SYS_pidfd_send_signal, pidfd.get(), 0, nullptr, 0) == 0 && store.is_running(id);
  if (!ours) fail("container {} is not running", id);
  return pidfd;
}

/// A user namespace's id map (/proc/PID/uid_map or gid_map): which ids exist inside it.
std::vector<IdRange> read_id_map(pid_t pid, const char* which) {
  std::string text = read_file(fmt::format("/proc/{}/{}", pid, which));
  std::vector<IdRange> ranges;
  IdRange r;
  for (const char* p = text.c_str(); std::sscanf(p, " %u %u %u", &r.inside, &r.outside, &r.count) == 3;) {
    ranges.push_back(r);
    p = std::strchr(p, '\n');
    if (!p) break;
    ++p;
  }
  return ranges;
}

bool id_mapped(const std::vector<IdRange>& ranges, uint32_t id) {
  for (const auto& r : ranges)
    if (id >= r.inside && id - r.inside < r.count) return true;
  return false;
}

// The container's /etc/passwd or /etc/group. The container owns these files: a FIFO, a device
// or an endless file there must neither block nor exhaust tug, so only a regular file is read,
// and at most kMaxUserDatabase bytes of it.
std::string read_user_database(int root_fd, const char* path) {
  constexpr size_t kMaxUserDatabase = 16 << 20;
  UniqueFd fd = open_in_root(root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  std::string out;
  char buf[8192];
  ssize_t n;
  while (out.size() < kMaxUserDatabase && (n = ::read(fd.get(), buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

// docker's exec environment (CreateDaemonEnvironment): HOSTNAME, and TERM with a tty, replaced
// by the container's variables, then by -e and --env-file.
std::vector<std::string> exec_env(const Json& container_config, const ExecOptions& o) {
  std::vector<std::string> env{"HOSTNAME=" + container_config.value("Hostname", "")};
  if (o.tty && !o.detach) env.push_back("TERM=xterm");
  env = merge_env(env, json_string_array(container_config.value("Env", Json())));
  std::vector<std::string> overrides;
  for (const auto& f : o.env_files)
    for (auto& line : read_env_file(f)) overrides.push_back(line);
  overrides.insert(overrides.end(), o.env.begin(), o.env.end());
  return merge_env(env, overrides);
}

int exit_code_for(const ChildFailure& f) {
  if (f.step == ChildStep::kExec) return f.err == ENOENT ? kExitNotFound : kExitCannotExecute;
  if (f.step == ChildStep::kWorkdir) return kExitCannotExecute;
  return kExitToolError;
}

std::string describe_exec_failure(const ChildFailure& f, const std::string& command,
                                  const std::string& workdir) {
  const std::string why = errno_text(f.err);
  std::string what;
  switch (f.step) {
    case ChildStep::kExec:
      what = exec_failure_text(command, f.err);
      break;
    case ChildStep::kWorkdir:
      what = fmt::format("chdir to cwd (\"{}\"): {}", workdir, why);
      break;
    case ChildStep::kTerminal:
      what = fmt::format("set up stdio or terminal: {}", why);
      break;
    case ChildStep::kSetUser:
      what = fmt::format("switch user: {}", why);
      break;
    case ChildStep::kCapabilities:
      what = fmt::format("set capabilities: {}", why);
      break;
    case ChildStep::kNoNewPrivs:
      what = fmt::format("set no_new_privs: {}", why);
      break;
    case ChildStep::kInit:
      what = fmt::format("start the command under the init: {}", why);
      break;
    case ChildStep::kCgroup:
      what = fmt::format("join the container's cgroup: {}", why);
      break;
    case ChildStep::kSeccomp:
      what = fmt::format("load seccomp filter: {}", why);
      break;
    default:
      what = why;
  }
  return kExecFailed + what;
}

// Highest capability number of the running kernel, for PR_CAPBSET_DROP's loop.
int last_kernel_cap() { return 63 - __builtin_clzll(kernel_caps()); }

}  // namespace

int exec_in_container(const StorePaths& paths, const ExecOptions& o) {
  ContainerStore store(paths);
  std::string id = store.resolve(o.container);
  ContainerState state = store.live_state(id);
  check_running(state, id, o.container);
  if (o.command.empty()) fail("no exec command specified");
  if (!o.workdir.empty() && o.workdir.front() != '/')
    fail("the working directory '{}' is invalid, it needs to be an absolute path", o.workdir);
  Json config = store.load_config(id);
  const Json& ccfg = config["Config"];
  const Json& host_cfg = config["HostConfig"];

  // Everything that needs the host's filesystem comes before the namespaces are joined. The
  // seccomp filter is the container's (computed from its own capabilities) even for an exec
  // with --privileged, as docker keeps it.
  CapMask container_caps = container_capabilities(host_cfg);
  bool unconfined = false;
  SeccompProgram seccomp = container_seccomp(paths, host_cfg, container_caps, unconfined);
  CapMask caps = o.privileged ? kernel_caps() : container_caps;
  int last_cap = last_kernel_cap();
  struct sock_fprog seccomp_prog {};
  seccomp_prog.len = static_cast<unsigned short>(seccomp.filter.size());
  seccomp_prog.filter = seccomp.filter.data();
  std::vector<std::string> env = exec_env(ccfg, o);
  std::vector<IdRange> uids = read_id_map(state.pid, "uid_map"), gids = read_id_map(state.pid, "gid_map");
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) fail_errno("open /dev/null");
  UniqueFd pid1 = pin_pid1(store, id, state);
  // An exec'd process counts against the container's memory limit, as in docker.
  std::optional<ContainerCgroup> cgroup;
  if (host_cfg.value("Memory", int64_t{0}) > 0) cgroup = ContainerCgroup::find(id);

  // Between fork and exec our child is tug's binary inside the container's PID namespace: not
  // dumpable, the container's root can neither ptrace it nor open its /proc/PID/exe (runc's
  // CVE-2019-5736, an overwrite of the runtime binary). exec makes the command dumpable again.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail_errno("prctl PR_SET_DUMPABLE");
  join_container_namespaces(state.pid, pid1.get());
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) fail_errno("open the container's root");

  std::string user_spec = o.user.empty() ? ccfg.value("User", "") : o.user;
  ResolvedUser user;
  try {
    user = resolve_user(user_spec.empty() ? "0" : user_spec, read_user_database(root.get(), "/etc/passwd"),
                        read_user_database(root.get(), "/etc/group"));
  } catch (const Error& e) {
    throw Error(kExecFailed + std::string(e.what()), kExitCannotExecute);
  }
  if (!id_mapped(uids, user.uid) || !id_mapped(gids, user.gid))
    throw Error(fmt::format("{}user {} (uid {}, gid {}) is not mapped in the container's user namespace",
                            kExecFailed, user_spec, user.uid, user.gid),
                kExitCannotExecute);
  std::vector<gid_t> groups;
  for (gid_t g : user.groups)
    if (id_mapped(gids, g)) groups.push_back(g);
  if (!env_value(env, "HOME")) env.push_back("HOME=" + user.home);
  std::string workdir = o.workdir.empty() ? ccfg.value("WorkingDir", "") : o.workdir;
  if (workdir.empty()) workdir = "/";
  std::vector<std::string> argv = o.command;
  std::vector<char*> argv_ptrs, env_ptrs;
  for (auto& a : argv) argv_ptrs.push_back(a.data());
  argv_ptrs.push_back(nullptr);
  for (auto& e : env) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);
  auto path_env = env_value(env, "PATH");

  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
  // -d -t: nobody would read a pty's master; the process runs without a terminal instead.
  bool tty = o.tty && !o.detach;
  UniqueFd tty_parent, tty_child;
  if (tty) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) fail_errno("socketpair");
    tty_parent.reset(sp[0]);
    tty_child.reset(sp[1]);
  }

  ExecPlan plan;
  plan.tty = tty;
  plan.tty_socket = tty_child.get();
  struct winsize ws {};
  if (tty && (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)) {
    plan.tty_rows = ws.ws_row;
    plan.tty_cols = ws.ws_col;
  }
  // Detached, the process holds nothing of ours: whoever waits for our stdout's end (a shell's
  // $(...)) must not wait for the process too.
  TerminalShield shield;
  if (!tty && !o.detach) shield = TerminalShield::for_caller(o.interactive);
  plan.stdin_fd = o.interactive && !o.detach ? shield.child_fd(STDIN_FILENO, STDIN_FILENO) : devnull.get();
  plan.stdout_fd = o.detach ? devnull.get() : shield.child_fd(STDOUT_FILENO, -1);
  plan.stderr_fd = o.detach ? devnull.get() : shield.child_fd(STDERR_FILENO, -1);
  plan.workdir = workdir.c_str();
  plan.uid = user.uid;
  plan.gid = user.gid;
  plan.groups = groups.data();
  plan.group_count = groups.size();
  plan.capabilities = caps;
  plan.last_cap = last_cap;
  plan.seccomp = unconfined ? nullptr : &seccomp_prog;
  plan.argv = argv_ptrs.data();
  plan.envp = env_ptrs.data();
  plan.path_env = path_env ? path_env->c_str() : nullptr;
  plan.error_fd = err_write.get();
  plan.cgroup_procs_fd = cgroup ? cgroup->procs_fd() : -1;
  // A detached process outlives us, as docker's does; an attached one ends with us.
  plan.die_with_parent = !o.detach;

  block_supervised_signals();
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t child = ::fork();
  if (child < 0) fail_errno("start the exec process");
  if (child == 0) exec_child_main(plan);
  err_write.reset();
  tty_child.reset();
  shield.close_child_ends();

  if (auto failure = read_child_failure(err_read.get())) {
    int status;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    throw Error(describe_exec_failure(*failure, argv[0], workdir), exit_code_for(*failure));
  }
  if (o.detach) return 0;
  UniqueFd master;
  if (tty) {
    master = receive_tty_master(tty_parent.get());
    if (!master) fail("set up terminal: the exec process did not send its pty");
  }
  return supervise_foreground(child, master ? master.get() : -1, o.interactive, &shield);
}

}  // namespace tug
