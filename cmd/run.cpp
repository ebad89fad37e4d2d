// `tug run`: docker's flags, parsed up to the image name; everything after it is the
// container's command, never tug's flags.
#include "cmd/cli.hpp"
#include "core/container_run.hpp"
#include "util/error.hpp"

namespace tug {

void register_run_commands(CLI::App& app, const GlobalOptions& globals) {
  auto opts = std::make_shared<RunOptions>();
  auto entrypoint = std::make_shared<std::string>();
  auto run = app.add_subcommand("run", "Create and run a new container from an image");
  run->alias("container-run");
  run->prefix_command();
  run->set_help_flag("--help", "Print usage");  // -h is --hostname, as in docker
  run->add_flag("--rm", opts->remove, "Remove the container when it exits");
  run->add_flag("-i,--interactive", opts->interactive, "Keep STDIN open");
  run->add_flag("-t,--tty", opts->tty, "Allocate a pseudo-TTY");
  run->add_option("-e,--env", opts->env, "Set environment variables")->allow_extra_args(false);
  run->add_option("--env-file", opts->env_files, "Read environment variables from a file")
      ->allow_extra_args(false);
  run->add_option("-w,--workdir", opts->workdir, "Working directory inside the container");
  run->add_option("-u,--user", opts->user, "Username or UID (format: <name|uid>[:<group|gid>])");
  run->add_option("--entrypoint", *entrypoint, "Overwrite the default ENTRYPOINT of the image");
  run->add_option("-h,--hostname", opts->hostname, "Container host name");
  run->add_option("--name", opts->name, "Assign a name to the container");
  run->add_flag("--read-only", opts->read_only, "Mount the container's root filesystem as read only");
  run->add_flag("--privileged", opts->privileged, "Give extended privileges to this container");
  run->add_option("-v,--volume", opts->volumes, "Bind mount a volume")->allow_extra_args(false);
  run->add_option("--tmpfs", opts->tmpfs, "Mount a tmpfs directory")->allow_extra_args(false);
  run->add_option("--cap-add", opts->cap_add, "Add Linux capabilities")->allow_extra_args(false);
  run->add_option("--cap-drop", opts->cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
  run->add_option("--security-opt", opts->security_opts, "Security Options")->allow_extra_args(false);
  run->add_option("-l,--label", opts->labels, "Set meta data on a container")->allow_extra_args(false);
  run->callback([run, opts, entrypoint, &globals] {
    auto rest = run->remaining();
    if (rest.empty()) fail("\"run\" requires at least 1 argument.\nSee 'tug run --help'.");
    if (rest.front().size() > 1 && rest.front()[0] == '-')
      fail("unknown flag: {}\nSee 'tug run --help'.", rest.front());
    opts->image = rest.front();
    opts->command.assign(rest.begin() + 1, rest.end());
    if (run->count("--entrypoint")) opts->entrypoint = *entrypoint;
    g_command_exit_code = run_container(globals.paths(), *opts);
  });
}

}  // namespace tug
