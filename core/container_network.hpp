// A container's network settings that need no address of its own: --network none or host (bridge
// and default behave as none for now), --add-host, --dns, --dns-search and --dns-option, checked
// and normalised as docker's CLI does; the namespaces they imply and the hosts files they make.
#pragma once

#include <string>
#include <vector>

#include "core/container_run.hpp"

namespace tug {

/// The network part of a container's record, from run/create flags.
struct ContainerNetwork {
  std::string mode = "none";             ///< HostConfig.NetworkMode
  std::vector<std::string> extra_hosts;  ///< HostConfig.ExtraHosts: "name:ip"
  std::vector<std::string> dns;          ///< HostConfig.Dns, each in canonical form
  std::vector<std::string> dns_search;   ///< HostConfig.DnsSearch
  std::vector<std::string> dns_options;  ///< HostConfig.DnsOptions
  std::vector<std::string> warnings;     ///< docker's "WARNING: ..." lines, for the caller to print

  /// The caller's network namespace, not one of the container's own.
  bool host() const { return mode == "host"; }
};

/// Checks and normalises the network flags of `options`. Throws Error with docker's message for
/// a bad value ("invalid argument \"x\" for \"--dns\" flag: x is not an ip address"), and tug's
/// for a network mode tug does not implement yet.
ContainerNetwork container_network(const RunOptions& options);

/// The namespaces a container of NetworkMode `mode` gets with its user namespace
/// (PendingUserNamespace): kJoinable, less the network namespace in host mode.
int container_namespaces(const std::string& mode);

/// The container's hostname: -h, else the host's in host mode (as docker), else `id`'s first 12
/// characters.
std::string container_hostname(const RunOptions& options, const ContainerNetwork& network,
                               const std::string& id);

/// Writes `dir`/hosts, hostname and resolv.conf for a new container. In host mode hosts and
/// resolv.conf are the host's, as docker copies them, unless --add-host or --dns* are given.
void write_network_files(const std::string& dir, const std::string& hostname,
                         const ContainerNetwork& network);

}  // namespace tug
