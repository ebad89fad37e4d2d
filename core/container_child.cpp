// PID 1 setup: mount /proc, pivot_root, mask /proc and /sys paths, terminal, user, caps,
// no_new_privs, seccomp, exec; a `tug exec` process, born in the container's namespaces, only
// takes the steps from the terminal on (confine_and_exec). Order matters: /proc is mounted before the old
// root goes away (the kernel only allows a new proc mount while an unobscured one is visible), seccomp is
// loaded last so it cannot block our own setup calls, and capabilities are dropped after the
// user switch that needs them.
#include "core/container_child.hpp"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "core/container_init.hpp"
#include "util/process_title.hpp"

namespace tug {

namespace {

[[noreturn]] void die(const ExecPlan& plan, ChildStep step, int err) {
  ChildFailure f{step, err};
  (void)!::write(plan.error_fd, &f, sizeof f);
  int code = 125;
  if (step == ChildStep::kExec) code = (err == ENOENT) ? 127 : 126;
  ::_exit(code);
}

void mount_proc(const ExecPlan& plan) {
  // <rootfs>/proc resolved with "." as the root, so an image's /proc symlink stays inside.
  struct open_how how {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int target = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, "proc", &how, sizeof how));
  if (target < 0) die(plan, ChildStep::kMountProc, errno);
  int fs = static_cast<int>(::syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC));
  if (fs < 0) die(plan, ChildStep::kMountProc, errno);
  ::syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", "proc", 0);
  if (::syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    die(plan, ChildStep::kMountProc, errno);
  int mnt = static_cast<int>(
      ::syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  if (mnt < 0) die(plan, ChildStep::kMountProc, errno);
  if (::syscall(SYS_move_mount, mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    die(plan, ChildStep::kMountProc, errno);
  ::close(mnt);
  ::close(fs);
  ::close(target);
}

void pivot(const ExecPlan& plan) {
  // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves
  // only the container's tree, without needing a directory inside the rootfs to park it.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) die(plan, ChildStep::kPivotRoot, errno);
  if (::umount2(".", MNT_DETACH) != 0) die(plan, ChildStep::kPivotRoot, errno);
  if (::chdir("/") != 0) die(plan, ChildStep::kPivotRoot, errno);
}

void mask_paths(const ExecPlan& plan) {
  for (const char* const* p = plan.masked_paths; p && *p; ++p) {
    // Files get /dev/null bound over them, directories an empty read-only tmpfs.
    if (::mount("/dev/null", *p, nullptr, MS_BIND, nullptr) == 0) continue;
    if (errno == ENOENT) continue;
    if (::mount("tmpfs", *p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k") != 0 &&
        errno != ENOENT)
      die(plan, ChildStep::kMaskPaths, errno);
  }
  for (const char* const* p = plan.read_only_paths; p && *p; ++p) {
    if (::mount(*p, *p, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      die(plan, ChildStep::kMaskPaths, errno);
    }
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, *p, AT_RECURSIVE, &attr, sizeof attr) != 0)
      die(plan, ChildStep::kMaskPaths, errno);
  }
}

void setup_terminal(const ExecPlan& plan) {
  int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die(plan, ChildStep::kTerminal, errno);
  int unlock = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) != 0) die(plan, ChildStep::kTerminal, errno);
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) die(plan, ChildStep::kTerminal, errno);
  if (plan.tty_rows && plan.tty_cols) {
    struct winsize ws {};
    ws.ws_row = plan.tty_rows;
    ws.ws_col = plan.tty_cols;
    ::ioctl(slave, TIOCSWINSZ, &ws);
  }
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) die(plan, ChildStep::kTerminal, errno);
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave, fd) < 0) die(plan, ChildStep::kTerminal, errno);
  ::close(slave);
  char dummy = 't';
  struct iovec iov {
    &dummy, 1
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  std::memset(control, 0, sizeof control);
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &master, sizeof(int));
  if (::sendmsg(plan.tty_socket, &msg, 0) < 0) die(plan, ChildStep::kTerminal, errno);
  ::close(master);
  ::close(plan.tty_socket);
}

void set_user(const ExecPlan& plan) {
  if (::syscall(SYS_setgroups, plan.group_count, plan.groups) != 0 && errno != EPERM)
    die(plan, ChildStep::kSetUser, errno);
  if (::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0) die(plan, ChildStep::kSetUser, errno);
  if (::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) die(plan, ChildStep::kSetUser, errno);
}

void drop_bounding_set(const ExecPlan& plan) {
  for (int cap = 0; cap <= plan.last_cap; ++cap) {
    if (plan.capabilities & (1ULL << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      die(plan, ChildStep::kCapabilities, errno);
  }
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

void set_capabilities(const ExecPlan& plan) {
  // A non-root user loses its capabilities at setresuid (as with docker); root keeps the set.
  if (plan.uid != 0) return;
  struct __user_cap_header_struct hdr {};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  struct __user_cap_data_struct data[2]{};
  data[0].effective = data[0].permitted = static_cast<uint32_t>(plan.capabilities);
  data[1].effective = data[1].permitted = static_cast<uint32_t>(plan.capabilities >> 32);
  if (::syscall(SYS_capset, &hdr, data) != 0) die(plan, ChildStep::kCapabilities, errno);
}

// execvpe without allocation: tries each PATH entry with a stack buffer.
[[noreturn]] void exec_command(const ExecPlan& plan) {
  const char* name = plan.argv[0];
  if (std::strchr(name, '/')) {
    ::execve(name, plan.argv, plan.envp);
    die(plan, ChildStep::kExec, errno);
  }
  const char* path =
      plan.path_env ? plan.path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t name_len = std::strlen(name);
  int last_err = ENOENT;
  bool saw_eacces = false;
  char buf[4096];
  for (const char* p = path;;) {
    const char* end = std::strchr(p, ':');
    size_t len = end ? static_cast<size_t>(end - p) : std::strlen(p);
    if (len == 0) {
      buf[0] = '.';
      len = 1;
    } else if (len < sizeof buf - name_len - 2) {
      std::memcpy(buf, p, len);
    } else {
      len = 0;
    }
    if (len) {
      buf[len] = '/';
      std::memcpy(buf + len + 1, name, name_len + 1);
      ::execve(buf, plan.argv, plan.envp);
      if (errno == EACCES)
        saw_eacces = true;
      else if (errno != ENOENT && errno != ENOTDIR)
        last_err = errno;
    }
    if (!end) break;
    p = end + 1;
  }
  die(plan, ChildStep::kExec, saw_eacces ? EACCES : last_err);
}

// What every child does first. Signals stay blocked (inherited from the parent) until exec, so
// a forwarded signal cannot kill us mid-setup; the mask is cleared right before exec.
// PDEATHSIG only covers a parent that dies after it is armed. A parent that died between our
// clone and the prctl is seen through its pidfd (getppid() says 0 in a new PID namespace).
void die_with_parent(const ExecPlan& plan) {
  if (!plan.die_with_parent) return;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (plan.parent_pidfd < 0) return;
  struct pollfd parent {
    plan.parent_pidfd, POLLIN, 0
  };
  if (::syscall(SYS_poll, &parent, 1, 0) > 0) ::_exit(137);
}

void start_child(const ExecPlan& plan) {
  die_with_parent(plan);
  // Into the container's cgroup before anything runs, so that every process the command
  // forks is charged there too.
  if (plan.cgroup_procs_fd >= 0 && ::write(plan.cgroup_procs_fd, "0", 1) != 1)
    die(plan, ChildStep::kCgroup, errno);
  // Descriptors the caller leaked to tug (a test harness's fd 3, say) must not reach the
  // container: mark everything above stderr close-on-exec.
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
}

// --init: this process stays as the init (confined like the command: same user, capabilities
// and seccomp filter) and the command runs as its child, in its own process group, which owns
// the terminal when there is one. Returns in the child only.
void start_command_under_init(const ExecPlan& plan) {
  sigset_t all;
  sigfillset(&all);
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, nullptr, sizeof(unsigned long));
  // Renamed before the command exists: a `ps` run as the command must already see the init's
  // name (the command gets its own at exec).
  rewrite_command_line("/sbin/tug-init", nullptr);
  long pid = ::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, 0L);
  if (pid < 0) die(plan, ChildStep::kInit, errno);
  if (pid == 0) {
    ::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    ::syscall(SYS_setpgid, 0, 0);
    if (plan.tty) {
      pid_t self = static_cast<pid_t>(::syscall(SYS_getpid));
      ::syscall(SYS_ioctl, 0, TIOCSPGRP, &self);
    }
    return;
  }
  // The init never execs, so close-on-exec never empties it: everything beyond stdio goes now.
  // Our copy of the error pipe would keep tug waiting after the command started (the command's
  // failure to exec reaches tug through its own copy), and a monitor's pipes to `run -d` would
  // keep that waiting too.
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
  run_container_init(static_cast<pid_t>(pid));
}

// The process's own setup, in the container's mount namespace with "/" its root: session and
// stdio, workdir, then privileges dropped in the order that lets each step still run.
[[noreturn]] void confine_and_exec(const ExecPlan& plan) {
  ::setsid();
  if (plan.tty) {
    setup_terminal(plan);
  } else {
    if (plan.stdin_fd >= 0 && ::dup2(plan.stdin_fd, 0) < 0) die(plan, ChildStep::kTerminal, errno);
    if (plan.stdout_fd >= 0 && ::dup2(plan.stdout_fd, 1) < 0) die(plan, ChildStep::kTerminal, errno);
    if (plan.stderr_fd >= 0 && ::dup2(plan.stderr_fd, 2) < 0) die(plan, ChildStep::kTerminal, errno);
  }
  if (::chdir(plan.workdir) != 0) die(plan, ChildStep::kWorkdir, errno);
  drop_bounding_set(plan);
  set_user(plan);
  // A change of uid clears the parent-death signal: arm it again.
  die_with_parent(plan);
  set_capabilities(plan);
  if (plan.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    die(plan, ChildStep::kNoNewPrivs, errno);
  if (plan.seccomp && ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, plan.seccomp) != 0)
    die(plan, ChildStep::kSeccomp, errno);
  if (plan.init) start_command_under_init(plan);
  sigset_t none;
  sigemptyset(&none);
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof(unsigned long));
  exec_command(plan);
}

}  // namespace

void container_child_main(const ExecPlan& plan) {
  start_child(plan);
  // A cgroup namespace rooted at the container's own cgroup: /proc/self/cgroup says "/", as
  // in docker, rather than the path of the cgroup on the host.
  if (plan.cgroup_procs_fd >= 0 && ::unshare(CLONE_NEWCGROUP) != 0) die(plan, ChildStep::kCgroup, errno);
  // pivot_root moves every process of the mount namespace whose root is the old root, so
  // PID 1 takes a copy of the namespace the parent prepared: the parent (tug) stays on the
  // host's root and keeps working with host paths.
  // unshare moves our cwd to its copy in the new namespace, so chdir into the rootfs first
  // and work relative to "." from then on (fds opened before point into the old copy).
  if (::fchdir(plan.rootfs_fd) != 0) die(plan, ChildStep::kPivotRoot, errno);
  if (::unshare(CLONE_NEWNS) != 0) die(plan, ChildStep::kPivotRoot, errno);
  mount_proc(plan);
  pivot(plan);
  mask_paths(plan);
  if (plan.read_only_root) {
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &attr, sizeof attr) != 0)
      die(plan, ChildStep::kReadOnlyRoot, errno);
  }
  confine_and_exec(plan);
}

void exec_child_main(const ExecPlan& plan) {
  start_child(plan);
  confine_and_exec(plan);
}

UniqueFd receive_tty_master(int sock) {
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

// The parent's side: reading and wording a ChildFailure. Not used between fork and exec.

std::optional<ChildFailure> read_child_failure(int err_fd) {
  ChildFailure failure{};
  ssize_t n;
  while ((n = ::read(err_fd, &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  if (n != sizeof failure) return std::nullopt;
  return failure;
}

std::string errno_text(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string exec_failure_text(const std::string& command, int err) {
  if (err == ENOENT && command.find('/') == std::string::npos)
    return fmt::format("exec: \"{}\": executable file not found in $PATH", command);
  if (err == ENOENT) return fmt::format("exec: \"{}\": stat {}: no such file or directory", command, command);
  return fmt::format("exec: \"{}\": {}", command, errno_text(err));
}

}  // namespace tug
