// Container lifecycle commands: start, stop, kill, restart, wait, pause, unpause. Each acts on
// every container named, prints what docker prints for each success, and reports the failures
// together at the end (exit 125).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>

#include "cmd/cli.hpp"
#include "core/container_attach.hpp"
#include "core/container_detach.hpp"
#include "core/container_lifecycle.hpp"
#include "core/container_store.hpp"
#include "core/json_log.hpp"
#include "core/signal_names.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

/// Runs `action` for each name; prints the name after each success (`print_name`), then throws
/// all errors as one.
void for_each_container(const GlobalOptions& globals, const std::vector<std::string>& names, bool print_name,
                        const std::function<void(const StorePaths&, const std::string& id)>& action) {
  StorePaths paths = globals.paths();
  ContainerStore store(paths);
  std::string errors;
  for (const auto& name : names) {
    try {
      action(paths, store.resolve(name));
      if (print_name) std::printf("%s\n", name.c_str());
      std::fflush(stdout);
    } catch (const Error& e) {
      if (!errors.empty()) errors += "\ntug: ";
      errors += e.what();
    }
  }
  if (!errors.empty()) throw Error(errors);
}

struct NamesFlags {
  std::vector<std::string> names;
  int timeout = 0;
  std::string signal;
  bool attach = false, interactive = false, no_stdin = false;
  std::string sig_proxy = "true";
};

void add_start(CLI::App* cmd, const GlobalOptions& globals) {
  auto f = std::make_shared<NamesFlags>();
  cmd->add_flag("-a,--attach", f->attach, "Attach STDOUT/STDERR and forward signals");
  cmd->add_flag("-i,--interactive", f->interactive, "Attach container's STDIN");
  cmd->add_option("container", f->names, "Containers to start")->required();
  cmd->callback([f, &globals] {
    if (f->attach && f->names.size() > 1) fail("you cannot start and attach multiple containers at once");
    if (f->interactive) f->attach = true;  // docker: -i attaches the output too
    if (!f->attach) {
      for_each_container(globals, f->names, true,
                         [](const StorePaths& paths, const std::string& id) { start_container(paths, id); });
      return;
    }
    // -a: the output of this run (entries from now on) until the container stops, then its
    // exit code as ours.
    StorePaths paths = globals.paths();
    std::string id = ContainerStore(paths).resolve(f->names.front());
    LogReadOptions read;
    read.since = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
    start_container(paths, id);
    g_command_exit_code = attach_container(paths, id, f->interactive, read);
  });
}

void add_stop(CLI::App* cmd, const GlobalOptions& globals, bool restart) {
  auto f = std::make_shared<NamesFlags>();
  cmd->add_option("-t,--time", f->timeout, "Seconds to wait before killing the container");
  if (!restart) cmd->add_option("-s,--signal", f->signal, "Signal to send to the container");
  cmd->add_option("container", f->names, "Containers")->required();
  cmd->callback([cmd, f, &globals, restart] {
    std::optional<int> timeout;
    if (cmd->count("--time")) timeout = f->timeout;
    std::optional<int> signal;
    if (!f->signal.empty()) signal = parse_signal(f->signal);
    for_each_container(globals, f->names, true, [&](const StorePaths& paths, const std::string& id) {
      stop_container(paths, id, timeout, signal);
      if (restart) start_container(paths, id);
    });
  });
}

void add_kill(CLI::App* cmd, const GlobalOptions& globals) {
  auto f = std::make_shared<NamesFlags>();
  f->signal = "KILL";
  cmd->add_option("-s,--signal", f->signal, "Signal to send to the container");
  cmd->add_option("container", f->names, "Containers to kill")->required();
  cmd->callback([f, &globals] {
    int signal = parse_signal(f->signal);
    for_each_container(globals, f->names, true, [&](const StorePaths& paths, const std::string& id) {
      kill_container(paths, id, signal);
    });
  });
}

void add_wait(CLI::App* cmd, const GlobalOptions& globals) {
  auto f = std::make_shared<NamesFlags>();
  cmd->add_option("container", f->names, "Containers to wait for")->required();
  cmd->callback([f, &globals] {
    for_each_container(globals, f->names, false, [](const StorePaths& paths, const std::string& id) {
      std::printf("%d\n", wait_container(paths, id));
    });
  });
}

void add_pause(CLI::App* cmd, const GlobalOptions& globals, bool pause) {
  auto f = std::make_shared<NamesFlags>();
  cmd->add_option("container", f->names, "Containers")->required();
  cmd->callback([f, &globals, pause] {
    for_each_container(globals, f->names, true, [pause](const StorePaths& paths, const std::string& id) {
      if (pause)
        pause_container(paths, id);
      else
        unpause_container(paths, id);
    });
  });
}

void add_attach(CLI::App* cmd, const GlobalOptions& globals) {
  auto f = std::make_shared<NamesFlags>();
  cmd->add_flag("--no-stdin", f->no_stdin, "Do not attach STDIN");
  cmd->add_option("--sig-proxy", f->sig_proxy, "Proxy all received signals to the process");
  cmd->add_option("container", f->names, "Container")->required()->expected(1);
  cmd->callback([f, &globals] {
    StorePaths paths = globals.paths();
    std::string id = ContainerStore(paths).resolve(f->names.front());
    if (!ContainerStore(paths).live_state(id).running())
      fail("You cannot attach to a stopped container, start it first");
    LogReadOptions read;
    read.from_end = true;
    g_command_exit_code = attach_container(paths, id, !f->no_stdin, read);
  });
}

void add_all(CLI::App& parent, const GlobalOptions& globals) {
  add_start(parent.add_subcommand("start", "Start one or more stopped containers"), globals);
  add_stop(parent.add_subcommand("stop", "Stop one or more running containers"), globals, false);
  add_stop(parent.add_subcommand("restart", "Restart one or more containers"), globals, true);
  add_kill(parent.add_subcommand("kill", "Kill one or more running containers"), globals);
  add_wait(
      parent.add_subcommand("wait", "Block until one or more containers stop, then print their exit codes"),
      globals);
  add_attach(parent.add_subcommand(
                 "attach", "Attach local standard input, output, and error streams to a running container"),
             globals);
  add_pause(parent.add_subcommand("pause", "Pause all processes within one or more containers"), globals,
            true);
  add_pause(parent.add_subcommand("unpause", "Unpause all processes within one or more containers"), globals,
            false);
}

}  // namespace

void register_lifecycle_commands(CLI::App& app, const GlobalOptions& globals) {
  add_all(app, globals);
  // `tug container start ...`: the group exists once the container commands are registered.
  try {
    if (CLI::App* container = app.get_subcommand("container")) add_all(*container, globals);
  } catch (const CLI::OptionNotFound&) {
  }
}

}  // namespace tug
