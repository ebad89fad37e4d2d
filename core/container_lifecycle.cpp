// stop, kill, wait, pause, unpause. Signals are sent from a forked child that joined the
// container's user namespace: PID 1 may run as an id of the user's subordinate range, which
// the user cannot signal from outside; the main process stays where it is.
#include "core/container_lifecycle.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "core/container_monitor.hpp"
#include "core/container_store.hpp"
#include "core/namespace_join.hpp"
#include "core/signal_names.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(10);

/// Runs `action` in a child inside the user namespace of `pid`; returns its exit status (0 ok).
int in_user_namespace_of(pid_t pid, const std::function<int()>& action) {
  std::fflush(stdout);
  pid_t child = ::fork();
  if (child < 0) fail_errno("fork");
  if (child == 0) {
    int code = 1;
    try {
      join_user_namespace_of(pid);
      code = action();
    } catch (const std::exception&) {
      code = 2;
    }
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/// PIDs of every process in the PID namespace whose init is `pid1`. Call inside its user
/// namespace: reading another id's ns links needs it.
std::vector<pid_t> processes_of(pid_t pid1) {
  std::vector<pid_t> out;
  struct stat ns {};
  if (::stat(fmt::format("/proc/{}/ns/pid", pid1).c_str(), &ns) != 0) return out;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) return out;
  while (dirent* e = ::readdir(proc.get())) {
    char* end;
    long p = std::strtol(e->d_name, &end, 10);
    if (*end || p <= 0) continue;
    struct stat st {};
    if (::stat(fmt::format("/proc/{}/ns/pid", p).c_str(), &st) == 0 && st.st_ino == ns.st_ino &&
        st.st_dev == ns.st_dev)
      out.push_back(static_cast<pid_t>(p));
  }
  return out;
}

/// Signals every process of the container (twice over, to catch those forked meanwhile).
void signal_all(pid_t pid1, int sig) {
  in_user_namespace_of(pid1, [&] {
    for (int round = 0; round < 2; ++round)
      for (pid_t p : processes_of(pid1)) ::kill(p, sig);
    return 0;
  });
}

void send_signal(pid_t pid1, int sig) {
  int rc = in_user_namespace_of(pid1, [&] { return ::kill(pid1, sig) == 0 ? 0 : 3; });
  if (rc != 0) fail("cannot send signal {} to process {}", sig, pid1);
}

bool wait_until_stopped(const ContainerStore& store, const std::string& id,
                        std::optional<Clock::time_point> deadline) {
  while (store.is_running(id)) {
    if (deadline && Clock::now() >= *deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

std::string short_id(const std::string& id) { return id.substr(0, 12); }

void mark_stopped_by_user(const ContainerStore& store, const std::string& id) {
  write_file_atomic(stopped_by_user_mark(store.dir(id)), "", 0644, false);
}

}  // namespace

void stop_container(const StorePaths& paths, const std::string& id, std::optional<int> timeout,
                    std::optional<int> signal) {
  ContainerStore store(paths);
  ContainerState state = store.live_state(id);
  if (!state.running()) return;
  Json cfg = store.load_config(id)["Config"];
  int sig = signal ? *signal : SIGTERM;
  if (!signal && !cfg.value("StopSignal", "").empty()) sig = parse_signal(cfg.value("StopSignal", ""));
  int seconds = timeout ? *timeout : cfg.value("StopTimeout", 10);
  mark_stopped_by_user(store, id);
  if (state.pid > 0) {
    try {
      send_signal(state.pid, sig);
      // A paused container must run to act on the signal.
      if (state.status == "paused") signal_all(state.pid, SIGCONT);
    } catch (const Error&) {
      // Exited meanwhile: what follows sees it.
    }
  }
  std::optional<Clock::time_point> deadline;
  if (seconds >= 0) deadline = Clock::now() + std::chrono::seconds(seconds);
  if (wait_until_stopped(store, id, deadline)) return;
  state = store.live_state(id);
  if (state.pid > 0) {
    try {
      send_signal(state.pid, SIGKILL);
    } catch (const Error&) {
    }
  }
  if (!wait_until_stopped(store, id, Clock::now() + std::chrono::seconds(30)))
    fail("container {} did not stop after SIGKILL", short_id(id));
}

void kill_container(const StorePaths& paths, const std::string& id, int signal) {
  ContainerStore store(paths);
  ContainerState state = store.live_state(id);
  if (!state.running() || state.pid <= 0)
    fail("cannot kill container: {}: container {} is not running", short_id(id), id);
  mark_stopped_by_user(store, id);
  send_signal(state.pid, signal);
  if (state.status == "paused" && signal != SIGKILL) signal_all(state.pid, SIGCONT);
}

int wait_container(const StorePaths& paths, const std::string& id) {
  ContainerStore store(paths);
  while (true) {
    ContainerState state = store.live_state(id);
    if (!state.running() && state.status != "created") return state.exit_code;
    if (state.status == "restarting") return state.exit_code;
    if (!path_exists(store.dir(id))) fail("No such container: {}", id);
    std::this_thread::sleep_for(kPollInterval);
  }
}

void pause_container(const StorePaths& paths, const std::string& id) {
  ContainerStore store(paths);
  ContainerState state = store.live_state(id);
  if (!state.running() || state.pid <= 0) fail("container {} is not running", id);
  if (state.status == "paused") fail("container {} is already paused", id);
  signal_all(state.pid, SIGSTOP);
  store.update_state(id, [](ContainerState& s) {
    if (s.status == "running") s.status = "paused";
  });
}

void unpause_container(const StorePaths& paths, const std::string& id) {
  ContainerStore store(paths);
  ContainerState state = store.live_state(id);
  if (state.status != "paused") fail("container {} is not paused", id);
  signal_all(state.pid, SIGCONT);
  store.update_state(id, [](ContainerState& s) {
    if (s.status == "paused") s.status = "running";
  });
}

}  // namespace tug
