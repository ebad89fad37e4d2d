// Tests for render_listing: docker's default/table/json/custom --format handling, headers,
// zero-row behaviour, `\t` escapes and tabwriter alignment of `ps`-style rows.
#include "core/format/listing.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

using tug::Json;

namespace {

// docker keeps `\t` as two characters in its default formats; render_listing turns them into tabs.
constexpr std::string_view kDefault = R"(table {{.ID}}\t{{.Image}}\t{{.Names}})";

const std::map<std::string, std::string> kHeaders = {
    {"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Names", "NAMES"}, {"Status", "STATUS"}};

std::vector<Json> rows() {
  return {
      Json::parse(R"({"ID":"0123456789ab","Image":"busybox","Names":"web","Status":"Up 2 hours","Size":3})"),
      Json::parse(
          R"j({"ID":"fedcba987654","Image":"alpine:latest","Names":"db","Status":"Exited (0)","Size":10})j")};
}

std::string render(std::string_view format, const std::vector<Json>& r = rows()) {
  return tug::render_listing(format, kDefault, r, kHeaders);
}

}  // namespace

TEST_CASE("default and bare `table` print the aligned default table") {
  std::string expected =
      "CONTAINER ID   IMAGE           NAMES\n"
      "0123456789ab   busybox         web\n"
      "fedcba987654   alpine:latest   db\n";
  CHECK(render("") == expected);
  CHECK(render("table") == expected);
}

TEST_CASE("table templates print the header even with no rows") {
  CHECK(render("", {}) == "CONTAINER ID   IMAGE     NAMES\n");
  CHECK(render("table {{.Foo}}", {}) == "FOO\n");
}

TEST_CASE("non-table templates print one line per row and nothing for no rows") {
  CHECK(render("{{.ID}}") == "0123456789ab\nfedcba987654\n");
  CHECK(render(R"({{.ID}}\t{{.Names}})") == "0123456789ab\tweb\nfedcba987654\tdb\n");  // tabs, not aligned
  CHECK(render("{{.ID}}", {}) == "");
  CHECK(render("  {{.Names}}  ") == "web\ndb\n");  // docker trims surrounding spaces
}

TEST_CASE("json prints one compact object per line") {
  CHECK(render("json") ==
        "{\"ID\":\"0123456789ab\",\"Image\":\"busybox\",\"Names\":\"web\",\"Status\":\"Up 2 "
        "hours\",\"Size\":3}\n"
        "{\"ID\":\"fedcba987654\",\"Image\":\"alpine:latest\",\"Names\":\"db\",\"Status\":\"Exited (0)\","
        "\"Size\":10}\n");
  CHECK(render("json", {}) == "");
}

TEST_CASE("custom tables: known headers, upper-cased names, header functions") {
  CHECK(render(R"(table {{.Names}}\t{{.Status}}\t{{.Size}})") ==
        "NAMES     STATUS       SIZE\n"
        "web       Up 2 hours   3\n"
        "db        Exited (0)   10\n");
  CHECK(render("table {{json .Names}}\t{{upper .Image}}") ==
        "NAMES     IMAGE\n"
        "\"web\"     BUSYBOX\n"
        "\"db\"      ALPINE:LATEST\n");
  // docker trims only spaces after "table": the tab stays and makes an empty first column.
  CHECK(render("table\t{{.ID}}:{{.Names}}") ==
        "          CONTAINER ID:NAMES\n"
        "          0123456789ab:web\n"
        "          fedcba987654:db\n");
}

TEST_CASE("a header that fails keeps what it printed, like docker") {
  // Header values are strings, so `index` fails on the header but works on the rows.
  std::vector<Json> r = {Json::parse(R"({"Labels":{"a":"1"}})")};
  CHECK(tug::render_listing(R"(table x{{index .Labels "a"}}\ty)", kDefault, r, {}) == "x\nx1        y\n");
}

TEST_CASE("template errors carry docker's prefix") {
  auto error_of = [](std::string_view format) {
    try {
      render(format);
    } catch (const tug::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error_of("{{.ID") == "template parsing error: template: :1: unclosed action");
  CHECK(
      error_of("{{.ID.X}}") ==
      R"(template parsing error: template: :1:2: executing "" at <.ID.X>: can't evaluate field X in type string)");
}
