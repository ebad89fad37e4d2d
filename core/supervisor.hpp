// The foreground side of `tug run`: waits for the container's PID 1, forwards the signals
// tug receives to it, and proxies a pseudo-terminal between the user's terminal and the
// container when -t is given.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace tug {

/// Signals forwarded to the container (and SIGCHLD/SIGWINCH, which tug handles itself).
sigset_t supervised_signals();

/// Blocks supervised_signals() in the calling process; call before forking the container.
void block_supervised_signals();

/// Runs until `child` exits; returns its exit code, or 128+N when killed by signal N.
/// `tty_master` >= 0 enables the terminal proxy; `forward_stdin` copies our stdin into it.
int supervise_foreground(pid_t child, int tty_master, bool forward_stdin);

}  // namespace tug
