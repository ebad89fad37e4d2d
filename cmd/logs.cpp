// Container commands: logs (and its `container logs` alias). Reading, filtering and following
// the json-file log lives in core/json_log.cpp.
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <memory>

#include "cmd/cli.hpp"
#include "core/container_store.hpp"
#include "core/json_log.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

// docker's daemon reads --tail with strconv.Atoi and shows everything when that fails ("all").
int64_t parse_tail(const std::string& text) {
  int64_t n = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0) return -1;
  return n;
}

Timestamp parse_time_flag(const char* flag, const std::string& value, Timestamp now) {
  try {
    return parse_log_time_arg(value, now);
  } catch (const Error& e) {
    fail("invalid value for \"{}\": {}", flag, e.what());
  }
}

void add_logs_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    bool follow = false, timestamps = false, details = false;
    std::string tail = "all", since, until, container;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_flag("--details", f->details, "Show extra details provided to logs");
  cmd->add_flag("-f,--follow", f->follow, "Follow log output");
  cmd->add_option(
      "--since", f->since,
      "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 "
      "minutes)");
  cmd->add_option("-n,--tail", f->tail, "Number of lines to show from the end of the logs (default \"all\")");
  cmd->add_flag("-t,--timestamps", f->timestamps, "Show timestamps");
  cmd->add_option(
      "--until", f->until,
      "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 "
      "minutes)");
  cmd->add_option("container", f->container, "Container")->required();
  cmd->callback([f, &globals] {
    StorePaths paths = globals.paths();
    std::string id = ContainerStore(paths).resolve(f->container);
    LogReadOptions options;
    options.follow = f->follow;
    options.timestamps = f->timestamps;
    options.details = f->details;
    options.tail = parse_tail(f->tail);
    auto now = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
    if (!f->since.empty()) options.since = parse_time_flag("since", f->since, now);
    if (!f->until.empty()) options.until = parse_time_flag("until", f->until, now);
    stream_container_logs(paths, id, options, STDOUT_FILENO, STDERR_FILENO);
  });
}

}  // namespace

void register_logs_commands(CLI::App& app, const GlobalOptions& globals) {
  add_logs_command(app.add_subcommand("logs", "Fetch the logs of a container"), globals);
  try {
    add_logs_command(app.get_subcommand("container")->add_subcommand("logs", "Fetch the logs of a container"),
                     globals);
  } catch (const CLI::OptionNotFound&) {
    // `container` is registered elsewhere; without it there is no alias to add.
  }
}

}  // namespace tug
