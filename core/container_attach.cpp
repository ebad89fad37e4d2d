// Output comes from the json-file log rather than from the monitor directly: the monitor has no
// socket to serve clients, and the log is what docker's attach replays anyway. Input goes
// through the FIFO the monitor reads (container_stdin.hpp), written by a forked feeder so that
// the log can be followed at the same time by this single-threaded process.
#include "core/container_attach.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "core/container_lifecycle.hpp"
#include "core/container_stdin.hpp"
#include "core/container_store.hpp"

namespace tug {

namespace {

/// Copies our stdin into the FIFO until end of input, in a child; returns its pid (or -1).
pid_t start_stdin_feeder(int fifo) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(0);
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(fifo, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) ::_exit(0);  // the monitor is gone: the container stopped
      done += w;
    }
  }
}

}  // namespace

int attach_container(const StorePaths& paths, const std::string& id, bool with_stdin, LogReadOptions read) {
  ContainerStore store(paths);
  if (read.from_end) {
    // Where the output of our input will start: taken before the input goes in, so that a
    // quick answer is not mistaken for old output.
    struct stat st;
    read.start_offset = ::stat(json_log_path(store.dir(id), id).c_str(), &st) == 0 ? st.st_size : 0;
  }
  pid_t feeder = -1;
  if (with_stdin) {
    UniqueFd fifo = open_container_stdin(store.dir(id));
    if (fifo) feeder = start_stdin_feeder(fifo.get());
  }
  read.follow = true;
  stream_container_logs(paths, id, read, STDOUT_FILENO, STDERR_FILENO);
  if (feeder > 0) {
    ::kill(feeder, SIGKILL);
    ::waitpid(feeder, nullptr, 0);
  }
  return wait_container(paths, id);
}

}  // namespace tug
