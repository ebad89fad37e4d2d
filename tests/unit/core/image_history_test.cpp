// Tests for core/image_history: history steps matched with layers (newest first, empty_layer
// steps sized 0B, <missing> IDs below the top) and docker's row formatting.
#include "core/image_history.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <map>

#include "util/error.hpp"

namespace tug {
namespace {

const std::string kId = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Json config_with_history() {
  return Json::parse(R"({
    "rootfs": {"type": "layers", "diff_ids": ["sha256:1111", "sha256:2222"]},
    "history": [
      {"created": "2024-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
      {"created": "2024-01-01T00:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": true},
      {"created": "2024-01-02T00:00:00Z", "created_by": "RUN /bin/sh -c echo hi > /greeting # buildkit",
       "comment": "buildkit.dockerfile.v0"}
    ]})");
}

int64_t fake_size(const std::string& diff_id) {
  static const std::map<std::string, int64_t> sizes = {{"sha256:1111", 4261550}, {"sha256:2222", 3}};
  return sizes.at(diff_id);
}

TEST_CASE("history: newest first, layers matched in order, empty layers 0, <missing> below the top") {
  auto rows = build_history(kId, config_with_history(), fake_size);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].id == kId);
  CHECK(rows[0].created_by == "RUN /bin/sh -c echo hi > /greeting # buildkit");
  CHECK(rows[0].size == 3);
  CHECK(rows[0].comment == "buildkit.dockerfile.v0");
  CHECK(rows[0].created == 1704153600);
  CHECK(rows[1].id == "<missing>");
  CHECK(rows[1].size == 0);
  CHECK(rows[2].id == "<missing>");
  CHECK(rows[2].size == 4261550);
  CHECK(rows[2].created == 1704067200);
}

TEST_CASE("history: no history gives no rows; more non-empty steps than layers is an error") {
  CHECK(build_history(kId, Json::parse(R"({"rootfs":{"diff_ids":["sha256:1111"]}})"), fake_size).empty());
  Json bad = Json::parse(
      R"({"rootfs":{"diff_ids":["sha256:1111"]},"history":[{"created_by":"a"},{"created_by":"b"}]})");
  CHECK_THROWS_WITH_AS(build_history(kId, bad, fake_size), "too many non-empty layers in History section",
                       Error);
}

TEST_CASE("history: rows as docker's CLI prints them") {
  auto entries = build_history(kId, config_with_history(), fake_size);
  HistoryStyle style;
  style.now = 1704153600 + 3 * 3600;
  Json top = history_row(entries[0], style);
  CHECK(top["ID"] == "0123456789ab");
  CHECK(top["CreatedSince"] == "3 hours ago");
  CHECK(top["Size"] == "3B");
  CHECK(top["Comment"] == "buildkit.dockerfile.v0");
  // 44 characters and the ellipsis: 45 columns.
  CHECK(top["CreatedBy"] == "RUN /bin/sh -c echo hi > /greeting # buildkit");  // exactly 45: kept
  Json base = history_row(entries[2], style);
  CHECK(base["ID"] == "<missing>");
  CHECK(base["Size"] == "4.26MB");
  CHECK(base["CreatedBy"] == "/bin/sh -c #(nop) ADD file:abc in / ");
  Json cmd = history_row(entries[1], style);
  CHECK(cmd["Size"] == "0B");
  CHECK(cmd["CreatedSince"] == "27 hours ago");
  // The key order is docker's `--format json` order.
  CHECK(top.dump().rfind(R"({"Comment":)", 0) == 0);
}

TEST_CASE("history: long CREATED BY is cut to 45 columns unless --no-trunc; tabs become spaces") {
  HistoryEntry e{kId, 1704067200, "/bin/sh -c\tapt-get update && apt-get install -y curl ca-certificates", 0,
                 ""};
  HistoryStyle style;
  style.now = 1704067200;
  Json row = history_row(e, style);
  CHECK(row["CreatedBy"] == "/bin/sh -c apt-get update && apt-get install…");
  style.no_trunc = true;
  row = history_row(e, style);
  CHECK(row["CreatedBy"] == "/bin/sh -c apt-get update && apt-get install -y curl ca-certificates");
  CHECK(row["ID"] == kId);
}

TEST_CASE("history: -H=false prints raw sizes and RFC 3339 dates") {
  setenv("TZ", "UTC", 1);
  tzset();
  HistoryEntry e{kId, 1704067200, "x", 4261550, ""};
  HistoryStyle style;
  style.human = false;
  Json row = history_row(e, style);
  CHECK(row["Size"] == "4261550");
  CHECK(row["CreatedAt"] == "2024-01-01T00:00:00Z");
  CHECK(row["CreatedSince"] == "2024-01-01T00:00:00Z");
}

TEST_CASE("history: ellipsis counts display columns") {
  CHECK(ellipsis("abcdef", 4) == "abc…");
  CHECK(ellipsis("abcd", 4) == "abcd");
  CHECK(ellipsis("", 4) == "");
  CHECK(ellipsis("abc", 1) == "a");
  CHECK(ellipsis("abc", 0) == "");
  // Wide characters take two columns each.
  CHECK(ellipsis("日本語テキスト", 7) == "日本語…");
  CHECK(ellipsis("日本", 4) == "日本");
}

}  // namespace
}  // namespace tug
