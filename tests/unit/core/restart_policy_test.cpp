#include "core/restart_policy.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

using namespace tug;

TEST_CASE("restart policies parse as docker's") {
  CHECK(parse_restart_policy("").name == "no");
  CHECK(parse_restart_policy("always").name == "always");
  CHECK(parse_restart_policy("unless-stopped").name == "unless-stopped");
  RestartPolicy p = parse_restart_policy("on-failure:3");
  CHECK(p.name == "on-failure");
  CHECK(p.maximum_retry_count == 3);
  CHECK(parse_restart_policy("on-failure").maximum_retry_count == 0);
  CHECK_THROWS_AS(parse_restart_policy("sometimes"), Error);
  CHECK_THROWS_AS(parse_restart_policy("always:3"), Error);
  CHECK_THROWS_AS(parse_restart_policy("on-failure:x"), Error);
  CHECK(RestartPolicy::from_json(p.to_json()).maximum_retry_count == 3);
}

TEST_CASE("the restart decision") {
  RestartPolicy no, always = parse_restart_policy("always"), failure = parse_restart_policy("on-failure:2");
  CHECK_FALSE(should_restart(no, 1, 0, false));
  CHECK(should_restart(always, 0, 5, false));
  CHECK_FALSE(should_restart(always, 0, 5, true));
  CHECK_FALSE(should_restart(failure, 0, 0, false));
  CHECK(should_restart(failure, 1, 1, false));
  CHECK_FALSE(should_restart(failure, 1, 2, false));
  CHECK(should_restart(parse_restart_policy("on-failure"), 1, 100, false));
}

TEST_CASE("restart back-off doubles on quick exits and resets after a long run") {
  using namespace std::chrono;
  RestartBackoff b;
  CHECK(b.next(milliseconds(5)) == milliseconds(100));
  CHECK(b.next(milliseconds(5)) == milliseconds(200));
  CHECK(b.next(milliseconds(5)) == milliseconds(400));
  CHECK(b.next(seconds(11)) == milliseconds(100));
  for (int i = 0; i < 20; i++) b.next(milliseconds(1));
  CHECK(b.next(milliseconds(1)) == milliseconds(60000));
}
