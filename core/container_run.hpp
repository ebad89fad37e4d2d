// `tug run` in the foreground: create the container record, enter its namespaces, mount its
// filesystems, start PID 1 and supervise it until it exits.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/healthcheck.hpp"
#include "core/pull.hpp"
#include "core/store_paths.hpp"
#include "core/transfer_progress.hpp"

namespace tug {

/// The docker run flags this layer understands (cmd/ parses them).
struct RunOptions {
  std::string image;
  std::vector<std::string> command;  ///< CMD override (empty: the image's)
  std::optional<std::string> entrypoint;
  std::vector<std::string> env;  ///< -e
  std::vector<std::string> env_files;
  std::string workdir;
  std::string user;
  std::string hostname;
  std::string name;
  bool remove = false;       ///< --rm
  bool interactive = false;  ///< -i
  bool tty = false;          ///< -t
  bool read_only = false;
  bool privileged = false;
  std::vector<std::string> volumes;  ///< -v SRC:DST[:ro]
  std::vector<std::string> tmpfs;    ///< --tmpfs DST[:opts]
  std::vector<std::string> cap_add, cap_drop;
  std::vector<std::string> security_opts;
  std::vector<std::string> labels;
  std::vector<std::string> publish;           ///< -p [ip:][hostPort:]containerPort[/proto]
  bool publish_all = false;                   ///< -P: every exposed port on a free host port
  std::vector<std::string> expose;            ///< --expose PORT[/proto] or a range
  std::string network;                        ///< --network/--net: none (default), host, bridge, default
  std::vector<std::string> add_hosts;         ///< --add-host name:ip (or name=ip)
  std::vector<std::string> dns;               ///< --dns: nameservers instead of the host's
  std::vector<std::string> dns_search;        ///< --dns-search
  std::vector<std::string> dns_options;       ///< --dns-option
  bool detach = false;                        ///< -d
  std::string restart;                        ///< --restart no|always|unless-stopped|on-failure[:N]
  std::string stop_signal;                    ///< --stop-signal
  std::optional<int> stop_timeout;            ///< --stop-timeout
  bool init = false;                          ///< --init
  std::string memory;                         ///< -m/--memory: a limit such as "64m"
  std::string memory_swap;                    ///< --memory-swap: memory plus swap, -1 unlimited
  std::string cidfile;                        ///< --cidfile
  HealthFlags health;                         ///< --health-cmd, --health-interval, ..., --no-healthcheck
  PullPolicy pull = PullPolicy::kMissing;     ///< --pull
  PullOptions pull_options;                   ///< --platform
  TransferObserver* pull_progress = nullptr;  ///< how an implicit pull reports (stderr)
  /// Called with the new container's ID once it is recorded, before it starts (the builder
  /// announces its step containers).
  std::function<void(const std::string&)> on_created;
};

/// `tug create`: the image found or pulled, the container recorded as "created"; returns its ID.
std::string create_container_only(const StorePaths& paths, const RunOptions& options);

/// Runs a container in the foreground and returns the exit code tug should exit with.
int run_container(const StorePaths& paths, const RunOptions& options);

}  // namespace tug
