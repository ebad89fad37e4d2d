// signalfd-based supervision: one poll loop for signals, the terminal and the child's exit,
// so no signal handler ever runs in tug.
#include "core/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/// Puts a terminal in raw mode and restores it on destruction.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  struct termios saved_ {};
  bool active_ = false;
};

/// One read from `from` written whole to `to` (and to the log when given). False at end of
/// file or on an error; true when it copied or there was nothing to read yet.
bool copy_once(int from, int to, JsonLogWriter* log = nullptr, LogStream stream = LogStream::kStdout) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
  if (log) log->write(stream, std::string_view(buf, static_cast<size_t>(n)));
  for (ssize_t done = 0; done < n;) {
    ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    done += w;
  }
  return true;
}

void sync_window_size(int tty_master) {
  struct winsize ws {};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
    ::ioctl(tty_master, TIOCSWINSZ, &ws);
}

}  // namespace

sigset_t supervised_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwarded) sigaddset(&set, s);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGWINCH);
  return set;
}

void block_supervised_signals() {
  sigset_t set = supervised_signals();
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) fail_errno("sigprocmask");
}

TerminalShield TerminalShield::for_caller(bool interactive, bool capture_output) {
  TerminalShield shield;
  auto make = [](UniqueFd& child_end, UniqueFd& relay_end, bool child_reads) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
    child_end.reset(child_reads ? fds[0] : fds[1]);
    relay_end.reset(child_reads ? fds[1] : fds[0]);
  };
  if (interactive && ::isatty(STDIN_FILENO)) make(shield.stdin_child, shield.stdin_relay, true);
  if (capture_output || ::isatty(STDOUT_FILENO)) make(shield.stdout_child, shield.stdout_relay, false);
  if (capture_output || ::isatty(STDERR_FILENO)) make(shield.stderr_child, shield.stderr_relay, false);
  return shield;
}

int TerminalShield::child_fd(int fd, int otherwise) const {
  const UniqueFd& end = fd == STDIN_FILENO ? stdin_child : fd == STDOUT_FILENO ? stdout_child : stderr_child;
  return end ? end.get() : otherwise;
}

void TerminalShield::close_child_ends() {
  stdin_child.reset();
  stdout_child.reset();
  stderr_child.reset();
}

int supervise_foreground(pid_t child, int tty_master, bool forward_stdin, TerminalShield* shield,
                         JsonLogWriter* log) {
  sigset_t set = supervised_signals();
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) fail_errno("signalfd");
  RawTerminal raw(tty_master >= 0 && forward_stdin ? STDIN_FILENO : -1);
  if (tty_master >= 0) {
    sync_window_size(tty_master);
    ::fcntl(tty_master, F_SETFL, ::fcntl(tty_master, F_GETFL) | O_NONBLOCK);
  }
  // Where our stdin goes: the pty, or the shield's pipe to a container without one.
  int stdin_target = tty_master >= 0                 ? tty_master
                     : shield && shield->stdin_relay ? shield->stdin_relay.get()
                                                     : -1;
  bool stdin_open = forward_stdin && stdin_target >= 0;
  int out_relay = shield && shield->stdout_relay ? shield->stdout_relay.get() : -1;
  int err_relay = shield && shield->stderr_relay ? shield->stderr_relay.get() : -1;
  for (int fd : {out_relay, err_relay})
    if (fd >= 0) ::fcntl(fd, F_SETFL, O_NONBLOCK);
  int status = 0;
  while (true) {
    // The child may already be gone before its SIGCHLD shows up in the signalfd.
    pid_t r = ::waitpid(child, &status, WNOHANG);
    if (r == child) break;
    struct pollfd fds[5];
    nfds_t n = 0;
    fds[n++] = {sfd.get(), POLLIN, 0};
    if (tty_master >= 0) fds[n++] = {tty_master, POLLIN, 0};
    if (stdin_open) fds[n++] = {STDIN_FILENO, POLLIN, 0};
    if (out_relay >= 0) fds[n++] = {out_relay, POLLIN, 0};
    if (err_relay >= 0) fds[n++] = {err_relay, POLLIN, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      fail_errno("poll");
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (::read(sfd.get(), &info, sizeof info) == sizeof info) {
        int sig = static_cast<int>(info.ssi_signo);
        if (sig == SIGCHLD) continue;
        if (sig == SIGWINCH) {
          if (tty_master >= 0) sync_window_size(tty_master);
          continue;
        }
        ::kill(child, sig);
      }
    }
    for (nfds_t i = 1; i < n; ++i) {
      if (!fds[i].revents) continue;
      int fd = fds[i].fd;
      if (fd == tty_master) {
        if (!copy_once(tty_master, STDOUT_FILENO, log) && (fds[i].revents & (POLLHUP | POLLERR))) {
          // The container's side closed; keep waiting for the exit status only.
          tty_master = -1;
        }
      } else if (fd == STDIN_FILENO) {
        if (!copy_once(STDIN_FILENO, stdin_target)) {
          stdin_open = false;
          if (tty_master >= 0) {
            // End of input: send the terminal's EOF character as a user typing ^D would.
            (void)!::write(tty_master, "\x04", 1);
          } else {
            shield->stdin_relay.reset();  // the container reads end of file
          }
        }
      } else if (fd == out_relay || fd == err_relay) {
        bool out = fd == out_relay;
        if (!copy_once(fd, out ? STDOUT_FILENO : STDERR_FILENO, log,
                       out ? LogStream::kStdout : LogStream::kStderr)) {
          if (fd == out_relay) out_relay = -1;
          if (fd == err_relay) err_relay = -1;
        }
      }
    }
  }
  // What the container wrote before it exited; its other processes may keep the pipes open, so
  // read what is there and do not wait for end of file.
  for (auto [from, to] : {std::pair{tty_master, STDOUT_FILENO}, std::pair{out_relay, STDOUT_FILENO},
                          std::pair{err_relay, STDERR_FILENO}}) {
    if (from < 0) continue;
    LogStream stream = to == STDERR_FILENO ? LogStream::kStderr : LogStream::kStdout;
    while (copy_once(from, to, log, stream)) {
      struct pollfd p {
        from, POLLIN, 0
      };
      if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
    }
  }
  if (log) log->flush();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

}  // namespace tug
