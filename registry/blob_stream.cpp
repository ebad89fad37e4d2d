// Resumable blob downloads. The consumer pulls: read() runs curl only until bytes are buffered,
// and a full buffer pauses the transfer, so memory stays bounded whatever the consumer's speed.
// Every interruption is answered by a new request from the first byte not yet received.
#include "registry/blob_stream.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "registry/registry_error.hpp"
#include "util/error.hpp"

namespace tug {
namespace {

/// Received bytes kept before the transfer is paused.
constexpr size_t kMaxBuffered = 4 << 20;
/// curl's receive buffer: large reads mean fewer callbacks on fast links.
constexpr long kCurlBufferSize = 512 << 10;
constexpr size_t kMaxErrorBody = 64 << 10;
/// An attempt that delivered this much made real progress: the failures before it are forgotten.
/// (Less does not count: a server stalling after every few bytes must not be retried forever.)
constexpr uint64_t kProgressForgivingFailures = 1 << 20;

}  // namespace

BlobStream::BlobStream(BlobDownload download)
    : download_(std::move(download)), delivered_(download_.resume_from), received_(download_.resume_from) {
  http::ensure_curl_initialized();
  multi_.reset(curl_multi_init());
  if (!multi_) fail("pulling blob {}: initialising libcurl failed", download_.blob_name);
}

BlobStream::~BlobStream() { stop_transfer(); }

size_t BlobStream::read(void* buf, size_t n) {
  while (true) {
    if (buffered() > 0) {
      size_t count = std::min(n, buffered());
      std::memcpy(buf, buffer_.data() + buffer_pos_, count);
      buffer_pos_ += count;
      delivered_ += count;
      if (buffered() == 0) {
        buffer_.clear();
        buffer_pos_ = 0;
      } else if (buffer_pos_ >= kMaxBuffered / 2) {
        buffer_.erase(0, buffer_pos_);
        buffer_pos_ = 0;
      }
      // Resuming may call on_data right away; the buffer is consistent by now.
      if (paused_ && buffered() <= kMaxBuffered / 2) {
        paused_ = false;
        curl_easy_pause(easy_.get(), CURLPAUSE_CONT);
      }
      if (download_.progress) download_.progress(delivered_);
      return count;
    }
    if (finished_) return 0;
    if (ended_) {
      Outcome outcome = *ended_;
      ended_.reset();
      handle_end(outcome);
      continue;
    }
    if (!easy_) {
      std::this_thread::sleep_until(retry_at_);
      start_transfer();
    }
    pump();
  }
}

void BlobStream::start_transfer() {
  easy_ = http::new_easy();
  CURL* easy = easy_.get();
  download_.configure(easy);

  std::string authorization = std::exchange(fresh_authorization_, std::string());
  if (authorization.empty()) authorization = download_.authorization(nullptr);
  request_headers_ = http::HeaderList();
  if (!authorization.empty()) request_headers_.add(authorization);
  requested_ = range_ignored_ ? 0 : received_;
  attempt_start_ = received_;
  if (requested_ > 0) request_headers_.add(http::range_header(requested_));

  response_headers_ = http::ResponseHeaders();
  status_checked_ = false;
  accepting_body_ = false;
  skip_ = 0;
  error_body_.clear();
  curl_error_[0] = '\0';

  curl_easy_setopt(easy, CURLOPT_URL, download_.url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, request_headers_.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, http::collect_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &response_headers_);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &BlobStream::on_data);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, curl_error_);
  // Registries redirect blobs to storage; curl drops our Authorization when the host changes.
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kCurlBufferSize);
  // Stalls are measured by pump() (time spent waiting in read()), not by curl: a transfer
  // paused because the consumer is slow is not stalled.
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 0L);
  CURLMcode added = curl_multi_add_handle(multi_.get(), easy);
  if (added != CURLM_OK) {
    easy_.reset();
    fail("pulling blob {}: {}", download_.blob_name, curl_multi_strerror(added));
  }
}

void BlobStream::stop_transfer() {
  if (easy_) {
    curl_multi_remove_handle(multi_.get(), easy_.get());
    easy_.reset();
  }
  paused_ = false;
  request_headers_ = http::HeaderList();
}

void BlobStream::pump() {
  using Clock = std::chrono::steady_clock;
  const auto stall_deadline = Clock::now() + std::chrono::seconds(std::max(download_.stall_seconds, 1));
  while (buffered() == 0 && !ended_) {
    int running = 0;
    CURLMcode performed = curl_multi_perform(multi_.get(), &running);
    if (performed != CURLM_OK)
      fail("pulling blob {}: {}", download_.blob_name, curl_multi_strerror(performed));
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_.get(), &queued))
      if (message->msg == CURLMSG_DONE) ended_ = Outcome{message->data.result, false};
    if (buffered() > 0 || ended_) return;
    auto now = Clock::now();
    if (now >= stall_deadline) {
      ended_ = Outcome{CURLE_OPERATION_TIMEDOUT, true};
      return;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(stall_deadline - now).count();
    curl_multi_poll(multi_.get(), nullptr, 0, static_cast<int>(std::clamp<long long>(left, 1, 1000)),
                    nullptr);
  }
}

size_t BlobStream::on_data(char* data, size_t size, size_t count, void* self) {
  return static_cast<BlobStream*>(self)->accept(data, size * count);
}

size_t BlobStream::accept(const char* data, size_t n) {
  if (!status_checked_) {
    status_checked_ = true;
    long status = 0;
    curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status == 206) {
      auto start = http::content_range_start(response_headers_.get("Content-Range").value_or(""));
      if (!start || *start != requested_) {
        // Not the bytes asked for: abort (CURLE_WRITE_ERROR) and ask for the whole blob.
        bad_range_ = true;
        return 0;
      }
    }
    accepting_body_ = status == 200 || status == 206;
    // A 200 carries the blob from its first byte: drop what we already hold.
    if (status == 200) skip_ = received_;
  }
  if (!accepting_body_) {
    error_body_.append(data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, error_body_.size())));
    return n;
  }
  if (skip_ == 0 && buffered() >= kMaxBuffered) {
    paused_ = true;
    return CURL_WRITEFUNC_PAUSE;  // curl hands the same bytes again after CURLPAUSE_CONT
  }
  size_t dropped = static_cast<size_t>(std::min<uint64_t>(skip_, n));
  skip_ -= dropped;
  if (n > dropped) {
    buffer_.append(data + dropped, n - dropped);
    received_ += n - dropped;
    reauthorized_ = false;
    if (received_ - attempt_start_ >= kProgressForgivingFailures) failures_ = 0;
  }
  return n;
}

void BlobStream::handle_end(const Outcome& outcome) {
  long status = 0;
  curl_off_t content_length = -1;
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(easy_.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
  stop_transfer();
  const std::string& name = download_.blob_name;
  const int64_t expected = download_.expected_size;
  auto size_mismatch = [&] { fail("blob {}: got {} bytes, expected {}", name, received_, expected); };

  if (outcome.stalled)
    return transient_failure(fmt::format("stalled: no data for {} s", std::max(download_.stall_seconds, 1)));
  if (bad_range_) {
    bad_range_ = false;
    if (requested_ == 0) fail("pulling blob {}: the registry answered with a partial response", name);
    range_ignored_ = true;
    return transient_failure("the registry answered a range request with other bytes");
  }
  // Nothing from our offset on: we have it all, or the blob is shorter than announced. (The
  // status decides, whatever curl says of the body: distribution's 416 announces a length
  // it does not send.)
  if (status == 416 && expected >= 0) {
    if (received_ != static_cast<uint64_t>(expected)) size_mismatch();
    finished_ = true;
    return;
  }
  if (outcome.code != CURLE_OK) {
    std::string why = http::describe_failure(outcome.code, curl_error_);
    if (http::is_transient(outcome.code)) return transient_failure(why);
    fail("pulling blob {}: {}", name, why);
  }
  if (status == 200 || status == 206) {
    if (expected < 0 || received_ == static_cast<uint64_t>(expected)) {
      finished_ = true;
      return;
    }
    // A complete response of announced length ending elsewhere: the blob's size is not the
    // expected one. Without a length, the connection may just have been closed early.
    if (received_ > static_cast<uint64_t>(expected) || content_length >= 0) size_mismatch();
    return transient_failure(fmt::format("connection closed after {} of {} bytes", received_, expected));
  }
  http::Response response;
  response.status = status;
  response.body = error_body_;
  if (status == 401 && !reauthorized_) {
    reauthorized_ = true;
    fresh_authorization_ = download_.authorization(&response_headers_);
    if (!fresh_authorization_.empty()) return;  // retry at once with the new token
  }
  if (http::is_transient_status(status)) return transient_failure(describe_response(response));
  fail("pulling blob {}: {}", name, describe_response(response));
}

void BlobStream::transient_failure(std::string why) {
  failures_++;
  if (failures_ > download_.max_retries)
    fail("pulling blob {}: {} after {} retries", download_.blob_name, why, download_.max_retries);
  retry_at_ = std::chrono::steady_clock::now() + http::backoff_delay(download_.retry_delay_ms, failures_ - 1);
}

}  // namespace tug
