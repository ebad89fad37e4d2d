// `tug run` in the foreground: create the container, prepare it in this process
// (container_process.cpp), spawn PID 1 and supervise it until it exits, with our own stdio.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <optional>

#include "core/container_network.hpp"
#include "core/container_process.hpp"
#include "core/json_log.hpp"
#include "core/supervisor.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

int run_container(const StorePaths& paths, const RunOptions& options) {
  ContainerStore containers(paths);
  SilentObserver silent;
  Image image = image_for_container(paths, options.image, options.pull, options.pull_options,
                                    options.pull_progress ? *options.pull_progress : silent);
  IdMapping mapping = detect_id_mapping();
  // The id mappers run while the container is created (as ourselves, outside the namespace).
  PendingUserNamespace userns(mapping, container_namespaces(options.network));
  CreatedContainer created = create_container(std::move(image), containers, options);
  const std::string& id = created.id;
  bool remove = options.remove;
  if (options.on_created) options.on_created(id);

  // From here on a failure removes an --rm container and leaves others as "created", as
  // docker does. The files go to the janitor: the caller gets the exit code without waiting
  // for their deletion.
  std::optional<BackgroundJanitor> janitor;
  struct Cleanup {
    ContainerStore& store;
    std::optional<BackgroundJanitor>& janitor;
    const std::string& id;
    std::string name;
    bool remove;
    ~Cleanup() {
      if (!remove) return;
      try {
        ::umount2((store.dir(id) + "/merged").c_str(), MNT_DETACH);
        std::string trash = store.retire(id, name);
        if (janitor)
          janitor->delete_later(trash);
        else
          remove_tree(trash);
      } catch (const Error&) {
      }
    }
  } cleanup{containers, janitor, id, created.config.value("Name", ""), remove};

  ContainerProcess process(paths, created, mapping);
  process.prepare(userns, janitor, remove);

  ContainerState state;
  state.monitor_pid = static_cast<int>(::getpid());
  // docker logs works for containers run in the foreground too, so their output goes through
  // us into the json-file log. A --rm container's log would be deleted with it: it keeps the
  // direct path (the container writes straight to our stdout), which is what start latency
  // and throughput are measured on.
  std::optional<JsonLogWriter> log;
  if (!remove) {
    UniqueFd log_fd(::open(json_log_path(containers.dir(id), id).c_str(),
                           O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!log_fd) fail_errno("open the container's log");
    log.emplace(std::move(log_fd));
  }
  SpawnedPid1 pid1;
  TerminalShield shield;
  try {
    if (!options.tty) shield = TerminalShield::for_caller(options.interactive, log.has_value());
    ContainerStdio stdio{.stdin_fd = shield.child_fd(STDIN_FILENO, options.interactive ? STDIN_FILENO : -1),
                         .stdout_fd = shield.child_fd(STDOUT_FILENO, -1),
                         .stderr_fd = shield.child_fd(STDERR_FILENO, -1),
                         .tty = options.tty};
    // The size is set before the command starts: a program asking for it at once gets it.
    struct winsize ws {};
    if (options.tty &&
        (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)) {
      stdio.tty_rows = ws.ws_row;
      stdio.tty_cols = ws.ws_col;
    }
    pid1 = process.spawn(stdio);
  } catch (const Error& e) {
    state.status = "exited";
    state.exit_code = e.exit_code();
    state.error = e.what();
    state.started_at = state.finished_at = now_rfc3339();
    if (!remove) containers.save_state(id, state, true);
    throw;
  }
  state.status = "running";
  state.pid = pid1.pid;
  state.started_at = now_rfc3339();
  containers.save_state(id, state, !remove);

  shield.close_child_ends();
  int code = supervise_foreground(pid1.pid, pid1.tty_master.get(), options.interactive, &shield,
                                  log ? &*log : nullptr);
  state.status = "exited";
  state.exit_code = code;
  state.oom_killed = process.oom_kills() > 0;
  state.pid = 0;
  state.finished_at = now_rfc3339();
  if (!remove) containers.save_state(id, state, true);
  return code;
}

}  // namespace tug
