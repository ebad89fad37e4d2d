#include "core/json_log.hpp"

#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include "../fs/fs_test_util.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

using namespace tug;
using namespace std::chrono_literals;

namespace {

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

UniqueFd memfd() {
  UniqueFd fd(::memfd_create("json-log-test", MFD_CLOEXEC));
  if (!fd) fail_errno("memfd_create");
  return fd;
}

std::string contents(int fd) {
  std::string out;
  char buf[65536];
  for (off_t off = 0;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(s.substr(start, nl - start));
  return lines;
}

/// Writes through a JsonLogWriter into a memfd and returns the decoded entries.
struct WriterFixture {
  UniqueFd file = memfd();
  JsonLogWriter writer{UniqueFd(::dup(file.get()))};
  std::vector<LogEntry> entries() const {
    std::vector<LogEntry> out;
    for (const auto& line : split_lines(contents(file.get()))) {
      auto e = parse_log_entry(line);
      REQUIRE(e);
      out.push_back(*e);
    }
    return out;
  }
};

Timestamp at(int64_t unix_seconds, int64_t nanos = 0) {
  return Timestamp(std::chrono::seconds(unix_seconds)) + std::chrono::nanoseconds(nanos);
}

}  // namespace

TEST_CASE("log strings are escaped as docker's json-file writer does") {
  CHECK(json_string("plain text") == "\"plain text\"");
  CHECK(json_string("say \"hi\" \\o/") == R"("say \"hi\" \\o/")");
  CHECK(json_string("<a href=x>&</a>") == R"("\u003ca href=x\u003e\u0026\u003c/a\u003e")");
  CHECK(json_string("a\nb\rc") == R"("a\nb\rc")");
  // Only \n and \r get short forms; other control bytes (tab too) are \u00XX. DEL is kept.
  CHECK(json_string("\t\x01\x1b[0m\x7f") == "\"\\u0009\\u0001\\u001b[0m\x7f\"");
  CHECK(json_string(std::string_view("a\0b", 3)) == R"("a\u0000b")");
  // Multibyte UTF-8 is kept as it is.
  CHECK(json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  // Every byte of invalid UTF-8 becomes one U+FFFD, as Go's utf8.DecodeRune reads it.
  CHECK(json_string("x\xffy") == R"("x\ufffdy")");
  CHECK(json_string("\xe2\x82") == R"("\ufffd\ufffd")");                      // truncated sequence
  CHECK(json_string("\xc0\xaf") == R"("\ufffd\ufffd")");                      // overlong
  CHECK(json_string("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");            // surrogate
  CHECK(json_string("\xf4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // past U+10FFFF
  // U+2028 and U+2029 are escaped for JavaScript.
  CHECK(json_string("a\xe2\x80\xa8"
                    "b\xe2\x80\xa9") == R"("a\u2028b\u2029")");
}

TEST_CASE("an entry has docker's field order and decodes back") {
  std::string line = encode_log_entry(LogStream::kStderr, "oops <1>\n", "2024-01-02T03:04:05.123456789Z");
  CHECK(line ==
        "{\"log\":\"oops "
        "\\u003c1\\u003e\\n\",\"stream\":\"stderr\",\"time\":\"2024-01-02T03:04:05.123456789Z\"}\n");
  auto e = parse_log_entry(std::string_view(line).substr(0, line.size() - 1));
  REQUIRE(e);
  CHECK(e->stream == LogStream::kStderr);
  CHECK(e->log == "oops <1>\n");
  CHECK(e->time == "2024-01-02T03:04:05.123456789Z");

  // What docker writes with log-opt labels: attrs between stream and time.
  auto with_attrs = parse_log_entry(
      R"({"log":"x\u0009\ufffd","stream":"stdout","attrs":{"a":"b"},"time":"2024-01-02T03:04:05Z"})");
  REQUIRE(with_attrs);
  CHECK(with_attrs->stream == LogStream::kStdout);
  CHECK(with_attrs->log == "x\t\xef\xbf\xbd");

  // Every escape JSON allows, surrogate pairs joined, a lone surrogate as U+FFFD.
  auto escapes = parse_log_entry(
      R"({"log":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800!","stream":"stdout","time":"2024-01-02T03:04:05Z"})");
  REQUIRE(escapes);
  CHECK(escapes->log == "\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd!");
  // Whatever the writer encodes decodes back to the same bytes (valid UTF-8).
  std::string every_ascii;
  for (int c = 0; c < 128; ++c) every_ascii += static_cast<char>(c);
  every_ascii += "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80";
  std::string encoded = encode_log_entry(LogStream::kStdout, every_ascii, "2024-01-02T03:04:05Z");
  auto back = parse_log_entry(std::string_view(encoded).substr(0, encoded.size() - 1));
  REQUIRE(back);
  CHECK(back->log == every_ascii);

  CHECK_FALSE(parse_log_entry(R"({"log":"torn)"));
  CHECK_FALSE(parse_log_entry(R"({"log":"bad \x escape","stream":"stdout","time":"2024-01-02T03:04:05Z"})"));
  CHECK_FALSE(parse_log_entry(R"({"stream":"stdout"})"));
  CHECK_FALSE(parse_log_entry("not json"));
  CHECK_FALSE(parse_log_entry(""));
}

TEST_CASE("the writer makes one entry per line and joins pieces of a line across writes") {
  WriterFixture f;
  f.writer.write(LogStream::kStdout, "hello\nwor");
  f.writer.write(LogStream::kStdout, "ld");
  f.writer.write(LogStream::kStdout, "\n\nlast\n");
  auto entries = f.entries();
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].log == "hello\n");
  CHECK(entries[1].log == "world\n");
  CHECK(entries[2].log == "\n");
  CHECK(entries[3].log == "last\n");
  for (const auto& e : entries) {
    CHECK(e.stream == LogStream::kStdout);
    // RFC 3339 in UTC, fraction without trailing zeros (Go's RFC3339Nano).
    CHECK(std::regex_match(e.time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z)")));
    CHECK(parse_rfc3339(e.time));
  }
}

TEST_CASE("stdout and stderr are buffered separately") {
  WriterFixture f;
  f.writer.write(LogStream::kStdout, "a");
  f.writer.write(LogStream::kStderr, "b\n");
  f.writer.write(LogStream::kStdout, "c\n");
  f.writer.write(LogStream::kStderr, "d\n");
  auto entries = f.entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].stream == LogStream::kStderr);
  CHECK(entries[0].log == "b\n");
  CHECK(entries[1].stream == LogStream::kStdout);
  CHECK(entries[1].log == "ac\n");
  CHECK(entries[2].stream == LogStream::kStderr);
  CHECK(entries[2].log == "d\n");
}

TEST_CASE("flush writes an unfinished line without a newline") {
  WriterFixture f;
  f.writer.write(LogStream::kStdout, "done\nno newline");
  f.writer.write(LogStream::kStderr, "err tail");
  f.writer.flush();
  f.writer.flush();  // nothing pending: writes nothing
  auto entries = f.entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[1].log == "no newline");
  CHECK(entries[1].stream == LogStream::kStdout);
  CHECK(entries[2].log == "err tail");
  CHECK(entries[2].stream == LogStream::kStderr);
}

TEST_CASE("lines are split at 16 KiB as docker does") {
  WriterFixture f;
  std::string big(40 * 1024, 'x');
  // In small writes, as a pipe delivers them.
  for (size_t i = 0; i < big.size(); i += 1000)
    f.writer.write(LogStream::kStdout, std::string_view(big).substr(i, 1000));
  f.writer.flush();
  auto entries = f.entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].log == std::string(16384, 'x'));
  CHECK(entries[1].log == std::string(16384, 'x'));
  CHECK(entries[2].log == std::string(40 * 1024 - 2 * 16384, 'x'));
  // Every piece of one split line carries the time of its first piece.
  CHECK(entries[1].time == entries[0].time);
  CHECK(entries[2].time == entries[0].time);

  WriterFixture g;
  std::string exact(16384, 'y');
  g.writer.write(LogStream::kStderr, exact + "\nz\n");  // one big write
  auto split = g.entries();
  REQUIRE(split.size() == 3);
  CHECK(split[0].log == exact);  // the buffer filled before the newline arrived
  CHECK(split[1].log == "\n");
  CHECK(split[2].log == "z\n");

  WriterFixture h;
  h.writer.write(LogStream::kStdout, std::string(16383, 'w') + "\n");
  REQUIRE(h.entries().size() == 1);
  CHECK(h.entries()[0].log.size() == 16384);
}

TEST_CASE("json_log_path is docker's <dir>/<id>-json.log") {
  CHECK(json_log_path("/s/containers/abc", "abc") == "/s/containers/abc/abc-json.log");
}

TEST_CASE("tail finds the last lines by reading backwards across blocks") {
  UniqueFd file = memfd();
  std::string data;
  std::vector<int64_t> starts;  // offset of each line
  for (int i = 0; i < 5000; ++i) {
    starts.push_back(static_cast<int64_t>(data.size()));
    data += std::string(static_cast<size_t>(i % 97), 'a' + i % 26);
    data += '\n';
  }
  REQUIRE(data.size() > 3 * 64 * 1024);
  REQUIRE(::write(file.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  const int64_t end = static_cast<int64_t>(data.size());
  CHECK(tail_start_offset(file.get(), end, 0) == end);
  CHECK(tail_start_offset(file.get(), end, 1) == starts[4999]);
  CHECK(tail_start_offset(file.get(), end, 2) == starts[4998]);
  CHECK(tail_start_offset(file.get(), end, 1234) == starts[5000 - 1234]);
  CHECK(tail_start_offset(file.get(), end, 4999) == starts[1]);
  CHECK(tail_start_offset(file.get(), end, 5000) == 0);
  CHECK(tail_start_offset(file.get(), end, 100000) == 0);
  // An entry still being written at the end is not a line yet.
  std::string torn = "{\"log\":\"hal";
  REQUIRE(::write(file.get(), torn.data(), torn.size()) == static_cast<ssize_t>(torn.size()));
  CHECK(tail_start_offset(file.get(), end + static_cast<int64_t>(torn.size()), 1) == starts[4999]);
  CHECK(tail_start_offset(file.get(), end + static_cast<int64_t>(torn.size()), 0) == end);
  CHECK(tail_start_offset(file.get(), 0, 3) == 0);
}

TEST_CASE("RFC 3339 timestamps") {
  CHECK(parse_rfc3339("2024-01-02T03:04:05Z") == at(1704164645));
  CHECK(parse_rfc3339("2024-01-02T03:04:05.123456789Z") == at(1704164645, 123456789));
  CHECK(parse_rfc3339("2024-01-02T03:04:05.5Z") == at(1704164645, 500000000));
  CHECK(parse_rfc3339("2024-01-02T04:04:05+01:00") == at(1704164645));
  CHECK(parse_rfc3339("2024-01-01T22:34:05-04:30") == at(1704164645));
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z") == at(1709164800));
  CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-01-02T03:04:05"));  // no zone
  CHECK_FALSE(parse_rfc3339("2024-01-02T24:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-01-02 03:04:05Z"));
  CHECK_FALSE(parse_rfc3339("2024-01-02T03:04:05Zjunk"));
}

TEST_CASE("--since/--until values as docker reads them") {
  const Timestamp now = at(1700000000, 750000000);
  // Durations: ago, truncated to the second as docker sends them.
  CHECK(parse_log_time_arg("10m", now) == at(1700000000 - 600));
  CHECK(parse_log_time_arg("1h30m", now) == at(1700000000 - 5400));
  CHECK(parse_log_time_arg("5s", now) == at(1700000000 - 5));
  CHECK(parse_log_time_arg("1.5s", now) == at(1699999999));
  CHECK(parse_log_time_arg("250ms", now) == at(1700000000));
  CHECK(parse_log_time_arg("-5s", now) == at(1700000005));
  // Unix times, with an optional fraction.
  CHECK(parse_log_time_arg("1700000000", now) == at(1700000000));
  CHECK(parse_log_time_arg("1700000000.5", now) == at(1700000000, 500000000));
  CHECK(parse_log_time_arg("1700000000.000000001", now) == at(1700000000, 1));
  CHECK(parse_log_time_arg("0", now) == at(0));
  // Times with a zone.
  CHECK(parse_log_time_arg("2024-01-02T03:04:05Z", now) == at(1704164645));
  CHECK(parse_log_time_arg("2024-01-02T03:04:05.25Z", now) == at(1704164645, 250000000));
  CHECK(parse_log_time_arg("2024-01-02T04:04:05+01:00", now) == at(1704164645));
  CHECK(parse_log_time_arg("2024-01-02T03:04Z", now) == at(1704164640));
  CHECK(parse_log_time_arg("2024-01-02T03Z", now) == at(1704164400));
  CHECK(parse_log_time_arg("2024-01-02Z", now) == at(1704153600));
  // Without a zone: the local zone's offset at `now`.
  struct tm tm {};
  time_t now_t = 1700000000;
  ::localtime_r(&now_t, &tm);
  const int64_t local = tm.tm_gmtoff;
  CHECK(parse_log_time_arg("2024-01-02", now) == at(1704153600 - local));
  CHECK(parse_log_time_arg("2024-01-02T03:04", now) == at(1704164640 - local));
  CHECK(parse_log_time_arg("2024-01-02T03:04:05.5", now) == at(1704164645 - local, 500000000));

  CHECK_THROWS_WITH_AS(parse_log_time_arg("yesterday", now),
                       "failed to parse value as time or duration: \"yesterday\"", Error);
  CHECK_THROWS_AS(parse_log_time_arg("10x", now), Error);
  CHECK_THROWS_AS(parse_log_time_arg("", now), Error);
  CHECK_THROWS_AS(parse_log_time_arg("2024-13-01", now), Error);
  CHECK_THROWS_AS(parse_log_time_arg("2024-01-02T03:04.5Z", now), Error);
  CHECK_THROWS_AS(parse_log_time_arg("1700000000.x", now), Error);
}

namespace {

/// A store with one stopped container whose log holds `lines`; runs the reader into memfds.
struct ReaderFixture {
  test::TempDir root;
  StorePaths paths{root.path(), root.path() + "/run", true};
  std::string id = std::string(64, 'c');
  std::string out, err;

  void write_log(const std::string& data) {
    std::string dir = paths.containers() + "/" + id;
    make_dirs(dir);
    write_file_atomic(json_log_path(dir, id), data);
  }
  void read(const LogReadOptions& options) {
    UniqueFd o = memfd(), e = memfd();
    stream_container_logs(paths, id, options, o.get(), e.get());
    out = contents(o.get());
    err = contents(e.get());
  }
};

std::string sample_log() {
  return encode_log_entry(LogStream::kStdout, "one\n", "2024-01-02T03:04:01Z") +
         encode_log_entry(LogStream::kStderr, "two\n", "2024-01-02T03:04:02.5Z") +
         encode_log_entry(LogStream::kStdout, "three <&>", "2024-01-02T03:04:03.000000001Z") +
         encode_log_entry(LogStream::kStdout, " continued\n", "2024-01-02T03:04:03.000000001Z") +
         "garbage that is no entry\n" +
         encode_log_entry(LogStream::kStderr, "four\n", "2024-01-02T03:04:04Z") +
         "{\"log\":\"torn";  // being written
}

}  // namespace

TEST_CASE("the reader sends entries to stdout and stderr in file order") {
  ReaderFixture f;
  f.read({});
  CHECK(f.out.empty());  // no log file yet: nothing
  CHECK(f.err.empty());

  f.write_log(sample_log());
  f.read({});
  CHECK(f.out == "one\nthree <&> continued\n");
  CHECK(f.err == "two\nfour\n");

  LogReadOptions tail;
  tail.tail = 2;
  f.read(tail);
  CHECK(f.out.empty());  // the last two lines: garbage (skipped) and "four"
  CHECK(f.err == "four\n");
  tail.tail = 4;
  f.read(tail);
  CHECK(f.out == "three <&> continued\n");
  tail.tail = 0;
  f.read(tail);
  CHECK(f.out.empty());
  CHECK(f.err.empty());

  LogReadOptions stamps;
  stamps.timestamps = true;
  stamps.details = true;
  f.read(stamps);
  CHECK(f.out ==
        "2024-01-02T03:04:01.000000000Z  one\n"
        "2024-01-02T03:04:03.000000001Z  three <&>2024-01-02T03:04:03.000000001Z   continued\n");
  CHECK(f.err == "2024-01-02T03:04:02.500000000Z  two\n2024-01-02T03:04:04.000000000Z  four\n");

  LogReadOptions window;
  window.since = parse_rfc3339("2024-01-02T03:04:02.5Z");
  window.until = parse_rfc3339("2024-01-02T03:04:03.5Z");
  f.read(window);
  CHECK(f.out == "three <&> continued\n");
  CHECK(f.err == "two\n");

  LogReadOptions later;
  later.since = parse_rfc3339("2024-01-02T03:04:05Z");
  later.follow = true;  // the container is not running: reads what there is and returns
  f.read(later);
  CHECK(f.out.empty());
  CHECK(f.err.empty());
}
