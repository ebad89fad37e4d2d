// Published ports (-p) without a helper program: tug binds the host ports in the host's network
// namespace before it enters the container's, then a forked forwarder, living in the
// container's namespace, accepts on them and relays each connection to the container's port on
// its loopback with splice(2) (the bytes never enter user space).
#pragma once

#include <vector>

#include "net/port_spec.hpp"
#include "util/fd.hpp"
#include "util/json.hpp"

namespace tug {

struct PortListener {
  PortMapping mapping;  ///< host_port filled in with the port actually bound
  UniqueFd fd;          ///< listening TCP socket in the host's network namespace
};

/// Binds every TCP mapping in the caller's (the host's) network namespace. A port already in
/// use is docker's error: "Bind for 0.0.0.0:8000 failed: port is already allocated". UDP and
/// SCTP mappings are refused for now.
std::vector<PortListener> bind_published_ports(const std::vector<PortMapping>& mappings,
                                               const std::string& container_name);

/// NetworkSettings.Ports as docker shows it for these listeners (and `exposed` ports, unbound).
Json network_settings_ports(const std::vector<PortListener>& listeners, const Json& exposed_ports);

/// Forks the forwarder (call in the container's network namespace): it keeps only the
/// listening sockets, dies with its parent (PDEATHSIG) and never returns to tug's code.
/// Returns its pid, or -1 without listeners.
pid_t start_port_forwarder(std::vector<PortListener>& listeners);

}  // namespace tug
