// Tests for core/container_commit's config rules: what of a container's Config an image keeps.
#include "core/container_commit.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

namespace tug {
namespace {

Json container_config() {
  return Json::parse(R"({
    "Hostname": "abc123", "Domainname": "", "User": "", "AttachStdin": false, "Tty": true,
    "OpenStdin": false, "ExposedPorts": {},
    "Env": ["PATH=/usr/bin:/bin", "HOSTNAME=abc123", "TERM=xterm", "APP=1"],
    "Cmd": ["sh", "-c", "echo x > /new"], "Image": "busybox:test", "Volumes": null,
    "WorkingDir": "/srv", "Entrypoint": null, "Labels": {"a": "b"}, "StopSignal": ""})");
}

TEST_CASE("container_commit: the image keeps the container's config, not its run-time values") {
  Json section = commit_config_section(container_config(), {});
  CHECK(section["Env"] == Json::parse(R"(["PATH=/usr/bin:/bin", "APP=1"])"));
  CHECK(section["Cmd"] == Json::parse(R"(["sh", "-c", "echo x > /new"])"));
  CHECK(section["WorkingDir"] == "/srv");
  CHECK(section["Labels"]["a"] == "b");
  CHECK_FALSE(section.contains("Hostname"));
  CHECK_FALSE(section.contains("Tty"));
  CHECK_FALSE(section.contains("Entrypoint"));
  CHECK_FALSE(section.contains("ExposedPorts"));
  CHECK_FALSE(section.contains("StopSignal"));
}

TEST_CASE("container_commit: --change instructions apply on top") {
  Json section = commit_config_section(container_config(),
                                       {"CMD [\"cat\", \"/new\"]", "ENV B=2", "EXPOSE 80", "USER app"});
  CHECK(section["Cmd"] == Json::parse(R"(["cat", "/new"])"));
  CHECK(section["Env"].back() == "B=2");
  CHECK(section["ExposedPorts"].contains("80/tcp"));
  CHECK(section["User"] == "app");
  CHECK_THROWS_AS(commit_config_section(container_config(), {"RUN true"}), Error);
}

TEST_CASE("container_commit: the history entry names the command, author and message") {
  const CommitOptions o{.reference = "", .message = "added /new", .author = "me", .changes = {}};
  Json h = commit_history_entry(container_config(), "2024-01-01T00:00:00Z", o, false);
  CHECK(h["created_by"] == "sh -c echo x > /new");
  CHECK(h["comment"] == "added /new");
  CHECK(h["author"] == "me");
  CHECK_FALSE(h.contains("empty_layer"));
  Json empty = commit_history_entry(container_config(), "2024-01-01T00:00:00Z", CommitOptions{}, true);
  CHECK(empty["empty_layer"] == true);
  CHECK_FALSE(empty.contains("comment"));
}

}  // namespace
}  // namespace tug
