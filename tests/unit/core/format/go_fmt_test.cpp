// Tests for go_fmt and go_strconv: Go's %v printing, Sprint/Sprintf verbs, strconv.Quote,
// FormatFloat and encoding/json output, with expected strings taken from Go's documented rules.
#include "core/format/go_fmt.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "core/format/go_strconv.hpp"
#include "util/error.hpp"

using tug::Json;
namespace gofmt = tug::gofmt;

namespace {
std::string f(std::string_view format, std::vector<Json> args) { return gofmt::sprintf(format, args); }
}  // namespace

TEST_CASE("print_value formats like Go's %v") {
  CHECK(gofmt::print_value(Json("text")) == "text");
  CHECK(gofmt::print_value(Json(42)) == "42");
  CHECK(gofmt::print_value(Json(-7)) == "-7");
  CHECK(gofmt::print_value(Json(3.0)) == "3");
  CHECK(gofmt::print_value(Json(2.5)) == "2.5");
  CHECK(gofmt::print_value(Json(0.1)) == "0.1");
  CHECK(gofmt::print_value(Json(100000.0)) == "100000");
  CHECK(gofmt::print_value(Json(1000000.0)) == "1e+06");
  CHECK(gofmt::print_value(Json(123456789.0)) == "1.23456789e+08");
  CHECK(gofmt::print_value(Json(0.0001)) == "0.0001");
  CHECK(gofmt::print_value(Json(0.00001)) == "1e-05");
  CHECK(gofmt::print_value(Json(-0.0)) == "-0");
  CHECK(gofmt::print_value(Json(true)) == "true");
  CHECK(gofmt::print_value(Json()) == "<nil>");
  CHECK(gofmt::print_value(Json::array()) == "[]");
  CHECK(gofmt::print_value(Json::parse(R"([1,"a b",null,[2,3]])")) == "[1 a b <nil> [2 3]]");
  CHECK(gofmt::print_value(Json::parse(R"({"z":1,"a":{"y":"x"},"B":[]})")) == "map[B:[] a:map[y:x] z:1]");
  CHECK(gofmt::print_value(Json::object()) == "map[]");
  CHECK(gofmt::print_value(Json(std::numeric_limits<double>::infinity())) == "+Inf");
  CHECK(gofmt::print_value(Json(std::nan(""))) == "NaN");
}

TEST_CASE("sprint and sprintln space operands like Go") {
  std::vector<Json> args{"a", 1, 2, "b", "c"};
  CHECK(gofmt::sprint(args) == "a1 2bc");
  CHECK(gofmt::sprintln(args) == "a 1 2 b c\n");
  CHECK(gofmt::sprint({}) == "");
}

TEST_CASE("sprintf strings and widths") {
  CHECK(f("%5s|%-5s|%.2s|", {"ab", "ab", "abc"}) == "   ab|ab   |ab|");
  CHECK(f("%8.3s|", {"abcdef"}) == "     abc|");
  CHECK(f("%-10s|", {"ñandú"}) == "ñandú     |");  // width counts runes, not bytes
  CHECK(f("%q", {"a\"b\n"}) == R"("a\"b\n")");
  CHECK(f("%x % x %X", {"hi", "hi", "hi"}) == "6869 68 69 6869");
  CHECK(f("%*d|%-*d|", {5, 42, 4, 7}) == "   42|7   |");
  CHECK(f("%[2]d %[1]d", {1, 2}) == "2 1");
  CHECK(f("100%%", {}) == "100%");
}

TEST_CASE("sprintf integers") {
  CHECK(f("%d|%05d|%+d|% d", {42, -42, 5, 5}) == "42|-0042|+5| 5");
  CHECK(f("%x|%X|%#x|%o|%b|%x", {255, 255, 255, 8, 5, -255}) == "ff|FF|0xff|10|101|-ff");
  CHECK(f("%.3d|%.0d|", {7, 0}) == "007||");
  CHECK(f("%c%c|%q", {72, 105, 65}) == "Hi|'A'");
  CHECK(f("%v", {Json(18446744073709551615ULL)}) == "18446744073709551615");
}

TEST_CASE("sprintf floats") {
  CHECK(f("%6.2f|%06.2f|%+.1f", {3.14159, -1.5, 2.0}) == "  3.14|-01.50|+2.0");
  CHECK(f("%f|%e|%E", {1.5, 1234.5678, 1234.5678}) == "1.500000|1.234568e+03|1.234568E+03");
  CHECK(f("%g|%g|%g|%.3g", {0.00001234, 100000.0, 1e6, 1234.0}) == "1.234e-05|100000|1e+06|1.23e+03");
  CHECK(f("%.0f|%.2f|%.1f", {2.5, 0.125, 0.05}) == "2|0.12|0.1");  // exact halves round to even
  CHECK(f("%v|%v", {1e21, 1.5}) == "1e+21|1.5");
}

TEST_CASE("sprintf reports misuse the way Go does") {
  CHECK(f("%d", {"x"}) == "%!d(string=x)");
  CHECK(f("%s", {5}) == "%!s(int=5)");
  CHECK(f("%t", {1.5}) == "%!t(float64=1.5)");
  CHECK(f("%d %d", {1}) == "1 %!d(MISSING)");
  CHECK(f("%d", {1, "a", Json()}) == "1%!(EXTRA string=a, <nil>)");
  CHECK(f("abc%", {}) == "abc%!(NOVERB)");
  CHECK(f("%z", {1}) == "%!z(int=1)");
  CHECK(f("%v|%s", {Json(), Json()}) == "<nil>|%!s(<nil>)");
  CHECK(f("%T %T %T %T", {"x", 1.5, 2, Json::array()}) == "string float64 int []interface {}");
  CHECK(f("%d", {Json::parse(R"([1,"a"])")}) == "[1 %!d(string=a)]");
}

TEST_CASE("quote follows strconv.Quote") {
  CHECK(gofmt::quote("plain") == "\"plain\"");
  CHECK(gofmt::quote("héllo") == "\"héllo\"");
  CHECK(gofmt::quote("a\x01\x7f\t\\") == R"("a\x01\x7f\t\\")");
  CHECK(gofmt::quote("bad\xff") == R"("bad\xff")");
  CHECK(gofmt::quote("\u2028") == R"("\u2028")");
}

TEST_CASE("format_float matches strconv.FormatFloat") {
  CHECK(gofmt::format_float(1e21, 'f', -1) == "1000000000000000000000");
  CHECK(gofmt::format_float(1.5, 'e', -1) == "1.5e+00");
  CHECK(gofmt::format_float(1234.0, 'g', 3) == "1.23e+03");
  CHECK(gofmt::format_float(0.0, 'g', -1) == "0");
  CHECK(gofmt::format_float(0.0, 'e', 2) == "0.00e+00");
  CHECK(gofmt::format_float(123.456, 'f', 1) == "123.5");
  CHECK(gofmt::format_float(1e-7, 'e', -1) == "1e-07");
}

TEST_CASE("json_encode produces Go's encoding/json output") {
  Json v = Json::parse(R"({"z":1,"a":[1,2.5,"x",null,true],"b":{},"c":[]})");
  CHECK(gofmt::json_encode(v, false) == R"({"z":1,"a":[1,2.5,"x",null,true],"b":{},"c":[]})");
  CHECK(gofmt::json_encode(Json("<a>&"), false) == R"("<a>&")");
  CHECK(gofmt::json_encode(Json("<a>&"), true) == R"("\u003ca\u003e\u0026")");
  CHECK(gofmt::json_encode(Json("q\"\\\n\r\t\b\f\x01"), false) == R"("q\"\\\n\r\t\b\f\u0001")");
  CHECK(gofmt::json_encode(Json("a\xff"
                                "b\u2028"),
                           false) == R"("a\ufffdb\u2028")");
  CHECK(gofmt::json_encode(Json("héllo"), false) == "\"héllo\"");
  CHECK(gofmt::json_encode(Json(1000000.0), false) == "1000000");
  CHECK(gofmt::json_encode(Json(1e21), false) == "1e+21");
  CHECK(gofmt::json_encode(Json(1e-7), false) == "1e-7");
  CHECK(gofmt::json_encode(Json(0.000001), false) == "0.000001");
  CHECK(gofmt::json_encode(Json(-3), false) == "-3");
  CHECK_THROWS_AS(gofmt::json_encode(Json(std::nan("")), false), tug::Error);
}

TEST_CASE("rune_count counts code points") {
  CHECK(gofmt::rune_count("ab") == 2);
  CHECK(gofmt::rune_count("ñandú") == 5);
  CHECK(gofmt::rune_count("日本") == 2);
  CHECK(gofmt::rune_count("a\xff") == 2);
}
