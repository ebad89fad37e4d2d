// A blob download as a pull-based ByteSource: each read() drives libcurl (a multi handle with one
// transfer) until bytes arrive; cut, refused, stalled or 5xx transfers are resumed with a Range
// request from the first byte not yet received, after a back-off.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "fs/byte_stream.hpp"
#include "registry/http.hpp"
#include "registry/registry_client.hpp"

namespace tug {

/// What one blob download needs from the client that opened it.
struct BlobDownload {
  std::string url;        ///< https://host/v2/<repo>/blobs/<digest>
  std::string blob_name;  ///< "sha256:0123456789ab" for messages
  int64_t expected_size = -1;
  uint64_t resume_from = 0;
  ProgressFn progress;
  int max_retries = 5;
  int retry_delay_ms = 500;
  int stall_seconds = 30;
  /// Applies user agent, timeouts and TLS to a new handle.
  std::function<void(CURL*)> configure;
  /// The Authorization line to send: the current one for nullptr, a fresh one answering the
  /// challenge of a 401's headers ("" when there is none to send).
  std::function<std::string(const http::ResponseHeaders* unauthorized)> authorization;
};

class BlobStream final : public ByteSource {
 public:
  explicit BlobStream(BlobDownload download);
  ~BlobStream() override;
  BlobStream(const BlobStream&) = delete;
  BlobStream& operator=(const BlobStream&) = delete;

  size_t read(void* buf, size_t n) override;

 private:
  /// How a transfer ended, as far as deciding what comes next is concerned.
  struct Outcome {
    CURLcode code = CURLE_OK;
    bool stalled = false;
  };

  void start_transfer();
  void stop_transfer();
  /// Drives curl until bytes are buffered, the transfer ends (ended_) or it stalls.
  void pump();
  void handle_end(const Outcome& outcome);
  /// Counts a transient failure; throws when the retries are used up, else schedules the retry.
  void transient_failure(std::string why);
  size_t buffered() const { return buffer_.size() - buffer_pos_; }

  static size_t on_data(char* data, size_t size, size_t count, void* self);
  size_t accept(const char* data, size_t n);

  BlobDownload download_;
  http::MultiHandle multi_;
  http::EasyHandle easy_;
  http::HeaderList request_headers_;
  http::ResponseHeaders response_headers_;
  char curl_error_[CURL_ERROR_SIZE] = "";

  std::string buffer_;  ///< received, not yet handed out, from buffer_pos_ on
  size_t buffer_pos_ = 0;
  bool paused_ = false;     ///< the transfer is paused because the buffer is full
  uint64_t delivered_;      ///< blob offset of the next byte read() hands out
  uint64_t received_;       ///< blob offset of the next byte to receive (the next Range start)
  uint64_t attempt_start_ = 0;  ///< received_ when the current request started
  uint64_t requested_ = 0;  ///< the Range start of the current transfer
  uint64_t skip_ = 0;       ///< bytes of the current response already received (a 200 to a Range)
  bool status_checked_ = false;
  bool range_ignored_ = false;   ///< a 206 started elsewhere than asked: ask without Range
  bool bad_range_ = false;       ///< the current transfer was aborted for that reason
  bool accepting_body_ = false;  ///< the current response is the blob (200/206)
  std::string error_body_;
  std::string fresh_authorization_;  ///< answers the last 401; used by the next transfer
  bool reauthorized_ = false;        ///< a fresh token was fetched since bytes last flowed
  int failures_ = 0;  ///< transient failures since the last attempt that made real progress
  std::chrono::steady_clock::time_point retry_at_{};
  std::optional<Outcome> ended_;  ///< the transfer ended; handled once the buffer is empty
  bool finished_ = false;
};

}  // namespace tug
