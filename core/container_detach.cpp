// Forking the monitor of a detached container and waiting for its word. The monitor is a
// session leader with /dev/null for stdio and no fd of the caller's: `$(tug run -d ...)`
// returns as soon as the ID is printed, and no terminal signal reaches the container.
#include "core/container_detach.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

#include "core/container_monitor.hpp"
#include "core/container_network.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

/// Reports an error from the monitor to the waiting command: "E <exit code>\n<message>".
void report_failure(int ready_fd, const std::string& message, int code) {
  std::string text = fmt::format("E {}\n{}", code, message);
  (void)!::write(ready_fd, text.data(), text.size());
}

/// Forks the monitor, which runs `body(ready_fd)`; returns once the monitor said the container
/// runs (or throws what it reported).
void launch_monitor(const std::function<void(int ready_fd)>& body) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd ready_read(fds[0]), ready_write(fds[1]);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t monitor = ::fork();
  if (monitor < 0) fail_errno("fork the container's monitor");
  if (monitor == 0) {
    ready_read.reset();
    int code = 0;
    int ready = ready_write.get();
    try {
      ::setsid();
      // The command waiting for us may be killed at any moment (kill -9; ^C cannot reach us in
      // our own session): our reports to it (the ID, "OK") then go to a pipe nobody reads, and
      // must fail with EPIPE rather than kill us with SIGPIPE, which would take the container
      // down half-created or just started. Blocked, not ignored: an ignored signal would stay
      // ignored across exec, and every child clears its mask before it execs (container_child).
      sigset_t pipe_signal;
      sigemptyset(&pipe_signal);
      sigaddset(&pipe_signal, SIGPIPE);
      ::sigprocmask(SIG_BLOCK, &pipe_signal, nullptr);
      if (::chdir("/") != 0) fail_errno("chdir /");
      int null = ::open("/dev/null", O_RDWR);
      if (null < 0) fail_errno("open /dev/null");
      for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
      if (null > 2) ::close(null);
      body(ready);
    } catch (const Error& e) {
      report_failure(ready, e.what(), e.exit_code());
      code = e.exit_code();
    } catch (const std::exception& e) {
      report_failure(ready, e.what(), kExitToolError);
      code = kExitToolError;
    }
    ::_exit(code);
  }
  ready_write.reset();
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(ready_read.get(), buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("read from the container's monitor");
    }
    answer.append(buf, static_cast<size_t>(n));
  }
  if (answer.starts_with("OK")) {
    std::fputs(answer.substr(answer.find('\n') + 1).c_str(), stderr);
    return;
  }
  if (answer.starts_with("E ")) {
    size_t nl = answer.find('\n');
    int code = kExitToolError;
    try {
      code = std::stoi(answer.substr(2, nl - 2));
    } catch (const std::exception&) {
    }
    throw Error(nl == std::string::npos ? "the container's monitor failed" : answer.substr(nl + 1), code);
  }
  // Nothing said: the monitor died before the container ran (killed, or out of memory).
  int status = 0;
  ::waitpid(monitor, &status, 0);
  fail("the container's monitor exited before the container started");
}

}  // namespace

std::string run_detached(const StorePaths& paths, const RunOptions& options) {
  SilentObserver silent;
  // The pull happens here, where its progress can be seen.
  Image image = image_for_container(paths, options.image, options.pull, options.pull_options,
                                    options.pull_progress ? *options.pull_progress : silent);
  std::string id_out;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd id_read(fds[0]), id_write(fds[1]);
  launch_monitor([&](int ready_fd) {
    id_read.reset();
    ContainerStore containers(paths);
    IdMapping mapping = detect_id_mapping();
    PendingUserNamespace userns(mapping, container_namespaces(options.network));
    CreatedContainer created = create_container(std::move(image), containers, options);
    (void)!::write(id_write.get(), created.id.data(), created.id.size());
    id_write.reset();
    monitor_container(paths, created, mapping, userns, ready_fd);
  });
  id_write.reset();
  char buf[65];
  ssize_t n = ::read(id_read.get(), buf, 64);
  if (n != 64) fail("the container's monitor did not report the container's ID");
  return std::string(buf, 64);
}

void start_container(const StorePaths& paths, const std::string& id) {
  ContainerStore containers(paths);
  if (containers.is_running(id)) return;
  launch_monitor([&](int ready_fd) {
    FileLock lock = FileLock::try_lock(containers.lock_path(id), FileLock::Mode::kExclusive, false);
    if (!lock.held()) {
      // Started meanwhile by someone else: docker's start of a running container succeeds.
      if (containers.is_running(id)) {
        (void)!::write(ready_fd, "OK\n", 3);
        return;
      }
      fail("No such container: {}", id);
    }
    Json config = containers.load_config(id);
    ImageStore images(paths);
    std::optional<Image> image = images.find(config.value("Image", ""));
    if (!image) fail("the image {} of container {} is gone", config.value("Image", ""), id.substr(0, 12));
    ::unlink(stopped_by_user_mark(containers.dir(id)).c_str());
    CreatedContainer created{id, std::move(config), std::move(*image), std::move(lock)};
    IdMapping mapping = detect_id_mapping();
    PendingUserNamespace userns(
        mapping, container_namespaces(created.config["HostConfig"].value("NetworkMode", "none")));
    monitor_container(paths, created, mapping, userns, ready_fd);
  });
}

}  // namespace tug
