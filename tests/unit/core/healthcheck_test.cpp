#include "core/healthcheck.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

namespace tug {
namespace {

std::string error_of(const Json& image, const HealthFlags& flags) {
  try {
    healthcheck_config(image, flags);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("healthcheck flags become Config.Healthcheck as docker writes it") {
  HealthFlags f;
  CHECK(healthcheck_config(Json(), f).is_null());
  f.cmd = "wget -q localhost";
  f.interval = "2s";
  f.retries = 4;
  Json hc = healthcheck_config(Json(), f);
  CHECK(hc["Test"] == Json::array({"CMD-SHELL", "wget -q localhost"}));
  CHECK(hc["Interval"] == 2000000000);
  CHECK(hc["Retries"] == 4);
  CHECK_FALSE(hc.contains("Timeout"));  // zero fields are left out (omitempty)
  CHECK_FALSE(hc.contains("StartPeriod"));
}

TEST_CASE("flags merge over the image's HEALTHCHECK; --no-healthcheck disables it") {
  Json image = {{"Test", {"CMD", "/check"}}, {"Interval", 5000000000}, {"Retries", 2}};
  HealthFlags none;
  CHECK(healthcheck_config(image, none) == image);
  HealthFlags timing;
  timing.timeout = "1s";
  Json hc = healthcheck_config(image, timing);
  CHECK(hc["Test"] == Json::array({"CMD", "/check"}));
  CHECK(hc["Interval"] == 5000000000);
  CHECK(hc["Timeout"] == 1000000000);
  CHECK(hc["Retries"] == 2);
  HealthFlags off;
  off.disabled = true;
  CHECK(healthcheck_config(image, off) == Json{{"Test", {"NONE"}}});
  CHECK_FALSE(HealthSettings::from_config(healthcheck_config(image, off)).has_value());
}

TEST_CASE("bad healthcheck flags: docker's errors") {
  HealthFlags f;
  f.interval = "soon";
  CHECK(error_of(Json(), f) ==
        "invalid argument \"soon\" for \"--health-interval\" flag: time: invalid duration \"soon\"");
  f.interval = "-1s";
  CHECK(error_of(Json(), f) == "--health-interval cannot be negative");
  HealthFlags r;
  r.retries = -1;
  CHECK(error_of(Json(), r) == "--health-retries cannot be negative");
  HealthFlags both;
  both.disabled = true;
  both.cmd = "true";
  CHECK(error_of(Json(), both) == "--no-healthcheck conflicts with --health-* options");
}

TEST_CASE("settings: CMD-SHELL runs through /bin/sh, docker's defaults fill the gaps") {
  auto s = HealthSettings::from_config(Json{{"Test", {"CMD-SHELL", "exit 1"}}});
  REQUIRE(s.has_value());
  CHECK(s->argv == std::vector<std::string>{"/bin/sh", "-c", "exit 1"});
  CHECK(s->interval_ns == 30000000000);
  CHECK(s->timeout_ns == 30000000000);
  CHECK(s->retries == 3);
  auto c = HealthSettings::from_config(Json{{"Test", {"CMD", "/bin/true", "x"}}, {"Interval", 1000000}});
  REQUIRE(c.has_value());
  CHECK(c->argv == std::vector<std::string>{"/bin/true", "x"});
  CHECK(c->interval_ns == 1000000);
  CHECK_FALSE(HealthSettings::from_config(Json{{"Test", Json::array()}}).has_value());
}

TEST_CASE("State.Health follows the probes: streaks, retries, start period, five log entries") {
  Json h = starting_health();
  ProbeResult fail{"t0", "t1", 1, "nope"};
  ProbeResult ok{"t2", "t3", 0, ""};
  record_probe(h, fail, true, 2);  // within the start period: does not count
  CHECK(h["Status"] == "starting");
  CHECK(h["FailingStreak"] == 0);
  record_probe(h, fail, false, 2);
  CHECK(h["Status"] == "starting");
  CHECK(h["FailingStreak"] == 1);
  record_probe(h, fail, false, 2);
  CHECK(h["Status"] == "unhealthy");
  CHECK(h["FailingStreak"] == 2);
  record_probe(h, ok, false, 2);
  CHECK(h["Status"] == "healthy");
  CHECK(h["FailingStreak"] == 0);
  record_probe(h, fail, true, 2);  // the start period only protects a container still starting
  CHECK(h["FailingStreak"] == 1);
  for (int i = 0; i < 5; ++i) record_probe(h, ok, false, 2);
  CHECK(h["Log"].size() == 5);
  CHECK(h["Log"].back()["ExitCode"] == 0);
  CHECK(h["Log"].back()["Start"] == "t2");
}

}  // namespace
}  // namespace tug
