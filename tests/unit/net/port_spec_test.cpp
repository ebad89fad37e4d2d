#include "net/port_spec.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

namespace tug {
namespace {

std::string error_of(const std::string& spec) {
  try {
    parse_port_spec(spec);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("-p forms as docker parses them") {
  auto one = parse_port_spec("8000:80");
  REQUIRE(one.size() == 1);
  CHECK(one[0].host_ip == "");
  CHECK(one[0].host_port == 8000);
  CHECK(one[0].container_port == 80);
  CHECK(one[0].key() == "80/tcp");
  auto bare = parse_port_spec("80");
  CHECK(bare[0].host_port == 0);
  auto ip = parse_port_spec("127.0.0.1:8080:80/udp");
  CHECK(ip[0].host_ip == "127.0.0.1");
  CHECK(ip[0].host_port == 8080);
  CHECK(ip[0].key() == "80/udp");
  auto any = parse_port_spec("127.0.0.1::80");
  CHECK(any[0].host_port == 0);
  auto v6 = parse_port_spec("[::1]:9000:90");
  CHECK(v6[0].host_ip == "::1");
  CHECK(v6[0].host_port == 9000);
  auto range = parse_port_spec("8000-8002:80-82");
  REQUIRE(range.size() == 3);
  CHECK(range[2].host_port == 8002);
  CHECK(range[2].container_port == 82);
  auto many_to_one = parse_port_spec("8000:80-81");
  REQUIRE(many_to_one.size() == 2);
  CHECK(many_to_one[1].host_port == 8000);
}

TEST_CASE("bad -p values: docker's errors") {
  CHECK(error_of("abc") == "invalid containerPort: abc");
  CHECK(error_of("x:80") == "invalid hostPort: x");
  CHECK(error_of("1.2.3:80:80") == "invalid IP address: 1.2.3");
  CHECK(error_of("80/icmp") == "invalid proto: icmp");
  CHECK(error_of("8000-8001:80-82") ==
        "invalid ranges specified for container and host Ports: 80-82 and 8000-8001");
  CHECK(error_of("70000:80") == "invalid hostPort: 70000");
  CHECK(error_of("") == "invalid containerPort: ");
}

TEST_CASE("--expose ranges") {
  CHECK(parse_exposed_ports("80") == std::vector<std::string>{"80/tcp"});
  CHECK(parse_exposed_ports("53/udp") == std::vector<std::string>{"53/udp"});
  CHECK(parse_exposed_ports("8000-8002").size() == 3);
  CHECK_THROWS_AS(parse_exposed_ports("x"), Error);
}

}  // namespace
}  // namespace tug
