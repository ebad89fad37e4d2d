// `tug exec` (and `tug container exec`): docker's flags, parsed up to the container's name;
// everything after it is the command, never tug's flags.
#include <memory>

#include "cmd/cli.hpp"
#include "core/container_exec.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

void add_exec(CLI::App* cmd, const GlobalOptions& globals) {
  auto o = std::make_shared<ExecOptions>();
  cmd->prefix_command();
  cmd->add_flag("-i,--interactive", o->interactive, "Keep STDIN open even if not attached");
  cmd->add_flag("-t,--tty", o->tty, "Allocate a pseudo-TTY");
  cmd->add_flag("-d,--detach", o->detach, "Detached mode: run command in the background");
  cmd->add_option("-e,--env", o->env, "Set environment variables")->allow_extra_args(false);
  cmd->add_option("--env-file", o->env_files, "Read in a file of environment variables")
      ->allow_extra_args(false);
  cmd->add_option("-w,--workdir", o->workdir, "Working directory inside the container");
  cmd->add_option("-u,--user", o->user, "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
  cmd->add_flag("--privileged", o->privileged, "Give extended privileges to the command");
  cmd->callback([cmd, o, &globals] {
    auto rest = cmd->remaining();
    if (!rest.empty() && rest.front().size() > 1 && rest.front()[0] == '-')
      fail("unknown flag: {}\nSee 'tug exec --help'.", rest.front());
    if (rest.size() < 2) fail("\"exec\" requires at least 2 arguments.\nSee 'tug exec --help'.");
    o->container = rest.front();
    o->command.assign(rest.begin() + 1, rest.end());
    g_command_exit_code = exec_in_container(globals.paths(), *o);
  });
}

}  // namespace

void register_exec_commands(CLI::App& app, const GlobalOptions& globals) {
  add_exec(app.add_subcommand("exec", "Execute a command in a running container"), globals);
  // `tug container exec ...`: the group exists once the container commands are registered.
  try {
    if (CLI::App* container = app.get_subcommand("container"))
      add_exec(container->add_subcommand("exec", "Execute a command in a running container"), globals);
  } catch (const CLI::OptionNotFound&) {
  }
}

}  // namespace tug
