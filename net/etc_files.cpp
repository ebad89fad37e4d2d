// hosts and resolv.conf generation.
#include "net/etc_files.hpp"

#include <sstream>

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

std::string resolv_conf(const std::string& host_resolv_conf, const std::vector<std::string>& nameservers) {
  std::string out;
  std::istringstream in(host_resolv_conf);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key == "nameserver") {
      if (!nameservers.empty() || value.rfind("127.", 0) == 0 || value == "::1") continue;
    }
    out += line + "\n";
  }
  for (const auto& ns : nameservers) out += "nameserver " + ns + "\n";
  return out;
}

}  // namespace tug
