#include "net/etc_files.hpp"

#include <doctest/doctest.h>

namespace tug {
namespace {

TEST_CASE("hosts: docker's default entries, the extra hosts in order, then the hostname") {
  // (network_flags.bats checks the whole default block as a container sees it.)
  std::string plain = hosts_file("abc", "", {});
  CHECK(plain.starts_with("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"));
  CHECK(plain.ends_with("\nff02::2\tip6-allrouters\n127.0.1.1\tabc\n"));
  CHECK(hosts_file("abc", "10.0.0.2", {"1.2.3.4\tdb", "::1\tv6"}) ==
        plain.substr(0, plain.size() - std::string("127.0.1.1\tabc\n").size()) +
            "1.2.3.4\tdb\n::1\tv6\n10.0.0.2\tabc\n");
}

TEST_CASE("--add-host lines: split at the first colon, address canonical") {
  CHECK(extra_host_line("db:10.0.0.5", "") == "10.0.0.5\tdb");
  CHECK(extra_host_line("v6:::1", "") == "::1\tv6");
  CHECK(extra_host_line("v6long:0:0:0:0:0:0:0:1", "") == "::1\tv6long");
  CHECK(extra_host_line("gw:host-gateway", "127.0.0.1") == "127.0.0.1\tgw");
}

const char* const kHost =
    "# written by hand\n"
    "nameserver 127.0.0.53\n"
    "nameserver 10.0.0.1\n"
    "\n"
    "nameserver ::1\n"
    "nameserver fd00::53\n"
    "nameserver bogus\n"
    "domain old.example\n"
    "search corp.example lab.example\n"
    "options ndots:2\n"
    "options   timeout:1 attempts:3\n"
    "sortlist 10.0.0.0/255.0.0.0\n"
    "; another comment\n";

// What follows the nameservers when nothing else is overridden: one search line (the last),
// the options merged, other directives as they were.
const std::string kHostRest =
    "search corp.example lab.example\n"
    "options ndots:2 timeout:1 attempts:3\n"
    "sortlist 10.0.0.0/255.0.0.0\n";

TEST_CASE("resolv.conf in a network namespace of its own: the host's, loopback nameservers left out") {
  CHECK(resolv_conf(kHost, {}, false) == "nameserver 10.0.0.1\nnameserver fd00::53\n" + kHostRest);
  // Nothing but loopback on the host (systemd-resolved): no nameserver line at all.
  CHECK(resolv_conf("nameserver 127.0.0.53\noptions edns0\n", {}, false) == "options edns0\n");
  CHECK(resolv_conf("", {}, false) == "");
}

TEST_CASE("--dns, --dns-search, --dns-option each replace the host's") {
  DnsOverrides dns;
  dns.nameservers = {"1.1.1.1", "2606:4700::1111"};
  CHECK(resolv_conf(kHost, dns, false) == "nameserver 1.1.1.1\nnameserver 2606:4700::1111\n" + kHostRest);
  dns = {};
  dns.search = {"a.example", "b.example"};
  dns.options = {"ndots:5", "rotate"};
  CHECK(resolv_conf(kHost, dns, false) ==
        "nameserver 10.0.0.1\n"
        "nameserver fd00::53\n"
        "search a.example b.example\n"
        "options ndots:5 rotate\n"
        "sortlist 10.0.0.0/255.0.0.0\n");
  // "." is no search domain: the host's are dropped and none written.
  dns = {};
  dns.search = {"."};
  CHECK(resolv_conf("nameserver 10.0.0.1\nsearch corp.example\n", dns, false) == "nameserver 10.0.0.1\n");
  // A loopback --dns is the user's choice, kept.
  dns = {};
  dns.nameservers = {"127.0.0.1"};
  CHECK(resolv_conf(kHost, dns, false).starts_with("nameserver 127.0.0.1\nsearch "));
}

TEST_CASE("resolv.conf in host mode: the host's file as it is, or with the overrides applied") {
  CHECK(resolv_conf(kHost, {}, true) == kHost);
  DnsOverrides dns;
  dns.options = {"ndots:1"};
  // The host's loopback nameservers are reachable from its own network: kept.
  CHECK(resolv_conf(kHost, dns, true) ==
        "nameserver 127.0.0.53\nnameserver 10.0.0.1\nnameserver ::1\nnameserver fd00::53\n"
        "search corp.example lab.example\noptions ndots:1\nsortlist 10.0.0.0/255.0.0.0\n");
}

}  // namespace
}  // namespace tug
