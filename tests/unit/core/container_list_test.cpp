// The strings of a `tug ps` row (STATUS, COMMAND, PORTS, SIZE) against docker's, and the PID
// filter of `tug top` on real ps output.
#include "core/container_list.hpp"

#include <doctest/doctest.h>

#include "core/container_top.hpp"
#include "core/format/human_units.hpp"
#include "util/error.hpp"

using namespace tug;

namespace {

const int64_t kNow = parse_rfc3339_ns("2024-03-10T12:00:00.500000000Z");

ContainerState state(const std::string& status, const std::string& started, const std::string& finished,
                     int exit_code = 0) {
  ContainerState s;
  s.status = status;
  s.started_at = started;
  s.finished_at = finished;
  s.exit_code = exit_code;
  return s;
}

}  // namespace

TEST_CASE("status strings follow moby's State.String()") {
  const std::string zero = "0001-01-01T00:00:00Z";
  CHECK(container_status_text(state("created", zero, zero), kNow) == "Created");
  CHECK(container_status_text(state("running", "2024-03-10T11:59:55.400000000Z", zero), kNow) ==
        "Up 5 seconds");
  CHECK(container_status_text(state("running", "2024-03-10T12:00:00.1Z", zero), kNow) ==
        "Up Less than a second");
  CHECK(container_status_text(state("running", "2024-03-10T11:58:00Z", zero), kNow) == "Up 2 minutes");
  CHECK(container_status_text(state("paused", "2024-03-10T10:00:00Z", zero), kNow) == "Up 2 hours (Paused)");
  CHECK(container_status_text(state("restarting", "2024-03-10T11:00:00Z", "2024-03-10T11:59:57Z", 1), kNow) ==
        "Restarting (1) 3 seconds ago");
  CHECK(container_status_text(state("exited", "2024-03-01T00:00:00Z", "2024-03-02T12:00:00Z", 0), kNow) ==
        "Exited (0) 8 days ago");
  CHECK(container_status_text(state("exited", "2024-03-10T11:00:00Z", "2024-03-10T11:59:59Z", 137), kNow) ==
        "Exited (137) 1 second ago");
  CHECK(container_status_text(state("dead", "2024-03-10T11:00:00Z", zero), kNow) == "Dead");

  ContainerState healthy = state("running", "2024-03-10T11:57:00Z", zero);
  healthy.health = Json{{"Status", "healthy"}, {"FailingStreak", 0}, {"Log", Json::array()}};
  CHECK(container_status_text(healthy, kNow) == "Up 3 minutes (healthy)");
  healthy.health["Status"] = "unhealthy";
  CHECK(container_status_text(healthy, kNow) == "Up 3 minutes (unhealthy)");
  healthy.health["Status"] = "starting";
  CHECK(container_status_text(healthy, kNow) == "Up 3 minutes (health: starting)");
}

TEST_CASE("the command is Path and Args, spaced args in single quotes") {
  CHECK(container_command_text(Json{{"Path", "sleep"}, {"Args", {"1000"}}}) == "sleep 1000");
  CHECK(container_command_text(Json{{"Path", "sh"}, {"Args", {"-c", "echo hi"}}}) == "sh -c 'echo hi'");
  CHECK(container_command_text(Json{{"Path", "true"}, {"Args", Json::array()}}) == "true");
}

TEST_CASE("ellipsis cuts to a display width with …") {
  CHECK(ellipsis("sleep 1000", 20) == "sleep 1000");
  CHECK(ellipsis("12345678901234567890", 20) == "12345678901234567890");
  CHECK(ellipsis("sh -c 'while true; do sleep 1; done'", 20) == "sh -c 'while true; …");
  CHECK(ellipsis("ééééé", 3) == "éé…");
  CHECK(ellipsis("abc", 0).empty());
}

TEST_CASE("ports render as docker's DisplayablePorts") {
  std::vector<PortSummary> ports = {{80, 8080, "tcp", "0.0.0.0"},
                                    {9988, 0, "tcp", ""},
                                    {8000, 8000, "tcp", "0.0.0.0"},
                                    {8001, 8001, "tcp", "0.0.0.0"},
                                    {53, 0, "udp", ""}};
  CHECK(displayable_ports(ports) ==
        "53/udp, 0.0.0.0:8000-8001->8000-8001/tcp, 9988/tcp, 0.0.0.0:8080->80/tcp");
  CHECK(displayable_ports({{80, 8080, "tcp", "::"}}) == "[::]:8080->80/tcp");
  CHECK(displayable_ports({}).empty());
}

TEST_CASE("published ports come from the network settings, else the port bindings") {
  Json config = {{"Config", {{"ExposedPorts", {{"443/tcp", Json::object()}}}}},
                 {"HostConfig", {{"PortBindings", {{"80/tcp", {{{"HostIp", ""}, {"HostPort", "8080"}}}}}}}}};
  Json ports = published_ports(config, true);
  CHECK(ports["80/tcp"][0]["HostIp"] == "0.0.0.0");
  CHECK(ports["80/tcp"][0]["HostPort"] == "8080");
  CHECK(ports["443/tcp"].is_null());
  CHECK(displayable_ports(port_summaries(ports)) == "443/tcp, 0.0.0.0:8080->80/tcp");
  // A stopped container publishes nothing.
  CHECK(published_ports(config, false).empty());
  // What the network setup recorded wins.
  config["NetworkSettings"] = {{"Ports", {{"80/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", "9000"}}}}}}};
  CHECK(displayable_ports(port_summaries(published_ports(config, true))) == "127.0.0.1:9000->80/tcp");
}

TEST_CASE("sizes as docker's SIZE column") {
  CHECK(size_text(12, 1200000) == "12B (virtual 1.2MB)");
  CHECK(size_text(0, 0) == "0B");
  CHECK(size_text(4096, 0) == "4.1kB");
  CHECK(join_host_port("0.0.0.0", "80") == "0.0.0.0:80");
  CHECK(join_host_port("::1", "80") == "[::1]:80");
}

TEST_CASE("top keeps the container's rows of ps -ef") {
  std::string out =
      "UID          PID    PPID  C STIME TTY          TIME CMD\n"
      "root           1       0  0 Nov28 ?        00:00:38 /sbin/init\n"
      "100000      4242    4200  0 10:00 ?        00:00:00 sleep 1000\n"
      "100000      4243    4242  0 10:00 ?        00:00:00 sh -c echo  hi\n";
  ProcessTable t = parse_ps_output(out, {4242, 4243});
  REQUIRE(t.titles.size() == 8);
  CHECK(t.titles[1] == "PID");
  REQUIRE(t.processes.size() == 2);
  CHECK(t.processes[0][1] == "4242");
  CHECK(t.processes[0][7] == "sleep 1000");
  CHECK(t.processes[1][7] == "sh -c echo hi");
  CHECK_THROWS_AS(parse_ps_output("USER COMMAND\nroot init\n", {1}), Error);
  std::string table = format_process_table(t);
  CHECK(table.substr(0, table.find('\n')) ==
        "UID                 PID                 PPID                C                   STIME               "
        "TTY                 TIME                CMD");
}
