// docker's -p/--publish syntax (go-connections nat.ParsePortSpec):
// [ip:][hostPort:]containerPort[/proto], with ranges ("8000-8001:80-81") and "[::1]:80:80".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace tug {

struct PortMapping {
  std::string host_ip;     ///< "" for every address
  uint16_t host_port = 0;  ///< 0: a free port chosen at start
  uint16_t container_port = 0;
  std::string proto = "tcp";  ///< tcp, udp or sctp

  /// "80/tcp", the key of ExposedPorts and PortBindings.
  std::string key() const;
};

/// One -p value as the mappings it stands for (a range gives one per port). Throws Error with
/// docker's wording for a bad value.
std::vector<PortMapping> parse_port_spec(const std::string& spec);

/// "80", "80/udp", "8000-8010/tcp" (--expose and EXPOSE): the container ports, each as key().
std::vector<std::string> parse_exposed_ports(const std::string& spec);

/// HostConfig.PortBindings for these mappings: {"80/tcp": [{"HostIp": "", "HostPort": "8000"}]}.
Json port_bindings_json(const std::vector<PortMapping>& mappings);

/// What a container publishes: its PortBindings, and with PublishAllPorts (-P) every exposed
/// port not bound otherwise, on a free host port.
std::vector<PortMapping> published_mappings(const Json& host_config, const Json& exposed_ports);

}  // namespace tug
