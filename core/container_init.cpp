// tini's loop without tini: signals are blocked and taken synchronously (no handler runs), so a
// signal is either SIGCHLD (reap everything, and leave once the command is among the dead) or
// one to pass on. PID 1 of a namespace only receives signals it handles or blocks, which is why
// the mask covers them all. When PID 1 exits the kernel kills the rest of the namespace.
#include "core/container_init.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tug {

namespace {

constexpr size_t kKernelSigsetSize = sizeof(unsigned long);

int exit_status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

void run_container_init(pid_t command_pid) {
  sigset_t all;
  sigfillset(&all);
  while (true) {
    siginfo_t info;
    long sig = ::syscall(SYS_rt_sigtimedwait, &all, &info, nullptr, kKernelSigsetSize);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      ::syscall(SYS_kill, command_pid, sig);
      continue;
    }
    while (true) {
      int status = 0;
      long pid = ::syscall(SYS_wait4, -1, &status, WNOHANG, nullptr);
      if (pid <= 0) break;
      if (pid == command_pid) ::syscall(SYS_exit_group, exit_status_code(status));
    }
  }
}

}  // namespace tug
