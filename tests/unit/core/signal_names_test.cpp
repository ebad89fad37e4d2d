#include "core/signal_names.hpp"

#include <doctest/doctest.h>
#include <signal.h>

#include "util/error.hpp"

using namespace tug;

TEST_CASE("signal names as docker parses them") {
  CHECK(parse_signal("KILL") == SIGKILL);
  CHECK(parse_signal("SIGTERM") == SIGTERM);
  CHECK(parse_signal("sigusr1") == SIGUSR1);
  CHECK(parse_signal("9") == 9);
  CHECK(parse_signal("SIGRTMIN+3") == SIGRTMIN + 3);
  CHECK_THROWS_AS(parse_signal("NOPE"), Error);
  CHECK_THROWS_AS(parse_signal("0"), Error);
  CHECK_THROWS_AS(parse_signal(""), Error);
}
