#include "core/format/go_duration.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

namespace tug {
namespace {

std::string error_of(std::string_view text) {
  try {
    parse_go_duration(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("go durations parse as time.ParseDuration") {
  CHECK(parse_go_duration("0") == 0);
  CHECK(parse_go_duration("1s") == 1000000000);
  CHECK(parse_go_duration("300ms") == 300000000);
  CHECK(parse_go_duration("1m30s") == 90000000000);
  CHECK(parse_go_duration("1.5h") == 5400000000000);
  CHECK(parse_go_duration("0.2s") == 200000000);
  CHECK(parse_go_duration(".5s") == 500000000);
  CHECK(parse_go_duration("10us") == 10000);
  CHECK(parse_go_duration("10\xC2\xB5s") == 10000);
  CHECK(parse_go_duration("7ns") == 7);
  CHECK(parse_go_duration("-2m") == -120000000000);
  CHECK(parse_go_duration("+1h1m1s") == 3661000000000);
}

TEST_CASE("go duration errors carry Go's wording") {
  CHECK(error_of("") == "time: invalid duration \"\"");
  CHECK(error_of("abc") == "time: invalid duration \"abc\"");
  CHECK(error_of("1") == "time: missing unit in duration \"1\"");
  CHECK(error_of("1d") == "time: unknown unit \"d\" in duration \"1d\"");
  CHECK(error_of(".s") == "time: invalid duration \".s\"");
  CHECK(error_of("99999999999999999999h") == "time: invalid duration \"99999999999999999999h\"");
}

}  // namespace
}  // namespace tug
