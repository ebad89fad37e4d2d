// libcurl as the registry client uses it: RAII owners for easy/multi handles and header lists,
// response headers collected from curl's header callback, and the HTTP pieces registries need.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fs/byte_stream.hpp"

namespace tug::http {

/// curl_global_init, exactly once per process, from any thread.
void ensure_curl_initialized();

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
/// Owns one CURL easy handle.
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
/// A new easy handle; throws when curl cannot allocate one.
EasyHandle new_easy();

struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
/// Owns one CURL multi handle (the easy handles added to it must be removed first).
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;

/// Owns a curl_slist of request headers ("Name: value" lines).
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  HeaderList(HeaderList&& other) noexcept : list_(std::exchange(other.list_, nullptr)) {}
  HeaderList& operator=(HeaderList&& other) noexcept {
    if (this != &other) {
      curl_slist_free_all(list_);
      list_ = std::exchange(other.list_, nullptr);
    }
    return *this;
  }
  ~HeaderList() { curl_slist_free_all(list_); }

  void add(const std::string& line);
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

/// Response headers of the final response (earlier responses of a redirect chain are dropped).
class ResponseHeaders {
 public:
  /// Feeds one raw line from CURLOPT_HEADERFUNCTION; a status line starts a new response.
  void add_raw_line(std::string_view line);
  /// The last value of a header, names compared case-insensitively.
  std::optional<std::string> get(std::string_view name) const;
  /// Every value of a header (WWW-Authenticate may come several times).
  std::vector<std::string> all(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

/// curl's header callback for a ResponseHeaders passed as CURLOPT_HEADERDATA.
size_t collect_header(char* data, size_t size, size_t count, void* headers);

/// A request whose bodies fit in memory (manifests, configs, token responses, upload control).
struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  ///< "Name: value"
  std::optional<std::string> body;   ///< sent with Content-Length when set
  /// Or a body streamed from a source: exactly `body_size` bytes are read from it.
  ByteSource* body_source = nullptr;
  uint64_t body_size = 0;
  /// Called with the bytes of a streamed body sent so far.
  std::function<void(uint64_t)> on_sent;
  bool follow_redirects = true;
};

/// What a request got back. `curl_code` != CURLE_OK means no (complete) response.
struct Response {
  CURLcode curl_code = CURLE_OK;
  std::string curl_error;  ///< curl's message for curl_code
  long status = 0;
  ResponseHeaders headers;
  std::string body;
  bool ok() const { return curl_code == CURLE_OK; }
};

/// Sends `request` on `easy` (already configured for TLS, timeouts, user agent); HEAD when
/// method is HEAD. Response bodies larger than `max_body` fail with CURLE_WRITE_ERROR. Errors
/// of a streamed body's source are rethrown; a source that ends early throws.
Response perform(CURL* easy, const Request& request, size_t max_body = 64 << 20);

/// A transport failure worth retrying: connection refused or reset, timeouts, cut transfers.
bool is_transient(CURLcode code);
/// A transient HTTP status: 408, 429 and 5xx.
bool is_transient_status(long status);
/// Delay before retry number `attempt` (0-based): base·2^attempt, at most 8 s.
std::chrono::milliseconds backoff_delay(int base_ms, int attempt);
/// A short description of a transport failure ("connection refused", "connection reset" ...).
std::string describe_failure(CURLcode code, const std::string& curl_error);
/// "404 Not Found".
std::string status_text(long status);

/// "Range: bytes=<offset>-".
std::string range_header(uint64_t offset);
/// The value of an upload chunk's Content-Range as the distribution API wants it:
/// "<first>-<last>" (inclusive, no unit).
std::string upload_content_range(uint64_t offset, uint64_t length);
/// The first byte of a 206 response's "Content-Range: bytes <first>-<last>/<total>"; nullopt
/// when the header does not parse.
std::optional<uint64_t> content_range_start(std::string_view value);

}  // namespace tug::http
