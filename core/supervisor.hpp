// The foreground side of `tug run`: waits for the container's PID 1, forwards the signals
// tug receives to it, and proxies a pseudo-terminal between the user's terminal and the
// container when -t is given.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "core/json_log.hpp"
#include "util/fd.hpp"

namespace tug {

/// Signals forwarded to the container (and SIGCHLD/SIGWINCH, which tug handles itself).
sigset_t supervised_signals();

/// Blocks supervised_signals() in the calling process; call before forking the container.
void block_supervised_signals();

/// Pipes that stand in for the caller's terminal when a container runs without -t: docker never
/// hands a container the caller's tty (the program would see a terminal it was not given, and
/// could push keystrokes into it with TIOCSTI). Only the streams that are ttys get a pipe; the
/// others go to the container as they are, at no cost.
struct TerminalShield {
  UniqueFd stdin_child, stdin_relay;    ///< the container reads stdin_child; we write the relay
  UniqueFd stdout_child, stdout_relay;  ///< the container writes *_child; we copy the relay out
  UniqueFd stderr_child, stderr_relay;

  /// Pipes for those of our fds 0, 1, 2 that are terminals (stdin only when `interactive`);
  /// with `capture_output`, for stdout and stderr whatever they are (to log what goes through).
  static TerminalShield for_caller(bool interactive, bool capture_output = false);
  /// The fd the container gets for stream `fd` (0, 1, 2): the pipe's end, or `otherwise`.
  int child_fd(int fd, int otherwise) const;
  /// After the container process started: our copies of its ends go.
  void close_child_ends();
};

/// Runs until `child` exits; returns its exit code, or 128+N when killed by signal N.
/// `tty_master` >= 0 enables the terminal proxy; `forward_stdin` copies our stdin into it (or
/// into the shield's stdin pipe); `shield`'s output pipes are copied to our stdout and stderr,
/// and what the container prints (pipes or pty) into `log` when given.
int supervise_foreground(pid_t child, int tty_master, bool forward_stdin, TerminalShield* shield = nullptr,
                         JsonLogWriter* log = nullptr);

}  // namespace tug
