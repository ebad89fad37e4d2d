// A RUN step: a forked child runs the container in the foreground (run_container enters the
// container's namespaces in the process that calls it, so the builder itself must stay out),
// tells us its ID through a pipe, and exits with the command's code. The builder then commits
// the container's changes and removes it, each from a child of its own for the same reason.
#include "core/build/run_step.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "core/container_commands.hpp"
#include "core/container_commit.hpp"
#include "core/container_fs_child.hpp"
#include "core/container_run.hpp"
#include "core/container_store.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug::build {

namespace {

void remove_container(const StorePaths& paths, const std::string& id) {
  ChildTask child([&](ChildTask::Channel&) { remove_containers(paths, {id}, true, true); });
  child.wait();
}

}  // namespace

RunResult run_build_step(const StorePaths& paths, const RunStep& step, std::optional<FileLock>& store_lock,
                         const std::function<void(const std::string&)>& announce) {
  RunOptions o;
  o.image = step.image_id;
  o.command = step.argv;
  o.entrypoint = std::string();
  o.env = step.env;
  o.workdir = step.workdir;
  o.user = step.user;
  o.pull = PullPolicy::kNever;
  o.network = step.network;
  o.volumes = step.volumes;
  o.tmpfs = step.tmpfs;
  o.name = "tug-build-" + ContainerStore::new_id().substr(0, 12);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd id_read(fds[0]), id_write(fds[1]);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) fail_errno("fork");
  if (pid == 0) {
    id_read.reset();
    int code = 125;
    try {
      int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      ::dup2(null, STDIN_FILENO);
      if (step.quiet) {
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
      }
      o.on_created = [&](const std::string& id) {
        (void)!::write(id_write.get(), id.data(), id.size());
        id_write.reset();
      };
      code = run_container(paths, o);
    } catch (const Error& e) {
      std::fprintf(stderr, "tug: %s\n", e.what());
      code = e.exit_code();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tug: %s\n", e.what());
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  id_write.reset();
  RunResult result;
  char buf[64];
  std::string id;
  ssize_t n;
  while ((n = ::read(id_read.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    id.append(buf, static_cast<size_t>(n));
  }
  if (!id.empty()) {
    result.container_id = id.substr(0, 12);
    announce(result.container_id);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (id.empty()) {
    if (result.exit_code == 0) result.exit_code = 125;
    return result;
  }
  try {
    if (result.exit_code == 0) result.layer = commit_container_layer(paths, id, store_lock, step.mtime);
  } catch (...) {
    remove_container(paths, id);
    throw;
  }
  remove_container(paths, id);
  return result;
}

}  // namespace tug::build
