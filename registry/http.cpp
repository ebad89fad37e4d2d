// libcurl plumbing for the registry client: one-time initialisation, RAII handles, header
// collection, in-memory requests, and which failures are worth a retry.
#include "registry/http.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <mutex>

#include "util/error.hpp"

namespace tug::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

struct BodyCollector {
  std::string* body;
  size_t max;
};

size_t collect_body(char* data, size_t size, size_t count, void* user) {
  auto* collector = static_cast<BodyCollector*>(user);
  size_t n = size * count;
  // Returning less than n makes curl fail the transfer with CURLE_WRITE_ERROR.
  if (collector->body->size() + n > collector->max) return 0;
  collector->body->append(data, n);
  return n;
}

/// Feeds a streamed request body to curl. Exceptions must not cross curl's C frames: they are
/// kept here and rethrown once curl has returned.
struct BodyFeeder {
  ByteSource* source;
  uint64_t size;
  uint64_t sent = 0;
  const std::function<void(uint64_t)>* on_sent;
  std::exception_ptr error;
  bool ended_early = false;
};

size_t feed_body(char* buffer, size_t size, size_t count, void* user) {
  auto* feeder = static_cast<BodyFeeder*>(user);
  size_t want = static_cast<size_t>(std::min<uint64_t>(size * count, feeder->size - feeder->sent));
  if (want == 0) return 0;
  try {
    size_t got = feeder->source->read(buffer, want);
    if (got == 0) {
      feeder->ended_early = true;
      return CURL_READFUNC_ABORT;
    }
    feeder->sent += got;
    if (*feeder->on_sent) (*feeder->on_sent)(feeder->sent);
    return got;
  } catch (...) {
    feeder->error = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
}

}  // namespace

void ensure_curl_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) fail("initialising libcurl failed");
  });
}

EasyHandle new_easy() {
  ensure_curl_initialized();
  EasyHandle easy(curl_easy_init());
  if (!easy) fail("initialising a libcurl handle failed");
  return easy;
}

void HeaderList::add(const std::string& line) {
  curl_slist* grown = curl_slist_append(list_, line.c_str());
  if (!grown) fail("out of memory building HTTP headers");
  list_ = grown;
}

void ResponseHeaders::add_raw_line(std::string_view line) {
  line = trim(line);
  if (line.starts_with("HTTP/")) {
    fields_.clear();
    return;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  fields_.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
}

std::optional<std::string> ResponseHeaders::get(std::string_view name) const {
  for (auto it = fields_.rbegin(); it != fields_.rend(); ++it)
    if (iequals(it->first, name)) return it->second;
  return std::nullopt;
}

std::vector<std::string> ResponseHeaders::all(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : fields_)
    if (iequals(key, name)) values.push_back(value);
  return values;
}

size_t collect_header(char* data, size_t size, size_t count, void* headers) {
  static_cast<ResponseHeaders*>(headers)->add_raw_line(std::string_view(data, size * count));
  return size * count;
}

Response perform(CURL* easy, const Request& request, size_t max_body) {
  Response response;
  BodyCollector collector{&response.body, max_body};
  HeaderList headers;
  for (const auto& line : request.headers) headers.add(line);
  // curl would otherwise wait up to a second for "100 Continue" before sending larger bodies.
  headers.add("Expect:");
  char error[CURL_ERROR_SIZE] = "";

  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &collector);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  BodyFeeder feeder{request.body_source, request.body_size, 0, &request.on_sent, nullptr, false};
  if (request.body_source) {
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body_size));
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, feed_body);
    curl_easy_setopt(easy, CURLOPT_READDATA, &feeder);
    if (request.method != "PUT") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.body || request.method == "POST" || request.method == "PUT" ||
             request.method == "PATCH") {
    const std::string& body = request.body ? *request.body : std::string();
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body.c_str());
    if (request.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  response.curl_code = curl_easy_perform(easy);
  if (response.curl_code != CURLE_OK)
    response.curl_error = error[0] ? error : curl_easy_strerror(response.curl_code);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  // The handle goes back to a pool: nothing may keep pointing at this frame.
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, nullptr);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(easy, CURLOPT_READDATA, nullptr);
  if (feeder.error) std::rethrow_exception(feeder.error);
  if (feeder.ended_early) fail("the content ended after {} of {} bytes", feeder.sent, request.body_size);
  return response;
}

bool is_transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool is_transient_status(long status) { return status == 408 || status == 429 || status >= 500; }

std::chrono::milliseconds backoff_delay(int base_ms, int attempt) {
  constexpr long long kMaxDelayMs = 8000;
  long long delay = std::max(base_ms, 0);
  for (int i = 0; i < attempt && delay < kMaxDelayMs; i++) delay *= 2;
  return std::chrono::milliseconds(std::min(delay, kMaxDelayMs));
}

std::string describe_failure(CURLcode code, const std::string& curl_error) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      return "connection refused";
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return "connection reset";
    case CURLE_PARTIAL_FILE:
      return "connection closed before the end of the transfer";
    case CURLE_GOT_NOTHING:
      return "connection closed without a response";
    case CURLE_OPERATION_TIMEDOUT:
      return "timed out";
    case CURLE_COULDNT_RESOLVE_HOST:
      return "could not resolve host";
    case CURLE_PEER_FAILED_VERIFICATION:
      // Go's wording (docker, podman) for the common case, so messages match theirs.
      if (curl_error.find("local issuer") != std::string::npos ||
          curl_error.find("self") != std::string::npos)
        return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
      return "tls: failed to verify certificate: " + curl_error;
    default:
      return curl_error.empty() ? curl_easy_strerror(code) : curl_error;
  }
}

std::string status_text(long status) {
  const char* reason = "";
  switch (status) {
    case 400:
      reason = "Bad Request";
      break;
    case 401:
      reason = "Unauthorized";
      break;
    case 403:
      reason = "Forbidden";
      break;
    case 404:
      reason = "Not Found";
      break;
    case 405:
      reason = "Method Not Allowed";
      break;
    case 408:
      reason = "Request Timeout";
      break;
    case 409:
      reason = "Conflict";
      break;
    case 416:
      reason = "Range Not Satisfiable";
      break;
    case 429:
      reason = "Too Many Requests";
      break;
    case 500:
      reason = "Internal Server Error";
      break;
    case 502:
      reason = "Bad Gateway";
      break;
    case 503:
      reason = "Service Unavailable";
      break;
    case 504:
      reason = "Gateway Timeout";
      break;
    default:
      break;
  }
  return *reason ? fmt::format("{} {}", status, reason) : fmt::format("status {}", status);
}

std::string range_header(uint64_t offset) { return fmt::format("Range: bytes={}-", offset); }

std::string upload_content_range(uint64_t offset, uint64_t length) {
  return fmt::format("{}-{}", offset, offset + length - 1);
}

std::optional<uint64_t> content_range_start(std::string_view value) {
  value = trim(value);
  if (!value.starts_with("bytes ")) return std::nullopt;
  value.remove_prefix(6);
  value = trim(value);
  uint64_t start = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), start);
  if (ec != std::errc() || end == value.data() + value.size() || *end != '-') return std::nullopt;
  return start;
}

}  // namespace tug::http
