// Network flags of run/create (docker/cli opts: ValidateExtraHost, ValidateIPAddress,
// ValidateDNSSearch) and the files they make (libnetwork's sandbox_dns_unix.go).
#include "core/container_network.hpp"

#include <unistd.h>

#include <cctype>
#include <climits>
#include <optional>

#include "core/format/go_strconv.hpp"
#include "core/userns.hpp"
#include "net/etc_files.hpp"
#include "net/ip_address.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

// In host mode the host is the container's own loopback: that is where "host-gateway" points.
constexpr const char* kHostModeGateway = "127.0.0.1";

[[noreturn]] void bad_flag(const char* flag, const std::string& value, const std::string& why) {
  fail("invalid argument {} for \"{}\" flag: {}", gofmt::quote(value), flag, why);
}

// ValidateExtraHost: "name=ip", else "name:ip" split at the first colon (IPv6 stays whole); the
// address may be bracketed. Stored as "name:ip", the form the daemon reads.
std::string parse_extra_host(const std::string& value) {
  auto sep = value.find('=');
  if (sep == std::string::npos) sep = value.find(':');
  std::string name = value.substr(0, sep);
  if (sep == std::string::npos || name.empty() || name.find(':') != std::string::npos)
    bad_flag("--add-host", value, "bad format for add-host: " + gofmt::quote(value));
  std::string ip = value.substr(sep + 1);
  if (ip != "host-gateway") {
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (!canonical_ip(ip))
      bad_flag("--add-host", value, "invalid IP address in add-host: " + gofmt::quote(ip));
  }
  return name + ":" + ip;
}

bool is_label(std::string_view label) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (label.empty() || !alnum(label.front()) || !alnum(label.back())) return false;
  for (char c : label)
    if (!alnum(c) && c != '-') return false;
  return true;
}

// strings.Trim(s, " ")
std::string trim_spaces(std::string s) {
  s.erase(0, s.find_first_not_of(' '));
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

// ValidateDNSSearch: "." (no search domain), or dot-separated labels with at least one letter,
// returned without a trailing dot or whitespace.
std::optional<std::string> dns_search_domain(const std::string& given) {
  std::string value = trim_spaces(given);
  if (value == ".") return value;
  bool letter = false;
  for (char c : value) letter = letter || std::isalpha(static_cast<unsigned char>(c)) != 0;
  if (!letter) return std::nullopt;
  std::string domain = value.substr(0, value.find_last_not_of("\t\n\f\r ") + 1);
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  if (domain.empty() || domain.size() >= 255) return std::nullopt;
  for (size_t start = 0;;) {
    auto dot = domain.find('.', start);
    if (!is_label(std::string_view(domain).substr(start, dot - start))) return std::nullopt;
    if (dot == std::string::npos) return domain;
    start = dot + 1;
  }
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) fail_errno("failed to retrieve hostname");
  return buf;
}

}  // namespace

ContainerNetwork container_network(const RunOptions& o) {
  ContainerNetwork net;
  const std::string& mode = o.network;
  if (mode == "host" || mode == "bridge" || mode == "default" || mode == "none") {
    net.mode = mode;
  } else if (mode.starts_with("container:")) {
    fail("--network {}: sharing another container's network namespace is not implemented yet", mode);
  } else if (!mode.empty()) {
    fail(
        "network {} not found: user-defined networks are not implemented yet (--network takes none, host, "
        "bridge or default)",
        mode);
  }
  for (const auto& h : o.add_hosts) {
    net.extra_hosts.push_back(parse_extra_host(h));
    if (!net.host() && net.extra_hosts.back().ends_with(":host-gateway"))
      fail(
          "--add-host {}: host-gateway needs a network tug does not implement yet; it works with --network "
          "host",
          h);
  }
  for (const auto& d : o.dns) {
    auto ip = canonical_ip(d);
    if (!ip) bad_flag("--dns", d, d + " is not an ip address");
    net.dns.push_back(*ip);
  }
  for (const auto& s : o.dns_search) {
    auto domain = dns_search_domain(s);
    if (!domain) bad_flag("--dns-search", s, trim_spaces(s) + " is not a valid domain");
    net.dns_search.push_back(*domain);
  }
  net.dns_options = o.dns_options;
  if (net.host() && !o.publish.empty())
    net.warnings.push_back("WARNING: Published ports are discarded when using host network mode");
  return net;
}

int container_namespaces(const std::string& mode) {
  int all = PendingUserNamespace::kJoinable;
  return mode == "host" ? all & ~CLONE_NEWNET : all;
}

std::string container_hostname(const RunOptions& o, const ContainerNetwork& net, const std::string& id) {
  if (!o.hostname.empty()) return o.hostname;
  return net.host() ? host_name() : id.substr(0, 12);
}

void write_network_files(const std::string& dir, const std::string& hostname, const ContainerNetwork& net) {
  std::string hosts;
  if (net.host() && net.extra_hosts.empty()) {
    hosts = read_file_if_exists("/etc/hosts").value_or("");
  } else {
    std::vector<std::string> extra;
    for (const auto& h : net.extra_hosts) extra.push_back(extra_host_line(h, kHostModeGateway));
    hosts = hosts_file(hostname, "", extra);
  }
  DnsOverrides dns{net.dns, net.dns_search, net.dns_options};
  std::string host_resolv = read_file_if_exists("/etc/resolv.conf").value_or("");
  write_file_atomic(dir + "/hosts", hosts, 0644, false);
  write_file_atomic(dir + "/hostname", hostname + "\n", 0644, false);
  write_file_atomic(dir + "/resolv.conf", resolv_conf(host_resolv, dns, net.host()), 0644, false);
}

}  // namespace tug
