// The rows of `tug ps`: one Json object per container with the fields of docker's ps formatter
// (.ID .Image .Command .Status .Ports ...), filtered (--filter, -a, -n) and newest first.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/container_store.hpp"
#include "core/store_paths.hpp"
#include "util/json.hpp"

namespace tug {

/// What `tug ps` was asked for.
struct ContainerListOptions {
  bool all = false;                  ///< -a: stopped and created containers too
  int last = -1;                     ///< -n N / -l (1): the N newest, whatever their state; <= 0: no limit
  bool size = false;                 ///< -s, or a --format that uses .Size
  bool no_trunc = false;             ///< full IDs, image IDs and commands
  std::vector<std::string> filters;  ///< --filter "key=value", as given
};

/// One row per container, keys in docker's `{{json .}}` order (alphabetical): Command,
/// CreatedAt, ID, Image, Labels, LocalVolumes, Mounts, Names, Networks, Ports, RunningFor, Size,
/// State, Status. Throws docker's "invalid filter ..." errors.
std::vector<Json> container_list_rows(const StorePaths& paths, const ContainerListOptions& options);

// ---- the pieces of a row, pure (unit tested)

/// The daemon's Status string (moby State.String()): "Up 5 seconds", "Up 2 hours (Paused)",
/// "Up 3 minutes (healthy)", "Up 1 second (health: starting)", "Restarting (1) 3 seconds ago",
/// "Exited (0) 8 days ago", "Created", "Dead". `now_ns`: Unix time in nanoseconds.
std::string container_status_text(const ContainerState& state, int64_t now_ns);

/// The daemon's Command: Path and Args joined by spaces, args with a space in single quotes.
std::string container_command_text(const Json& config);

/// docker's formatter.Ellipsis: at most `width` display columns, the last one "…" when cut.
std::string ellipsis(std::string_view text, int width);

/// One published or exposed port (docker's types.Port).
struct PortSummary {
  int private_port = 0;
  int public_port = 0;  ///< 0: exposed only
  std::string type;     ///< "tcp", "udp", "sctp"
  std::string ip;       ///< host address; empty: exposed only
};

/// The ports of a running container, as docker's NetworkSettings.Ports map
/// ({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": null}): the config's
/// NetworkSettings.Ports when the network setup recorded it, else HostConfig.PortBindings
/// (a missing HostIp meaning 0.0.0.0) and Config.ExposedPorts. Empty for a stopped container,
/// as docker clears it at the exit, and in host network mode, where nothing is published.
Json published_ports(const Json& config, bool running);

/// The NetworkSettings.Ports map as a list (bindings without a host port are skipped).
std::vector<PortSummary> port_summaries(const Json& ports_map);

/// docker's DisplayablePorts: "0.0.0.0:8080->80/tcp, 9000-9001/tcp"; consecutive ports grouped,
/// mappings whose host port differs from the container port last.
std::string displayable_ports(std::vector<PortSummary> ports);

/// net.JoinHostPort: "0.0.0.0:80", "[::]:80".
std::string join_host_port(std::string_view host, std::string_view port);

// ---- sizes (`ps -s`, `inspect --size`; measured in core/container_size.hpp)

/// docker's Size column: "12B (virtual 1.2MB)", or "12B" when the virtual size is 0.
std::string size_text(int64_t size_rw, int64_t size_root_fs);

}  // namespace tug
