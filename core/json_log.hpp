// docker's json-file log driver: the writer the detached monitor feeds with the container's
// stdout/stderr, and the reader behind `tug logs` (tail, since/until, follow) and `attach`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/store_paths.hpp"
#include "util/fd.hpp"

namespace tug {

enum class LogStream { kStdout, kStderr };

/// Appends docker json-file entries to an open log file: {"log":"...","stream":"stdout","time":"2024-...Z"}\n
class JsonLogWriter {
 public:
  explicit JsonLogWriter(UniqueFd fd);  // fd opened O_WRONLY|O_APPEND|O_CREAT by the caller
  /// Bytes the container wrote on `stream`: every complete line becomes one entry (with its "\n"
  /// in "log"); a partial line is kept until its end arrives, or written as an entry without "\n"
  /// once 16 KiB are pending (docker splits long lines at 16 KiB). Streams are buffered separately.
  void write(LogStream stream, std::string_view bytes);
  /// Writes what is pending (no trailing "\n"), e.g. when the container exits.
  void flush();

 private:
  void write_entry(LogStream stream, std::string_view line, bool last);

  UniqueFd fd_;
  std::string pending_[2];       ///< unfinished lines, stdout and stderr
  std::string partial_time_[2];  ///< time of the first piece of a line split at 16 KiB
  std::string entry_;            ///< reused buffer for one encoded entry
};

/// <dir>/<id>-json.log
std::string json_log_path(const std::string& container_dir, const std::string& id);

/// A point in time with nanosecond precision (docker's log timestamps).
using Timestamp = std::chrono::sys_time<std::chrono::nanoseconds>;

/// One decoded json-file entry.
struct LogEntry {
  LogStream stream = LogStream::kStdout;
  std::string log;   ///< the bytes, with the "\n" when the line was complete
  std::string time;  ///< RFC 3339 as written ("2024-01-02T03:04:05.123456789Z")
};

/// Go's encoding/json string escaping (what docker writes): appends `"...escaped..."` to `out`.
void append_json_string(std::string& out, std::string_view s);
/// The JSON line (with its "\n") docker writes for one entry.
std::string encode_log_entry(LogStream stream, std::string_view log, std::string_view time);
/// Parses one line of a json-file log; nullopt when it is not a valid entry (a torn or foreign line).
std::optional<LogEntry> parse_log_entry(std::string_view line);

/// RFC 3339 (any offset, optional fraction) → Timestamp; nullopt when malformed.
std::optional<Timestamp> parse_rfc3339(std::string_view text);
/// docker's --since/--until value relative to `now`: an RFC 3339 time (also without zone or
/// seconds, as docker accepts), a Unix time ("1700000000", "1700000000.5") or a Go duration
/// ago ("10m", "1h30m", "1.5s"). Throws Error naming the flag's value when invalid.
Timestamp parse_log_time_arg(std::string_view text, Timestamp now);

/// Offset where the last `n` complete lines before `end` start, found by reading the file
/// backwards in blocks (a large log is not read whole). An unfinished last line is not counted.
int64_t tail_start_offset(int fd, int64_t end, int64_t n);

/// What `tug logs` (and attach) asks of the reader.
struct LogReadOptions {
  bool follow = false;  ///< keep streaming until the container is no longer running
  int64_t tail = -1;    ///< last N entries only; -1 = all
  std::optional<Timestamp> since, until;
  bool timestamps = false;  ///< prefix each line with its time, as `docker logs -t`
  bool details = false;     ///< `docker logs --details`: the entry's attributes (none) and a space
  bool from_end = false;    ///< start at the current end of the file (attach: only new output)
  std::optional<int64_t> start_offset;  ///< start at this byte offset (the size when attach began)
};

/// Writes container `id`'s log to out_fd (stdout entries) and err_fd (stderr entries) in file
/// order; with follow, keeps going until ContainerStore::is_running(id) turns false, then
/// prints what remains and returns. A container without a log file prints nothing.
void stream_container_logs(const StorePaths& paths, const std::string& id, const LogReadOptions& options,
                           int out_fd, int err_fd);

}  // namespace tug
