// hosts and resolv.conf generation (libnetwork's etchosts and resolvconf packages).
#include "net/etc_files.hpp"

#include <sstream>

#include "net/ip_address.hpp"

namespace tug {

std::string hosts_file(const std::string& hostname, const std::string& ip,
                       const std::vector<std::string>& extra) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  for (const auto& line : extra) out += line + "\n";
  // Without an address of its own (no network yet), the hostname resolves to loopback as
  // Debian's installer does, so programs that look up their own name keep working.
  out += (ip.empty() ? std::string("127.0.1.1") : ip) + "\t" + hostname + "\n";
  return out;
}

std::string extra_host_line(const std::string& extra_host, const std::string& host_gateway) {
  auto colon = extra_host.find(':');
  std::string name = extra_host.substr(0, colon);
  std::string ip = colon == std::string::npos ? "" : extra_host.substr(colon + 1);
  if (ip == "host-gateway") ip = host_gateway;
  return canonical_ip(ip).value_or(ip) + "\t" + name;
}

std::string resolv_conf(const std::string& host_resolv_conf, const DnsOverrides& overrides,
                        bool host_network) {
  if (host_network && overrides.empty()) return host_resolv_conf;
  std::vector<std::string> nameservers, search, options, other;
  std::istringstream in(host_resolv_conf);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> fields;
    for (std::string w; words >> w;) fields.push_back(w);
    if (fields.empty() || fields[0][0] == '#' || fields[0][0] == ';') continue;
    const std::string& key = fields[0];
    if (key == "nameserver" || key == "domain" || key == "search" || key == "options") {
      if (fields.size() < 2) continue;
      if (key == "nameserver") {
        // libnetwork drops what netip.ParseAddr refuses; a zone ("fe80::1%eth0") is allowed.
        if (canonical_ip(fields[1].substr(0, fields[1].find('%')))) nameservers.push_back(fields[1]);
      } else if (key == "options") {
        options.insert(options.end(), fields.begin() + 1, fields.end());
      } else {
        search.assign(fields.begin() + 1, fields.end());
      }
      continue;
    }
    other.push_back(line);
  }
  if (!overrides.nameservers.empty()) {
    nameservers = overrides.nameservers;
  } else if (!host_network) {
    std::erase_if(nameservers, [](const std::string& ns) { return is_loopback_ip(ns); });
  }
  if (!overrides.search.empty()) {
    search.clear();
    for (const auto& s : overrides.search)
      if (s != ".") search.push_back(s);
  }
  if (!overrides.options.empty()) options = overrides.options;

  std::string out;
  for (const auto& ns : nameservers) out += "nameserver " + ns + "\n";
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
  };
  if (!search.empty()) out += "search " + joined(search) + "\n";
  if (!options.empty()) out += "options " + joined(options) + "\n";
  for (const auto& o : other) out += o + "\n";
  return out;
}

}  // namespace tug
