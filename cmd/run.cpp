// `tug run` and `tug create`: docker's flags, parsed up to the image name; everything after it is the
// container's command, never tug's flags.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "cmd/cli.hpp"
#include "cmd/transfer_printer.hpp"
#include "core/container_detach.hpp"
#include "core/container_network.hpp"
#include "core/container_run.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

namespace {

/// What run and create share: docker's container flags, and the command after the image.
struct ContainerFlags {
  RunOptions options;
  std::string entrypoint;
  std::string pull = "missing";
  std::string platform;
  int stop_timeout = 0;
  int health_retries = 0;
  std::unique_ptr<TransferPrinter> pull_printer;
};

void add_container_flags(CLI::App* cmd, ContainerFlags& f) {
  RunOptions& o = f.options;
  cmd->prefix_command();
  cmd->set_help_flag("--help", "Print usage");  // -h is --hostname, as in docker
  cmd->add_flag("--rm", o.remove, "Remove the container when it exits");
  cmd->add_flag("-i,--interactive", o.interactive, "Keep STDIN open");
  cmd->add_flag("-t,--tty", o.tty, "Allocate a pseudo-TTY");
  cmd->add_option("-e,--env", o.env, "Set environment variables")->allow_extra_args(false);
  cmd->add_option("--env-file", o.env_files, "Read environment variables from a file")
      ->allow_extra_args(false);
  cmd->add_option("-w,--workdir", o.workdir, "Working directory inside the container");
  cmd->add_option("-u,--user", o.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  cmd->add_option("--entrypoint", f.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  cmd->add_option("-h,--hostname", o.hostname, "Container host name");
  cmd->add_option("--name", o.name, "Assign a name to the container");
  cmd->add_flag("--read-only", o.read_only, "Mount the container's root filesystem as read only");
  cmd->add_flag("--privileged", o.privileged, "Give extended privileges to this container");
  cmd->add_option("-v,--volume", o.volumes, "Bind mount a volume")->allow_extra_args(false);
  cmd->add_option("--tmpfs", o.tmpfs, "Mount a tmpfs directory")->allow_extra_args(false);
  cmd->add_option("--cap-add", o.cap_add, "Add Linux capabilities")->allow_extra_args(false);
  cmd->add_option("--cap-drop", o.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
  cmd->add_option("--security-opt", o.security_opts, "Security Options")->allow_extra_args(false);
  cmd->add_option("-l,--label", o.labels, "Set meta data on a container")->allow_extra_args(false);
  cmd->add_option("-p,--publish", o.publish, "Publish a container's port(s) to the host")
      ->allow_extra_args(false);
  cmd->add_flag("-P,--publish-all", o.publish_all, "Publish all exposed ports to random ports");
  cmd->add_option("--expose", o.expose, "Expose a port or a range of ports")->allow_extra_args(false);
  cmd->add_option("--network,--net", o.network, "Connect a container to a network (none, host)");
  cmd->add_option("--add-host", o.add_hosts, "Add a custom host-to-IP mapping (host:ip)")
      ->allow_extra_args(false);
  cmd->add_option("--dns", o.dns, "Set custom DNS servers")->allow_extra_args(false);
  cmd->add_option("--dns-option", o.dns_options, "Set DNS options")->allow_extra_args(false);
  cmd->add_option("--dns-search", o.dns_search, "Set custom DNS search domains")->allow_extra_args(false);
  cmd->add_option("--pull", f.pull, "Pull image before running (\"always\", \"missing\", \"never\")");
  cmd->add_option("--platform", f.platform, "Set platform if server is multi-platform capable");
  cmd->add_option("--restart", o.restart, "Restart policy to apply when a container exits");
  cmd->add_option("--stop-signal", o.stop_signal, "Signal to stop the container");
  cmd->add_option("--stop-timeout", f.stop_timeout, "Timeout (in seconds) to stop a container");
  cmd->add_flag("--init", o.init,
                "Run an init inside the container that forwards signals and reaps processes");
  cmd->add_option("-m,--memory", o.memory, "Memory limit");
  cmd->add_option("--memory-swap", o.memory_swap,
                  "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
  cmd->add_option("--cidfile", o.cidfile, "Write the container ID to the file");
  cmd->add_option("--health-cmd", o.health.cmd, "Command to run to check health");
  cmd->add_option("--health-interval", o.health.interval, "Time between running the check (ms|s|m|h)");
  cmd->add_option("--health-timeout", o.health.timeout, "Maximum time to allow one check to run (ms|s|m|h)");
  cmd->add_option("--health-start-period", o.health.start_period,
                  "Start period for the container to initialize before starting health-retries countdown");
  cmd->add_option("--health-retries", f.health_retries, "Consecutive failures needed to report unhealthy");
  cmd->add_flag("--no-healthcheck", o.health.disabled, "Disable any container-specified HEALTHCHECK");
}

/// Completes the options from what follows the flags: IMAGE [COMMAND [ARG...]].
void finish_container_flags(CLI::App* cmd, ContainerFlags& f, const char* name) {
  auto rest = cmd->remaining();
  if (rest.empty()) fail("\"{}\" requires at least 1 argument.\nSee 'tug {} --help'.", name, name);
  if (rest.front().size() > 1 && rest.front()[0] == '-')
    fail("unknown flag: {}\nSee 'tug {} --help'.", rest.front(), name);
  RunOptions& o = f.options;
  o.image = rest.front();
  o.command.assign(rest.begin() + 1, rest.end());
  if (cmd->count("--entrypoint")) o.entrypoint = f.entrypoint;
  if (cmd->count("--stop-timeout")) o.stop_timeout = f.stop_timeout;
  if (cmd->count("--health-retries")) o.health.retries = f.health_retries;
  // docker's CLI checks these before anything else happens; its warnings come first too.
  for (const auto& warning : container_network(o).warnings) std::fprintf(stderr, "%s\n", warning.c_str());
  o.pull = parse_pull_policy(f.pull);
  o.pull_options = pull_options_from_env();
  o.pull_options.platform = f.platform;
  // An implicit pull reports on stderr: stdout is the container's.
  f.pull_printer = std::make_unique<TransferPrinter>(stderr);
  o.pull_progress = f.pull_printer.get();
}

/// --cidfile: docker refuses a file that exists (a stale one from an earlier run).
void write_cidfile(const std::string& path, const std::string& id) {
  if (path.empty()) return;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      fail("container ID file found, make sure the other container isn't running or delete {}", path);
    fail_errno("write the container ID file {}", path);
  }
  UniqueFd owned(fd);
  if (::write(fd, id.data(), id.size()) != static_cast<ssize_t>(id.size())) fail_errno("write {}", path);
}

}  // namespace

void register_run_commands(CLI::App& app, const GlobalOptions& globals) {
  auto f = std::make_shared<ContainerFlags>();
  auto run = app.add_subcommand("run", "Create and run a new container from an image");
  run->alias("container-run");
  add_container_flags(run, *f);
  run->add_flag("-d,--detach", f->options.detach, "Run container in background and print container ID");
  run->callback([run, f, &globals] {
    finish_container_flags(run, *f, "run");
    RunOptions& o = f->options;
    if (o.detach) {
      if (o.remove && !o.restart.empty() && o.restart != "no")
        fail("Conflicting options: --restart and --rm");
      std::string id = run_detached(globals.paths(), o);
      write_cidfile(o.cidfile, id);
      std::printf("%s\n", id.c_str());
      return;
    }
    g_command_exit_code = run_container(globals.paths(), o);
  });
}

void register_create_commands(CLI::App& app, const GlobalOptions& globals) {
  auto f = std::make_shared<ContainerFlags>();
  auto create = app.add_subcommand("create", "Create a new container");
  add_container_flags(create, *f);
  create->callback([create, f, &globals] {
    finish_container_flags(create, *f, "create");
    std::string id = create_container_only(globals.paths(), f->options);
    write_cidfile(f->options.cidfile, id);
    std::printf("%s\n", id.c_str());
  });
}

}  // namespace tug
