// The probe is a fork of the monitor that calls exec_in_container, exactly the code of
// `tug exec`; its stdout and stderr go into one pipe the monitor reads (docker keeps both,
// merged, at most 4 KiB). The forked child dies with the monitor (PDEATHSIG), and the process
// it starts in the container dies with the child, so a timeout or a killed monitor leaves no
// probe behind.
#include "core/health_probe.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "core/container_exec.hpp"
#include "core/container_store.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

std::string timeout_text(int64_t ns) {
  // Go's time.Duration.String() for whole seconds and milliseconds, the common cases.
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0 && ns < 1'000'000'000) return fmt::format("{}ms", ns / 1'000'000);
  return fmt::format("{}s", static_cast<double>(ns) / 1e9);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

HealthChecker::HealthChecker(const StorePaths& paths, std::string id, HealthSettings settings)
    : paths_(paths), id_(std::move(id)), settings_(std::move(settings)) {}

HealthChecker::~HealthChecker() { container_exited(); }

void HealthChecker::container_started() {
  active_ = true;
  started_ = Clock::now();
  next_probe_ = started_ + std::chrono::nanoseconds(settings_.interval_ns);
  ContainerStore(paths_).update_state(id_, [](ContainerState& s) { s.health = starting_health(); });
}

void HealthChecker::container_exited() {
  active_ = false;
  if (probe_pid_ > 0) {
    ::kill(probe_pid_, SIGKILL);
    ::waitpid(probe_pid_, nullptr, 0);
    probe_pid_ = -1;
  }
  output_.reset();
}

int HealthChecker::poll_timeout_ms() const {
  if (!active_) return -1;
  Clock::time_point due = probe_pid_ > 0 && !probe_timed_out_
                              ? probe_started_ + std::chrono::nanoseconds(settings_.timeout_ns)
                              : next_probe_;
  if (probe_pid_ > 0 && probe_timed_out_) return -1;  // waiting for the killed probe's exit
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now()).count() + 1;
  return ms < 0 ? 0 : static_cast<int>(std::min<int64_t>(ms, 60'000));
}

void HealthChecker::tick() {
  if (!active_) return;
  auto now = Clock::now();
  if (probe_pid_ > 0) {
    if (!probe_timed_out_ && now >= probe_started_ + std::chrono::nanoseconds(settings_.timeout_ns)) {
      probe_timed_out_ = true;
      ::kill(probe_pid_, SIGKILL);
    }
    return;
  }
  if (now >= next_probe_) start_probe();
}

void HealthChecker::start_probe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no probe this round; the next interval retries
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) return;
  if (pid == 0) {
    // A fork of the single-threaded monitor: ordinary code is safe here, and _exit keeps the
    // monitor's objects (its lock, its log) from being torn down twice.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() == 1) ::_exit(125);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    ::dup2(write_end.get(), STDOUT_FILENO);
    ::dup2(write_end.get(), STDERR_FILENO);
    int code;
    try {
      ExecOptions o;
      o.container = id_;
      o.command = settings_.argv;
      code = exec_in_container(paths_, o);
    } catch (const Error& e) {
      std::fprintf(stderr, "%s\n", e.what());
      code = e.exit_code();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      code = 125;
    }
    std::fflush(stderr);
    ::_exit(code);
  }
  probe_pid_ = pid;
  probe_started_ = Clock::now();
  probe_start_text_ = now_rfc3339();
  probe_timed_out_ = false;
  probe_output_.clear();
  ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
  output_ = std::move(read_end);
}

void HealthChecker::read_output() {
  if (!output_) return;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(output_.get(), buf, sizeof buf);
    if (n > 0) {
      size_t room = kMaxProbeOutput - std::min(kMaxProbeOutput, probe_output_.size());
      probe_output_.append(buf, std::min(room, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) output_.reset();  // every writer closed: the probe's processes are gone
    return;
  }
}

bool HealthChecker::reaped(pid_t pid, int wait_status) {
  if (pid != probe_pid_ || probe_pid_ <= 0) return false;
  probe_pid_ = -1;
  read_output();
  output_.reset();
  if (probe_timed_out_)
    finish_probe(-1, fmt::format("Health check exceeded timeout ({})", timeout_text(settings_.timeout_ns)));
  else
    finish_probe(exit_code_of(wait_status), std::move(probe_output_));
  return true;
}

void HealthChecker::finish_probe(int exit_code, std::string output) {
  next_probe_ = Clock::now() + std::chrono::nanoseconds(settings_.interval_ns);
  if (!active_) return;
  ProbeResult result{probe_start_text_, now_rfc3339(), exit_code, std::move(output)};
  bool within_start = Clock::now() - started_ < std::chrono::nanoseconds(settings_.start_period_ns);
  ContainerStore(paths_).update_state(
      id_, [&](ContainerState& s) { record_probe(s.health, result, within_start, settings_.retries); });
}

}  // namespace tug
