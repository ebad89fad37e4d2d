// --restart parsing and the restart decision, as docker's daemon applies them.
#include "core/restart_policy.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace tug {

Json RestartPolicy::to_json() const {
  return Json{{"Name", name}, {"MaximumRetryCount", maximum_retry_count}};
}

RestartPolicy RestartPolicy::from_json(const Json& j) {
  RestartPolicy p;
  if (!j.is_object()) return p;
  p.name = j.value("Name", "no");
  if (p.name.empty()) p.name = "no";
  p.maximum_retry_count = j.value("MaximumRetryCount", 0);
  return p;
}

RestartPolicy parse_restart_policy(const std::string& text) {
  RestartPolicy p;
  if (text.empty()) return p;
  auto colon = text.find(':');
  p.name = text.substr(0, colon);
  if (p.name != "no" && p.name != "always" && p.name != "unless-stopped" && p.name != "on-failure")
    fail("invalid restart policy '{}'", p.name);
  if (colon != std::string::npos) {
    std::string count = text.substr(colon + 1);
    if (p.name != "on-failure")
      fail("invalid restart policy: maximum retry count can only be used with 'on-failure'");
    if (count.empty() || count.find_first_not_of("0123456789") != std::string::npos || count.size() > 9)
      fail("invalid restart policy format: maximum retry count must be an integer");
    p.maximum_retry_count = std::stoi(count);
  }
  return p;
}

bool should_restart(const RestartPolicy& policy, int exit_code, int restart_count, bool stopped_by_user) {
  if (stopped_by_user) return false;
  if (policy.name == "always" || policy.name == "unless-stopped") return true;
  if (policy.name == "on-failure")
    return exit_code != 0 && (policy.maximum_retry_count == 0 || restart_count < policy.maximum_retry_count);
  return false;
}

std::chrono::milliseconds RestartBackoff::next(std::chrono::steady_clock::duration last_run) {
  using std::chrono::milliseconds;
  if (last_run >= std::chrono::seconds(10) || delay_.count() == 0)
    delay_ = milliseconds(100);
  else
    delay_ = std::min<milliseconds>(delay_ * 2, milliseconds(60000));
  return delay_;
}

}  // namespace tug
