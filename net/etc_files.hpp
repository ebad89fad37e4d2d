// The files tug writes for each container and binds over the image's: /etc/hosts,
// /etc/hostname and /etc/resolv.conf, in docker's formats.
#pragma once

#include <string>
#include <vector>

namespace tug {

/// docker's default hosts file, plus "<ip>\t<hostname>" when the container has an address
/// and any extra "ip\tnames" lines (links, --add-host).
std::string hosts_file(const std::string& hostname, const std::string& ip,
                       const std::vector<std::string>& extra);

/// resolv.conf for the container: the host's, without loopback nameservers (unreachable from
/// a container's own network namespace), or `nameservers` when given.
std::string resolv_conf(const std::string& host_resolv_conf, const std::vector<std::string>& nameservers);

}  // namespace tug
