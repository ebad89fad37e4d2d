// The detached container's monitor. Single-threaded: one poll loop over a signalfd and PID 1's
// output pipes; the lock taken at creation or start stays held (the container is "running")
// until this process exits, and the kernel drops it if the process is killed, while PID 1's
// PDEATHSIG takes the container down with it: nothing can outlive the monitor unnoticed.
#include "core/container_monitor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>

#include "core/container_process.hpp"
#include "core/container_stdin.hpp"
#include "core/health_probe.hpp"
#include "core/json_log.hpp"
#include "core/restart_policy.hpp"
#include "core/supervisor.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"
#include "util/memory_trim.hpp"

namespace tug {

namespace {

/// Reads what `fd` holds now into the log; false at end of file.
bool drain_into_log(int fd, LogStream stream, JsonLogWriter& log) {
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      log.write(stream, std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0;  // EAGAIN: open, nothing more for now; 0 or EIO (pty closed): the end
  }
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

/// PID 1's streams as the monitor holds them.
struct DetachedIo {
  int out_fd = -1, err_fd = -1;     ///< read ends of the output pipes (no tty)
  int tty_master = -1;              ///< with -t
  StdinFifo* stdin_fifo = nullptr;  ///< with -i: what attached clients send
  UniqueFd* stdin_pipe = nullptr;   ///< with -i and no tty: write end of PID 1's stdin
  bool stdin_once = false;          ///< StdinOnce: the first client's end of input is PID 1's
};

/// Waits for PID 1 to exit while its output goes to the log and attached input comes in;
/// signals sent to the monitor (SIGTERM at shutdown, SIGINT, SIGHUP) go to PID 1, as a
/// foreground `tug run` does.
int supervise_detached(pid_t pid1, DetachedIo io, JsonLogWriter& log, HealthChecker* health) {
  sigset_t set = supervised_signals();
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) fail_errno("signalfd");
  int status = 0;
  bool input_ended = false;
  bool trimmed = false;  // once per run of PID 1: a restart touched the startup's pages again
  auto stdin_target = [&io] {
    if (io.tty_master >= 0) return io.tty_master;
    return io.stdin_pipe && *io.stdin_pipe ? io.stdin_pipe->get() : -1;
  };
  enum Role { kSignals, kOut, kErr, kTty, kProbe, kFifo, kStdinWritable };
  while (true) {
    // Reap every child (the janitor, finished id mappers, health probes) but return only for PID 1.
    pid_t r;
    bool done = false;
    int child_status = 0;
    while ((r = ::waitpid(-1, &child_status, WNOHANG)) > 0) {
      if (r == pid1) {
        status = child_status;
        done = true;
        break;
      }
      if (health) health->reaped(r, child_status);
    }
    if (done) break;
    if (health) health->tick();
    if (input_ended && io.stdin_fifo && !io.stdin_fifo->has_pending() && io.stdin_once) {
      // The attached client's input ended: PID 1 reads end of file, as with `docker start -ai`.
      if (io.tty_master >= 0)
        (void)!::write(io.tty_master, "\x04", 1);
      else if (io.stdin_pipe)
        io.stdin_pipe->reset();
      input_ended = false;
    }
    struct pollfd fds[7];
    Role roles[7];
    nfds_t n = 0;
    auto watch = [&](int fd, short events, Role role) {
      if (fd < 0) return;
      fds[n] = {fd, events, 0};
      roles[n++] = role;
    };
    watch(sfd.get(), POLLIN, kSignals);
    watch(io.out_fd, POLLIN, kOut);
    watch(io.err_fd, POLLIN, kErr);
    watch(io.tty_master, POLLIN, kTty);
    watch(health ? health->output_fd() : -1, POLLIN, kProbe);
    if (io.stdin_fifo) {
      if (io.stdin_fifo->wants_input()) watch(io.stdin_fifo->fd(), POLLIN, kFifo);
      if (io.stdin_fifo->has_pending()) watch(stdin_target(), POLLOUT, kStdinWritable);
    }
    if (!trimmed) {
      // From here on we mostly wait: give back the startup's pages (see memory_trim), at the
      // last moment, so that only what the loop itself runs comes back.
      trim_resident_memory();
      trimmed = true;
    }
    if (::poll(fds, n, health ? health->poll_timeout_ms() : -1) < 0) {
      if (errno == EINTR) continue;
      fail_errno("poll");
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      switch (roles[i]) {
        case kSignals: {
          struct signalfd_siginfo info;
          while (::read(sfd.get(), &info, sizeof info) == sizeof info) {
            int sig = static_cast<int>(info.ssi_signo);
            if (sig != SIGCHLD && sig != SIGWINCH) ::kill(pid1, sig);
          }
          break;
        }
        case kOut:
        case kErr:
          drain_into_log(fds[i].fd, roles[i] == kErr ? LogStream::kStderr : LogStream::kStdout, log);
          break;
        case kTty:
          if (!drain_into_log(io.tty_master, LogStream::kStdout, log)) io.tty_master = -1;
          break;
        case kProbe:
          health->read_output();
          break;
        case kFifo:
          if (!io.stdin_fifo->read_input()) input_ended = true;
          io.stdin_fifo->flush(stdin_target());
          break;
        case kStdinWritable:
          io.stdin_fifo->flush(stdin_target());
          break;
      }
    }
  }
  // PID 1 is gone and its namespace with it: what is left in the pipes is all there is.
  if (io.out_fd >= 0) drain_into_log(io.out_fd, LogStream::kStdout, log);
  if (io.err_fd >= 0) drain_into_log(io.err_fd, LogStream::kStderr, log);
  if (io.tty_master >= 0) drain_into_log(io.tty_master, LogStream::kStdout, log);
  log.flush();
  return exit_code_of(status);
}

struct Pipe {
  UniqueFd read, write;
  static Pipe make() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  }
};

/// Tells the waiting command the container runs, then points the fd at /dev/null: the command
/// sees end of file, and a later failure report goes nowhere instead of into a reused fd.
// "OK", then the warnings the caller prints (our own stderr is /dev/null).
void report_ready(int ready_fd, const std::vector<std::string>& warnings) {
  std::string message = "OK\n";
  for (const auto& w : warnings) message += w + "\n";
  (void)!::write(ready_fd, message.data(), message.size());
  int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null >= 0) {
    ::dup3(null, ready_fd, O_CLOEXEC);
    ::close(null);
  }
}

}  // namespace

std::string stopped_by_user_mark(const std::string& container_dir) {
  return container_dir + "/stopped-by-user";
}

int monitor_container(const StorePaths& paths, CreatedContainer& created, const IdMapping& mapping,
                      PendingUserNamespace& userns, int ready_fd) {
  ContainerStore containers(paths);
  const std::string& id = created.id;
  const std::string dir = containers.dir(id);
  const Json& host_cfg = created.config["HostConfig"];
  const Json& ccfg = created.config["Config"];
  bool auto_remove = host_cfg.value("AutoRemove", false);
  RestartPolicy policy = RestartPolicy::from_json(host_cfg.value("RestartPolicy", Json()));
  bool tty = ccfg.value("Tty", false);

  std::optional<BackgroundJanitor> janitor;
  ContainerProcess process(paths, created, mapping);
  process.prepare(userns, janitor, auto_remove);

  UniqueFd log_fd(::open(json_log_path(dir, id).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!log_fd) fail_errno("open the container's log");
  JsonLogWriter log(std::move(log_fd));

  // PID 1's stdout and stderr are our fds 1 and 2 (write ends of the log pipes): it inherits
  // them. We keep the write ends, so the pipes never report EOF; PID 1's exit says when to stop.
  Pipe out = Pipe::make(), err = Pipe::make();
  if (!tty) {
    if (::dup2(out.write.get(), STDOUT_FILENO) < 0 || ::dup2(err.write.get(), STDERR_FILENO) < 0)
      fail_errno("dup2");
    for (int fd : {out.read.get(), err.read.get()}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
  }
  // docker -d -i: stdin stays open (nothing writes to it yet), so a shell waits instead of
  // reading end of file at once.
  std::optional<Pipe> in;
  std::optional<StdinFifo> stdin_fifo;
  if (ccfg.value("OpenStdin", false)) {
    if (!tty) {
      in = Pipe::make();
      ::fcntl(in->write.get(), F_SETFL, O_NONBLOCK);
    }
    stdin_fifo.emplace(container_stdin_path(dir));
  }

  std::optional<HealthChecker> health;
  if (auto settings = HealthSettings::from_config(ccfg.value("Healthcheck", Json())))
    health.emplace(paths, id, std::move(*settings));

  RestartBackoff backoff;
  int code = 0;
  bool first = true;
  while (true) {
    SpawnedPid1 pid1;
    std::string started_at = now_rfc3339();
    auto started = std::chrono::steady_clock::now();
    uint64_t oom_kills_before = process.oom_kills();
    try {
      pid1 = process.spawn(ContainerStdio{.stdin_fd = in ? in->read.get() : -1, .tty = tty});
    } catch (const Error& e) {
      containers.update_state(id, [&](ContainerState& s) {
        s.status = "exited";
        s.pid = 0;
        s.exit_code = e.exit_code();
        s.error = e.what();
        s.started_at = started_at;
        s.finished_at = now_rfc3339();
      });
      if (first) throw;  // the caller reports it to `run -d` / `start`
      code = e.exit_code();
      break;
    }
    containers.update_state(id, [&](ContainerState& s) {
      s.status = "running";
      s.pid = pid1.pid;
      s.monitor_pid = static_cast<int>(::getpid());
      s.exit_code = 0;
      s.oom_killed = false;
      s.error.clear();
      s.started_at = started_at;
      if (!first) s.restart_count++;
    });
    if (health) health->container_started();
    if (first) {
      report_ready(ready_fd, process.warnings());
      // A container that is not --rm has nothing for the janitor to delete: let it finish
      // its collection and go, rather than idle beside us for the container's whole life.
      // (With --rm we delete the files ourselves at the end: we are in the user namespace.)
      janitor.reset();
    }
    first = false;
    if (pid1.tty_master) ::fcntl(pid1.tty_master.get(), F_SETFL, O_NONBLOCK);

    DetachedIo io{.out_fd = tty ? -1 : out.read.get(),
                  .err_fd = tty ? -1 : err.read.get(),
                  .tty_master = pid1.tty_master.get(),
                  .stdin_fifo = stdin_fifo ? &*stdin_fifo : nullptr,
                  .stdin_pipe = in ? &in->write : nullptr,
                  .stdin_once = ccfg.value("StdinOnce", false)};
    code = supervise_detached(pid1.pid, io, log, health ? &*health : nullptr);
    if (health) health->container_exited();
    auto ran = std::chrono::steady_clock::now() - started;
    int restarts = containers.load_state(id).restart_count;
    bool by_user = path_exists(stopped_by_user_mark(dir));
    bool again = !auto_remove && should_restart(policy, code, restarts, by_user);
    bool oom_killed = process.oom_kills() > oom_kills_before;
    containers.update_state(id, [&](ContainerState& s) {
      s.status = again ? "restarting" : "exited";
      s.pid = 0;
      s.exit_code = code;
      s.oom_killed = oom_killed;
      s.finished_at = now_rfc3339();
    });
    if (!again) break;
    // The back-off sleeps in slices, so that a `tug stop` meanwhile ends it at once.
    auto until = std::chrono::steady_clock::now() + backoff.next(ran);
    while (std::chrono::steady_clock::now() < until && !path_exists(stopped_by_user_mark(dir)))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (path_exists(stopped_by_user_mark(dir))) {
      containers.update_state(id, [](ContainerState& s) { s.status = "exited"; });
      break;
    }
  }

  if (auto_remove) {
    ::umount2((dir + "/merged").c_str(), MNT_DETACH);
    std::string trash = containers.retire(id, created.config.value("Name", ""));
    if (janitor)
      janitor->delete_later(trash);
    else
      remove_tree(trash);
  }
  return code;
}

}  // namespace tug
