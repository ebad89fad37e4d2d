#include "core/container_network.hpp"

#include <doctest/doctest.h>
#include <sched.h>
#include <unistd.h>

#include "core/userns.hpp"
#include "tests/unit/fs/fs_test_util.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {
namespace {

std::string error_of(const RunOptions& o) {
  try {
    container_network(o);
  } catch (const Error& e) {
    CHECK(e.exit_code() == kExitToolError);
    return e.what();
  }
  return "";
}

RunOptions with_hosts(std::vector<std::string> hosts, std::string network = "") {
  RunOptions o;
  o.add_hosts = std::move(hosts);
  o.network = std::move(network);
  return o;
}

TEST_CASE("--add-host as docker's CLI reads it, stored as name:ip") {
  auto net = container_network(with_hosts(
      {"db:10.0.0.5", "v6:::1", "eq=192.168.1.1", "br=[fd00::1]", "brc:[::2]", "gw:host-gateway"}, "host"));
  CHECK(net.extra_hosts == std::vector<std::string>{"db:10.0.0.5", "v6:::1", "eq:192.168.1.1", "br:fd00::1",
                                                    "brc:::2", "gw:host-gateway"});
}

TEST_CASE("bad --add-host values: docker's errors") {
  CHECK(error_of(with_hosts({"x"})) ==
        "invalid argument \"x\" for \"--add-host\" flag: bad format for add-host: \"x\"");
  CHECK(error_of(with_hosts({":1.2.3.4"})) ==
        "invalid argument \":1.2.3.4\" for \"--add-host\" flag: bad format for add-host: \":1.2.3.4\"");
  CHECK(error_of(with_hosts({"a:b=1.2.3.4"})) ==
        "invalid argument \"a:b=1.2.3.4\" for \"--add-host\" flag: bad format for add-host: \"a:b=1.2.3.4\"");
  CHECK(error_of(with_hosts({"h:nope"})) ==
        "invalid argument \"h:nope\" for \"--add-host\" flag: invalid IP address in add-host: \"nope\"");
  CHECK(error_of(with_hosts({"h:"})) ==
        "invalid argument \"h:\" for \"--add-host\" flag: invalid IP address in add-host: \"\"");
  // host-gateway needs a gateway: only the host's own network has one in tug.
  CHECK(error_of(with_hosts({"h:host-gateway"})).find("host-gateway") != std::string::npos);
}

TEST_CASE("--dns: addresses in canonical form; anything else is docker's error") {
  RunOptions o;
  o.dns = {"8.8.8.8", "0:0::1", " 1.1.1.1"};
  CHECK(container_network(o).dns == std::vector<std::string>{"8.8.8.8", "::1", "1.1.1.1"});
  o.dns = {"8.8.8.8", "dns.example"};
  CHECK(error_of(o) ==
        "invalid argument \"dns.example\" for \"--dns\" flag: dns.example is not an ip address");
  o.dns = {"x"};
  CHECK(error_of(o) == "invalid argument \"x\" for \"--dns\" flag: x is not an ip address");
}

TEST_CASE("--dns-search: domains without the trailing dot; --dns-option as given") {
  RunOptions o;
  o.dns_search = {"example.com", "corp.example.", " lab-1.example ", "."};
  o.dns_options = {"ndots:2", "edns0"};
  auto net = container_network(o);
  CHECK(net.dns_search == std::vector<std::string>{"example.com", "corp.example", "lab-1.example", "."});
  CHECK(net.dns_options == std::vector<std::string>{"ndots:2", "edns0"});
  for (const char* bad : {"123", "-bad.example", "bad-.example", "a..example", "a_b.example", ""}) {
    o.dns_search = {bad};
    CHECK(
        error_of(o) ==
        fmt::format("invalid argument \"{}\" for \"--dns-search\" flag: {} is not a valid domain", bad, bad));
  }
}

TEST_CASE("--network: none (the default), host, bridge and default; nothing else yet") {
  RunOptions o;
  CHECK(container_network(o).mode == "none");
  for (const char* mode : {"none", "host", "bridge", "default"}) {
    o.network = mode;
    CHECK(container_network(o).mode == mode);
  }
  o.network = "bogus";
  CHECK(error_of(o).starts_with("network bogus not found: user-defined networks are not implemented yet"));
  o.network = "container:web";
  CHECK(error_of(o).find("not implemented yet") != std::string::npos);
}

TEST_CASE("host mode: no network namespace of its own; -p discarded with docker's warning") {
  CHECK(container_namespaces("host") == (PendingUserNamespace::kJoinable & ~CLONE_NEWNET));
  CHECK(container_namespaces("none") == PendingUserNamespace::kJoinable);
  CHECK(container_namespaces("bridge") == PendingUserNamespace::kJoinable);
  RunOptions o;
  o.network = "host";
  CHECK(container_network(o).warnings.empty());
  o.publish = {"8080:80"};
  CHECK(container_network(o).warnings ==
        std::vector<std::string>{"WARNING: Published ports are discarded when using host network mode"});
  o.network = "none";
  CHECK(container_network(o).warnings.empty());
}

TEST_CASE("the hostname: -h, else the host's in host mode, else the short ID") {
  RunOptions o;
  std::string id(64, 'a');
  ContainerNetwork none, host;
  host.mode = "host";
  CHECK(container_hostname(o, none, id) == std::string(12, 'a'));
  char buf[256] = {};
  REQUIRE(::gethostname(buf, sizeof buf - 1) == 0);
  CHECK(container_hostname(o, host, id) == buf);
  o.hostname = "given";
  CHECK(container_hostname(o, host, id) == "given");
}

TEST_CASE("the files: host mode copies the host's hosts and resolv.conf unless overridden") {
  std::string host_hosts = read_file_if_exists("/etc/hosts").value_or("");
  std::string host_resolv = read_file_if_exists("/etc/resolv.conf").value_or("");
  test::TempDir dir;
  ContainerNetwork net;
  net.mode = "host";
  write_network_files(dir.path(), "myhost", net);
  CHECK(read_file(dir.path() + "/hosts") == host_hosts);
  CHECK(read_file(dir.path() + "/resolv.conf") == host_resolv);
  CHECK(read_file(dir.path() + "/hostname") == "myhost\n");

  // With --add-host, docker's own hosts file even in host mode (so a host name can be
  // overridden); host-gateway is the host's loopback there.
  net.extra_hosts = {"db:10.0.0.5", "gw:host-gateway"};
  net.dns = {"9.9.9.9"};
  write_network_files(dir.path(), "myhost", net);
  std::string hosts = read_file(dir.path() + "/hosts");
  CHECK(hosts.starts_with("127.0.0.1\tlocalhost\n"));
  CHECK(hosts.ends_with("ff02::2\tip6-allrouters\n10.0.0.5\tdb\n127.0.0.1\tgw\n127.0.1.1\tmyhost\n"));
  CHECK(read_file(dir.path() + "/resolv.conf").starts_with("nameserver 9.9.9.9\n"));

  net.mode = "none";
  net.extra_hosts.pop_back();
  write_network_files(dir.path(), "c1", net);
  CHECK(read_file(dir.path() + "/hosts").ends_with("ff02::2\tip6-allrouters\n10.0.0.5\tdb\n127.0.1.1\tc1\n"));
}

}  // namespace
}  // namespace tug
