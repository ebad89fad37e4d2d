// docker's rules (cli/command/container/opts.go for the flags, daemon/commit.go for the merge,
// daemon/health.go for the state), kept in one place so that create, the monitor and inspect
// agree on them.
#include "core/healthcheck.hpp"

#include "core/format/go_duration.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

constexpr size_t kMaxLogEntries = 5;

int64_t duration_flag(const std::string& value, const char* flag) {
  if (value.empty()) return 0;
  int64_t ns = 0;
  try {
    ns = parse_go_duration(value);
  } catch (const Error& e) {
    fail("invalid argument \"{}\" for \"{}\" flag: {}", value, flag, e.what());
  }
  if (ns < 0) fail("{} cannot be negative", flag);
  return ns;
}

int64_t json_ns(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}

}  // namespace

Json healthcheck_config(const Json& image_healthcheck, const HealthFlags& flags) {
  bool any_option = !flags.cmd.empty() || !flags.interval.empty() || !flags.timeout.empty() ||
                    !flags.start_period.empty() || flags.retries.has_value();
  if (flags.disabled && any_option) fail("--no-healthcheck conflicts with --health-* options");
  if (flags.disabled) return Json{{"Test", Json::array({"NONE"})}};
  int64_t interval = duration_flag(flags.interval, "--health-interval");
  int64_t timeout = duration_flag(flags.timeout, "--health-timeout");
  int64_t start_period = duration_flag(flags.start_period, "--health-start-period");
  if (flags.retries && *flags.retries < 0) fail("--health-retries cannot be negative");

  const Json& image = image_healthcheck;
  if (!any_option) return image.is_object() ? image : Json();
  Json out = Json::object();
  if (!flags.cmd.empty())
    out["Test"] = Json::array({"CMD-SHELL", flags.cmd});
  else if (image.is_object() && image.contains("Test"))
    out["Test"] = image["Test"];
  auto take = [&](const char* key, int64_t mine) {
    int64_t value = mine ? mine : json_ns(image, key);
    if (value) out[key] = value;
  };
  take("Interval", interval);
  take("Timeout", timeout);
  take("StartPeriod", start_period);
  int retries = flags.retries.value_or(0);
  if (!retries && image.is_object()) retries = image.value("Retries", 0);
  if (retries) out["Retries"] = retries;
  return out;
}

std::optional<HealthSettings> HealthSettings::from_config(const Json& healthcheck) {
  if (!healthcheck.is_object() || !healthcheck.contains("Test") || !healthcheck["Test"].is_array())
    return std::nullopt;
  const Json& test = healthcheck["Test"];
  if (test.empty() || test[0] == "NONE") return std::nullopt;
  HealthSettings s;
  std::string kind = test[0].get<std::string>();
  if (kind == "CMD-SHELL") {
    if (test.size() < 2) return std::nullopt;
    s.argv = {"/bin/sh", "-c", test[1].get<std::string>()};
  } else if (kind == "CMD") {
    for (size_t i = 1; i < test.size(); ++i) s.argv.push_back(test[i].get<std::string>());
  } else {
    return std::nullopt;  // docker errors on run; an unknown kind never probes
  }
  if (s.argv.empty()) return std::nullopt;
  if (int64_t v = json_ns(healthcheck, "Interval")) s.interval_ns = v;
  if (int64_t v = json_ns(healthcheck, "Timeout")) s.timeout_ns = v;
  s.start_period_ns = json_ns(healthcheck, "StartPeriod");
  if (int r = healthcheck.value("Retries", 0); r > 0) s.retries = r;
  return s;
}

Json starting_health() { return Json{{"Status", "starting"}, {"FailingStreak", 0}, {"Log", Json::array()}}; }

void record_probe(Json& health, const ProbeResult& result, bool within_start_period, int retries) {
  if (!health.is_object()) health = starting_health();
  int streak = health.value("FailingStreak", 0);
  std::string status = health.value("Status", "starting");
  if (result.exit_code == 0) {
    streak = 0;
    status = "healthy";
  } else if (!(status == "starting" && within_start_period)) {
    ++streak;
    if (streak >= retries) status = "unhealthy";
  }
  health["Status"] = status;
  health["FailingStreak"] = streak;
  Json& log = health["Log"];
  if (!log.is_array()) log = Json::array();
  log.push_back({{"Start", result.start},
                 {"End", result.end},
                 {"ExitCode", result.exit_code},
                 {"Output", result.output}});
  while (log.size() > kMaxLogEntries) log.erase(log.begin());
}

}  // namespace tug
