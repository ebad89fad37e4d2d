// docker's json-file log driver: one JSON object per line, appended by the detached monitor and
// read back by `tug logs` and attach. Escaping, 16 KiB line splitting, timestamps and the
// --since/--until grammar follow docker byte for byte, so tooling written for docker's files works.
#include "core/json_log.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/container_store.hpp"
#include "core/format/go_duration.hpp"
#include "core/format/go_strconv.hpp"
#include "util/error.hpp"
#include "util/json.hpp"

namespace tug {

namespace {

// docker's log copier reads into a 16 KiB buffer and emits it as a partial entry when it fills.
constexpr size_t kMaxLineBytes = 16 * 1024;
constexpr size_t kReadBlock = 64 * 1024;

int stream_index(LogStream s) { return s == LogStream::kStderr ? 1 : 0; }
const char* stream_name(LogStream s) { return s == LogStream::kStderr ? "stderr" : "stdout"; }

void append_log_entry(std::string& out, LogStream stream, std::string_view log, std::string_view time) {
  out += "{\"log\":";
  append_json_string(out, log);
  out += ",\"stream\":\"";
  out += stream_name(stream);
  out += "\",\"time\":\"";
  out += time;
  out += "\"}\n";
}

// docker writes times with Go's RFC3339Nano, which drops trailing zeros of the fraction.
std::string docker_time_now() {
  std::string t = now_rfc3339();  // "...:05.120000000Z"
  t.pop_back();
  while (t.back() == '0') t.pop_back();
  if (t.back() == '.') t.pop_back();
  t += 'Z';
  return t;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// ---- times -------------------------------------------------------------------------------

/// The pieces of "YYYY-MM-DD[THH[:MM[:SS[.frac]]]][Z|±hh:mm]", the shapes docker's time
/// arguments take; what is present is recorded so each caller can demand its format.
struct TimeShape {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  int time_parts = 0;  ///< 0 date only, 1 hour, 2 hour:minute, 3 with seconds
  bool fraction = false;
  bool zone = false;
  int64_t offset_seconds = 0;
};

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ == s_.size(); }
  bool take(char c) {
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool digits(size_t count, int& out) {
    if (s_.size() - i_ < count) return false;
    out = 0;
    for (size_t k = 0; k < count; ++k, ++i_) {
      if (s_[i_] < '0' || s_[i_] > '9') return false;
      out = out * 10 + (s_[i_] - '0');
    }
    return true;
  }
  // Go keeps nine digits of a fraction and ignores the rest.
  bool fraction(int64_t& nanos) {
    size_t start = i_;
    nanos = 0;
    int64_t scale = 100000000;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      nanos += (s_[i_++] - '0') * scale;
      scale /= 10;
    }
    return i_ > start;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

int days_in_month(int year, int month) {
  return static_cast<int>(static_cast<unsigned>(
      std::chrono::year_month_day_last(std::chrono::year(year),
                                       std::chrono::month_day_last(std::chrono::month(month)))
          .day()));
}

std::optional<TimeShape> parse_time_shape(std::string_view text) {
  Cursor c(text);
  TimeShape t;
  if (!c.digits(4, t.year) || !c.take('-') || !c.digits(2, t.month) || !c.take('-') || !c.digits(2, t.day))
    return std::nullopt;
  if (c.take('T')) {
    if (!c.digits(2, t.hour)) return std::nullopt;
    t.time_parts = 1;
    if (c.take(':')) {
      if (!c.digits(2, t.minute)) return std::nullopt;
      t.time_parts = 2;
      if (c.take(':')) {
        if (!c.digits(2, t.second)) return std::nullopt;
        t.time_parts = 3;
        if (c.take('.')) {
          if (!c.fraction(t.nanos)) return std::nullopt;
          t.fraction = true;
        }
      }
    }
  }
  if (c.take('Z')) {
    t.zone = true;
  } else if (c.peek() == '+' || c.peek() == '-') {
    int sign = c.take('+') ? 1 : (c.take('-'), -1);
    int oh = 0, om = 0;
    if (!c.digits(2, oh) || !c.take(':') || !c.digits(2, om) || oh > 23 || om > 59) return std::nullopt;
    t.zone = true;
    t.offset_seconds = sign * (oh * 3600 + om * 60);
  }
  if (!c.done()) return std::nullopt;
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > days_in_month(t.year, t.month) || t.hour > 23 ||
      t.minute > 59 || t.second > 59)
    return std::nullopt;
  return t;
}

Timestamp to_timestamp(const TimeShape& t, int64_t offset_seconds) {
  using namespace std::chrono;
  sys_days day = year(t.year) / month(t.month) / t.day;
  return Timestamp(day) + hours(t.hour) + minutes(t.minute) + seconds(t.second) + nanoseconds(t.nanos) -
         seconds(offset_seconds);
}

// Go's time.ParseDuration (core/format/go_duration.hpp); nullopt when `s` is not a duration.
std::optional<int64_t> duration_if_any(std::string_view s) {
  try {
    return parse_go_duration(s);
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::optional<Timestamp> parse_unix_time(std::string_view s) {
  size_t dot = s.find('.');
  std::string_view sec_part = s.substr(0, dot);
  if (sec_part.empty()) return std::nullopt;
  size_t start = (sec_part[0] == '-' || sec_part[0] == '+') ? 1 : 0;
  if (start == sec_part.size()) return std::nullopt;
  int64_t sec = 0;
  for (size_t i = start; i < sec_part.size(); ++i) {
    if (sec_part[i] < '0' || sec_part[i] > '9' || sec > 900000000000000000) return std::nullopt;
    sec = sec * 10 + (sec_part[i] - '0');
  }
  if (sec_part[0] == '-') sec = -sec;
  int64_t nanos = 0;
  if (dot != std::string_view::npos) {
    Cursor c(s.substr(dot + 1));
    if (!c.fraction(nanos) || !c.done()) return std::nullopt;
  }
  return Timestamp(std::chrono::seconds(sec)) + std::chrono::nanoseconds(nanos);
}

int64_t local_utc_offset(Timestamp at) {
  time_t t = std::chrono::floor<std::chrono::seconds>(at).time_since_epoch().count();
  struct tm tm {};
  ::localtime_r(&t, &tm);
  return tm.tm_gmtoff;
}

std::string format_fixed_rfc3339(Timestamp t) {
  using namespace std::chrono;
  sys_days day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss hms(floor<nanoseconds>(t - day));
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                     hms.subseconds().count());
}

// ---- reading -----------------------------------------------------------------------------

/// Turns entries into output on two fds: batches writes, but flushes before switching fds so
/// stdout and stderr keep the file's order.
class LogPrinter {
 public:
  LogPrinter(const LogReadOptions& options, int out_fd, int err_fd)
      : options_(options), out_fd_(out_fd), err_fd_(err_fd) {}

  /// One line of the file; false once reading should stop (past --until, or output closed).
  bool line(std::string_view json_line) {
    auto entry = parse_log_entry(json_line);
    if (!entry) return true;  // a foreign or torn line: docker skips what it cannot decode
    std::optional<Timestamp> time;
    if (options_.since || options_.until || options_.timestamps) time = parse_rfc3339(entry->time);
    if (time && options_.since && *time < *options_.since) return true;
    if (time && options_.until && *time > *options_.until) return false;
    int fd = entry->stream == LogStream::kStderr ? err_fd_ : out_fd_;
    if (fd != buffered_fd_ && !flush()) return false;
    buffered_fd_ = fd;
    if (options_.timestamps) {
      buffer_ += time ? format_fixed_rfc3339(*time) : entry->time;
      buffer_ += ' ';
    }
    if (options_.details) buffer_ += ' ';  // the entry's attributes (tug writes none), then a space
    buffer_ += entry->log;
    return buffer_.size() < kReadBlock || flush();
  }

  bool flush() {
    bool ok = write_all(buffered_fd_, buffer_);
    buffer_.clear();
    return ok;
  }

 private:
  const LogReadOptions& options_;
  int out_fd_, err_fd_;
  int buffered_fd_ = -1;
  std::string buffer_;
};

void pread_exact(int fd, char* buf, size_t len, int64_t offset) {
  while (len > 0) {
    ssize_t n = ::pread(fd, buf, len, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("read the container's log");
    if (n == 0) fail("read the container's log: the file shrank");
    buf += n, len -= static_cast<size_t>(n), offset += n;
  }
}

/// Hands every complete line from `offset` up to `limit` (-1: end of file) to the printer,
/// keeping an unfinished last line in `partial`; false when the printer asked to stop.
bool read_lines(int fd, int64_t& offset, std::string& partial, LogPrinter& printer, int64_t limit) {
  std::string block(kReadBlock, '\0');
  while (limit < 0 || offset < limit) {
    size_t want = limit < 0 ? kReadBlock : std::min<size_t>(kReadBlock, static_cast<size_t>(limit - offset));
    ssize_t n = ::pread(fd, block.data(), want, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("read the container's log");
    if (n == 0) break;
    offset += n;
    std::string_view data(block.data(), static_cast<size_t>(n));
    for (size_t nl; (nl = data.find('\n')) != std::string_view::npos; data.remove_prefix(nl + 1)) {
      bool more;
      if (partial.empty()) {
        more = printer.line(data.substr(0, nl));
      } else {
        partial.append(data.substr(0, nl));
        more = printer.line(partial);
        partial.clear();
      }
      if (!more) return false;
    }
    partial.append(data);
  }
  return true;
}

/// Blocks until the log file changes or `timeout_ms` passes (the container's end shows no
/// event on the file: it is its lock being released, so the caller polls for it).
void wait_for_change(int inotify_fd, int timeout_ms) {
  struct pollfd p = {inotify_fd, POLLIN, 0};
  if (::poll(&p, inotify_fd >= 0 ? 1 : 0, timeout_ms) > 0) {
    char events[4096];
    while (::read(inotify_fd, events, sizeof events) > 0) {
    }
  }
}

}  // namespace

// ---- writer ------------------------------------------------------------------------------

JsonLogWriter::JsonLogWriter(UniqueFd fd) : fd_(std::move(fd)) {}

void JsonLogWriter::write(LogStream stream, std::string_view bytes) {
  std::string& pending = pending_[stream_index(stream)];
  while (!bytes.empty()) {
    size_t room = kMaxLineBytes - pending.size();
    size_t nl = bytes.substr(0, room).find('\n');
    size_t take = nl != std::string_view::npos ? nl + 1 : room;
    if (take > bytes.size()) {  // no line end yet and room left: wait for more
      pending.append(bytes);
      return;
    }
    if (pending.empty()) {
      write_entry(stream, bytes.substr(0, take), nl != std::string_view::npos);
    } else {
      pending.append(bytes.substr(0, take));
      write_entry(stream, pending, nl != std::string_view::npos);
      pending.clear();
    }
    bytes.remove_prefix(take);
  }
}

void JsonLogWriter::flush() {
  for (LogStream stream : {LogStream::kStdout, LogStream::kStderr}) {
    std::string& pending = pending_[stream_index(stream)];
    if (pending.empty()) continue;
    write_entry(stream, pending, true);
    pending.clear();
  }
}

void JsonLogWriter::write_entry(LogStream stream, std::string_view line, bool last) {
  // docker stamps every piece of a split line with the time of its first piece.
  std::string& partial_time = partial_time_[stream_index(stream)];
  std::string time = partial_time.empty() ? docker_time_now() : partial_time;
  if (last)
    partial_time.clear();
  else if (partial_time.empty())
    partial_time = time;
  entry_.clear();
  append_log_entry(entry_, stream, line, time);
  // One write(2) on an O_APPEND fd: a reader never sees half an entry. A failure (disk full)
  // loses the entry, as with docker; the monitor must keep supervising the container.
  (void)write_all(fd_.get(), entry_);
  if (entry_.capacity() > 4 * kReadBlock) std::string().swap(entry_);  // the monitor stays small
}

std::string json_log_path(const std::string& container_dir, const std::string& id) {
  std::string path = container_dir;
  path += '/';
  path += id;
  path += "-json.log";
  return path;
}

// ---- encoding ----------------------------------------------------------------------------

// docker's jsonlog.ffjsonWriteJSONBytesAsString: only \", \\, \n and \r get short escapes (a tab
// is \u0009), <>& are escaped for HTML, each byte of invalid UTF-8 becomes \ufffd, and U+2028,
// U+2029 are escaped for JavaScript.
void append_json_string(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  size_t start = 0;
  auto copy_pending = [&](size_t i) { out.append(s.substr(start, i - start)); };
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
        ++i;
        continue;
      }
      copy_pending(i);
      if (b == '\\' || b == '"') {
        out += '\\';
        out += static_cast<char>(b);
      } else if (b == '\n') {
        out += "\\n";
      } else if (b == '\r') {
        out += "\\r";
      } else {
        out += "\\u00";
        out += kHex[b >> 4];
        out += kHex[b & 0xF];
      }
      start = ++i;
      continue;
    }
    auto [rune, n] = gofmt::decode_rune(s, i);
    if (rune == gofmt::kRuneError && n == 1) {
      copy_pending(i);
      out += "\\ufffd";
      start = ++i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      copy_pending(i);
      out += "\\u202";
      out += kHex[rune & 0xF];
      start = i + n;
    }
    i += n;
  }
  copy_pending(s.size());
  out += '"';
}

std::string encode_log_entry(LogStream stream, std::string_view log, std::string_view time) {
  std::string out;
  append_log_entry(out, stream, log, time);
  return out;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool take_prefix(std::string_view& in, std::string_view prefix) {
  if (in.substr(0, prefix.size()) != prefix) return false;
  in.remove_prefix(prefix.size());
  return true;
}

bool take_hex4(std::string_view& in, char32_t& out) {
  if (in.size() < 4) return false;
  out = 0;
  for (int k = 0; k < 4; ++k) {
    int v = hex_value(in[k]);
    if (v < 0) return false;
    out = out << 4 | static_cast<char32_t>(v);
  }
  in.remove_prefix(4);
  return true;
}

// Decodes the JSON string at the start of `in` (which begins with its opening quote) into
// `out`, consuming it; false when it is not one. Lone surrogates become U+FFFD, as in Go.
bool take_json_string(std::string_view& in, std::string& out) {
  if (!take_prefix(in, "\"")) return false;
  while (true) {
    size_t special = in.find_first_of("\"\\");
    if (special == std::string_view::npos) return false;
    out.append(in.substr(0, special));
    char c = in[special];
    in.remove_prefix(special + 1);
    if (c == '"') return true;
    if (in.empty()) return false;
    char e = in[0];
    in.remove_prefix(1);
    switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        char32_t r;
        if (!take_hex4(in, r)) return false;
        char32_t low;
        if (r >= 0xD800 && r < 0xDC00 && in.substr(0, 2) == "\\u") {
          std::string_view rest = in.substr(2);
          if (take_hex4(rest, low) && low >= 0xDC00 && low < 0xE000) {
            r = 0x10000 + ((r - 0xD800) << 10) + (low - 0xDC00);
            in = rest;
          }
        }
        gofmt::append_rune(out, r);
        break;
      }
      default:
        return false;
    }
  }
}

// The exact shape docker and tug write, without a general JSON parser: reading a large log
// is dominated by this. nullopt sends the line to the general parser.
std::optional<LogEntry> parse_usual_entry(std::string_view in) {
  LogEntry entry;
  std::string stream;
  if (!take_prefix(in, "{\"log\":") || !take_json_string(in, entry.log) || !take_prefix(in, ",\"stream\":") ||
      !take_json_string(in, stream) || !take_prefix(in, ",\"time\":") || !take_json_string(in, entry.time) ||
      in != "}")
    return std::nullopt;
  if (stream == "stderr") entry.stream = LogStream::kStderr;
  return entry;
}

}  // namespace

std::optional<LogEntry> parse_log_entry(std::string_view line) {
  if (auto entry = parse_usual_entry(line)) return entry;
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;  // includes discarded (malformed) lines
  auto log = j.find("log");
  if (log == j.end() || !log->is_string()) return std::nullopt;
  LogEntry entry;
  entry.log = log->get<std::string>();
  auto stream = j.find("stream");
  if (stream != j.end() && *stream == "stderr") entry.stream = LogStream::kStderr;
  auto time = j.find("time");
  if (time != j.end() && time->is_string()) entry.time = time->get<std::string>();
  return entry;
}

// ---- times -------------------------------------------------------------------------------

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  auto t = parse_time_shape(text);
  if (!t || t->time_parts != 3 || !t->zone) return std::nullopt;
  return to_timestamp(*t, t->offset_seconds);
}

// docker's timetypes.GetTimestamp, run by the docker CLI before it asks the daemon.
Timestamp parse_log_time_arg(std::string_view text, Timestamp now) {
  if (text != "0") {
    if (auto d = duration_if_any(text))
      return std::chrono::floor<std::chrono::seconds>(now - std::chrono::nanoseconds(*d));
  }
  // Without Z, + or a zone's third '-', the time is in the local zone (its offset now).
  size_t dashes = std::count(text.begin(), text.end(), '-');
  bool local = text.find_first_of("zZ+") == std::string_view::npos && dashes != 3;
  if (auto t = parse_time_shape(text)) {
    // The fraction is part of docker's format only with seconds.
    bool shape_ok = t->zone != local && (!t->fraction || t->time_parts == 3);
    if (shape_ok) return to_timestamp(*t, local ? local_utc_offset(now) : t->offset_seconds);
  }
  if (text.find('-') != std::string_view::npos)
    fail("parsing time \"{}\": not an RFC 3339 time, Unix time or duration", text);
  if (auto t = parse_unix_time(text)) return *t;
  fail("failed to parse value as time or duration: \"{}\"", text);
}

// ---- reading -----------------------------------------------------------------------------

int64_t tail_start_offset(int fd, int64_t end, int64_t n) {
  std::string block(kReadBlock, '\0');
  int64_t newlines = 0;
  // The first '\n' from the end closes the last complete line (what follows it is an entry
  // still being written); the (n+1)-th closes the line before the last n.
  for (int64_t pos = end; pos > 0;) {
    size_t len = static_cast<size_t>(std::min<int64_t>(kReadBlock, pos));
    pos -= static_cast<int64_t>(len);
    pread_exact(fd, block.data(), len, pos);
    for (size_t i = len; i-- > 0;)
      if (block[i] == '\n' && ++newlines == n + 1) return pos + static_cast<int64_t>(i) + 1;
  }
  return 0;
}

void stream_container_logs(const StorePaths& paths, const std::string& id, const LogReadOptions& options,
                           int out_fd, int err_fd) {
  constexpr int kPollMs = 100;
  ContainerStore store(paths);
  const std::string path = json_log_path(store.dir(id), id);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  // A container that never started has no log yet; a follower waits for its first start.
  while (!fd) {
    if (errno != ENOENT) fail_errno("open {}", path);
    if (!options.follow || !store.is_running(id)) return;
    wait_for_change(-1, kPollMs);
    fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) fail_errno("stat {}", path);
  const int64_t end = st.st_size;
  int64_t offset = 0;
  if (options.start_offset)
    offset = std::min(*options.start_offset, end);
  else if (options.from_end)
    offset = tail_start_offset(fd.get(), end, 0);
  else if (options.tail >= 0)
    offset = tail_start_offset(fd.get(), end, options.tail);

  LogPrinter printer(options, out_fd, err_fd);
  std::string partial;
  if (!options.follow) {
    read_lines(fd.get(), offset, partial, printer, end);
    printer.flush();  // also after stopping at --until: what was read before it is printed
    return;
  }
  UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (inotify) ::inotify_add_watch(inotify.get(), path.c_str(), IN_MODIFY | IN_CLOSE_WRITE);
  while (true) {
    // Checked before reading: once the holder is gone nothing writes any more, so this read
    // sees the last entries.
    bool running = store.is_running(id);
    bool more = read_lines(fd.get(), offset, partial, printer, -1);
    if (!printer.flush() || !more || !running) return;
    if (options.until && std::chrono::system_clock::now() > *options.until) return;
    wait_for_change(inotify.get(), kPollMs);
  }
}

}  // namespace tug
