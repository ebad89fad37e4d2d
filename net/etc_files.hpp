// The files tug writes for each container and binds over the image's: /etc/hosts,
// /etc/hostname and /etc/resolv.conf, in docker's formats.
#pragma once

#include <string>
#include <vector>

namespace tug {

/// docker's default hosts file, then any extra "ip\tnames" lines (links, --add-host), then
/// "<ip>\t<hostname>" (127.0.1.1 while the container has no address of its own).
std::string hosts_file(const std::string& hostname, const std::string& ip,
                       const std::vector<std::string>& extra);

/// The hosts-file line docker writes for one --add-host, given as HostConfig.ExtraHosts holds it
/// ("name:ip", split at the first colon, so "name:::1" is IPv6): "ip\tname", the address in
/// canonical form. `host_gateway` stands for the address "host-gateway".
std::string extra_host_line(const std::string& extra_host, const std::string& host_gateway);

/// What --dns, --dns-search and --dns-option replace in the host's resolv.conf (each only when
/// given; a search domain "." stands for none).
struct DnsOverrides {
  std::vector<std::string> nameservers;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool empty() const { return nameservers.empty() && search.empty() && options.empty(); }
};

/// resolv.conf for a container, as docker's libnetwork builds it from the host's: its
/// nameserver lines, one search line (the last one; "domain" counts as search), the options
/// lines merged into one, then any other directive as it was; comments and blank lines dropped.
/// With a network namespace of its own (not `host_network`), the host's loopback nameservers
/// are left out: they are unreachable from there. In host mode without overrides: the host's
/// file as it is, as docker copies it.
std::string resolv_conf(const std::string& host_resolv_conf, const DnsOverrides& overrides,
                        bool host_network);

}  // namespace tug
