#include "net/ip_address.hpp"

#include <doctest/doctest.h>

namespace tug {
namespace {

TEST_CASE("addresses are read as Go's net.ParseIP and written as net.IP.String") {
  CHECK(canonical_ip("8.8.8.8") == "8.8.8.8");
  CHECK(canonical_ip(" 1.2.3.4 ") == "1.2.3.4");  // ValidateIPAddress trims spaces
  CHECK(canonical_ip("::1") == "::1");
  CHECK(canonical_ip("0:0:0:0:0:0:0:1") == "::1");
  CHECK(canonical_ip("2001:DB8:0:0:1:0:0:1") == "2001:db8::1:0:0:1");     // the first longest run
  CHECK(canonical_ip("2001:db8:0:1:1:1:1:1") == "2001:db8:0:1:1:1:1:1");  // one zero group stays
  CHECK(canonical_ip("::") == "::");
  CHECK(canonical_ip("fe80::") == "fe80::");
  CHECK(canonical_ip("::ffff:10.0.0.1") == "10.0.0.1");  // IPv4-mapped: net.IP prints IPv4
  CHECK(canonical_ip("::102:304") == "::102:304");       // inet_ntop would write ::1.2.3.4
  for (const char* bad : {"", "x", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "[::1]", "fe80::1%eth0",
                          "1::2::3", "example.com"})
    CHECK_MESSAGE(!canonical_ip(bad), bad);
}

TEST_CASE("loopback nameservers") {
  CHECK(is_loopback_ip("127.0.0.53"));
  CHECK(is_loopback_ip("127.1.2.3"));
  CHECK(is_loopback_ip("::1"));
  CHECK(is_loopback_ip("::ffff:127.0.0.1"));
  CHECK_FALSE(is_loopback_ip("10.0.0.1"));
  CHECK_FALSE(is_loopback_ip("::2"));
  CHECK_FALSE(is_loopback_ip("fe80::1%eth0"));
  CHECK_FALSE(is_loopback_ip("localhost"));
}

}  // namespace
}  // namespace tug
