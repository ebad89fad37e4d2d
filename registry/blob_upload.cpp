// Pushing blobs: cross-repository mounts, and uploads (one PUT for small blobs, PATCH chunks and
// a closing PUT for large ones). An upload interrupted by a transient failure starts over in a
// new session: registries do not reliably tell how much of a broken chunk they kept.
#include <fmt/format.h>

#include <thread>

#include "registry/registry_client.hpp"
#include "registry/registry_error.hpp"
#include "registry/registry_session.hpp"
#include "registry/url.hpp"
#include "util/error.hpp"

namespace tug {
namespace {

/// Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size.
constexpr uint64_t kChunkSize = 32ull << 20;

/// Why an upload attempt should be retried; empty when it succeeded.
using RetryReason = std::string;

class BlobUpload {
 public:
  BlobUpload(RegistrySession& impl, const std::string& repo, const std::string& digest, int64_t size,
             const std::function<std::unique_ptr<ByteSource>()>& open_content, const ProgressFn& progress)
      : impl_(impl),
        repo_(repo),
        digest_(digest),
        size_(static_cast<uint64_t>(size)),
        open_content_(open_content),
        progress_(progress),
        scopes_{repository_scope(repo, true)} {}

  RetryReason attempt() {
    std::string location = start_session(impl_, repo_, scopes_, digest_);
    auto content = open_content_();
    if (!content) fail("pushing blob {}: no content", short_digest(digest_));
    verify_tls_ = impl_.connection().verify_tls;

    if (size_ <= kChunkSize) {
      http::Response response =
          send_content("PUT", add_query_param(location, "digest", digest_), *content, 0, size_);
      return finished(response);
    }
    for (uint64_t offset = 0; offset < size_; offset += kChunkSize) {
      uint64_t length = std::min(kChunkSize, size_ - offset);
      http::Response response = send_content("PATCH", location, *content, offset, length);
      if (response.status != 202) return failed(response, "uploading a chunk");
      auto next = response.headers.get("Location");
      if (!next) fail("pushing blob {}: the registry sent no upload location", short_digest(digest_));
      location = resolve_location(location, *next);
    }
    http::Request close;
    close.method = "PUT";
    close.url = add_query_param(location, "digest", digest_);
    close.body = "";
    add_authorization(close);
    return finished(perform(close));
  }

  /// POST /v2/<repo>/blobs/uploads/[?query]: the session's absolute Location (202 expected).
  static std::string start_session(RegistrySession& impl, const std::string& repo, const Scopes& scopes,
                                   const std::string& digest, const std::string& query = "") {
    http::Request request;
    request.method = "POST";
    request.url = fmt::format("/v2/{}/blobs/uploads/{}", repo, query);
    http::Response response = impl.send(request, scopes);
    if (response.status == 201 && !query.empty()) return "";  // mounted
    if (response.status != 202)
      fail("pushing blob {}: {}", short_digest(digest), describe_response(response));
    auto location = response.headers.get("Location");
    if (!location) fail("pushing blob {}: the registry sent no upload location", short_digest(digest));
    return resolve_location(impl.connection().base_url + request.url, *location);
  }

 private:
  void add_authorization(http::Request& request) {
    std::string auth = impl_.current_authorization(scopes_);
    if (!auth.empty()) request.headers.push_back(auth);
  }

  http::Response perform(const http::Request& request) {
    http::Response response = impl_.perform_once(request, verify_tls_);
    if (response.status == 401) {
      // The token expired mid-upload (or was revoked): get a fresh one for the next attempt.
      auto challenge = choose_challenge(response.headers.all("WWW-Authenticate"));
      if (challenge) impl_.authorization(*challenge, scopes_, true);
    }
    return response;
  }

  http::Response send_content(const char* method, const std::string& url, ByteSource& content,
                              uint64_t offset, uint64_t length) {
    http::Request request;
    request.method = method;
    request.url = url;
    request.headers.push_back("Content-Type: application/octet-stream");
    if (request.method == "PATCH")
      request.headers.push_back("Content-Range: " + http::upload_content_range(offset, length));
    request.body_source = &content;
    request.body_size = length;
    if (progress_) request.on_sent = [this, offset](uint64_t sent) { progress_(offset + sent); };
    add_authorization(request);
    try {
      return perform(request);
    } catch (const Error& e) {
      fail("pushing blob {}: {}", short_digest(digest_), e.what());
    }
  }

  RetryReason finished(const http::Response& response) {
    if (response.ok() && response.status == 201) return {};
    return failed(response, "finishing the upload");
  }

  /// A retry reason for transient failures (and a first 401); throws for the others.
  RetryReason failed(const http::Response& response, const char* step) {
    if (!response.ok()) {
      std::string why = http::describe_failure(response.curl_code, response.curl_error);
      if (http::is_transient(response.curl_code)) return why;
      fail("pushing blob {}: {}: {}", short_digest(digest_), step, why);
    }
    if (http::is_transient_status(response.status)) return describe_response(response);
    if (response.status == 401 && !reauthorized_) {
      reauthorized_ = true;
      return describe_response(response);
    }
    fail("pushing blob {}: {}", short_digest(digest_), describe_response(response));
  }

  RegistrySession& impl_;
  const std::string& repo_;
  const std::string& digest_;
  uint64_t size_;
  const std::function<std::unique_ptr<ByteSource>()>& open_content_;
  const ProgressFn& progress_;
  Scopes scopes_;
  bool verify_tls_ = true;
  bool reauthorized_ = false;
};

}  // namespace

bool RegistryClient::mount_blob(const std::string& repo, const std::string& digest,
                                const std::string& from_repo) {
  Scopes scopes{repository_scope(repo, true), repository_scope(from_repo, false)};
  std::string query = fmt::format("?mount={}&from={}", url_encode(digest), url_encode(from_repo));
  std::string location = BlobUpload::start_session(*impl_, repo, scopes, digest, query);
  if (location.empty()) return true;
  // Not mounted: the registry opened an ordinary upload session instead. Cancel it (best
  // effort: abandoned sessions are purged by the registry anyway).
  http::Request cancel;
  cancel.method = "DELETE";
  cancel.url = location;
  try {
    impl_->send(cancel, scopes);
  } catch (const Error&) {
  }
  return false;
}

void RegistryClient::upload_blob(const std::string& repo, const std::string& digest, int64_t size,
                                 const std::function<std::unique_ptr<ByteSource>()>& open_content,
                                 ProgressFn progress) {
  if (size < 0) fail("pushing blob {}: unknown size", short_digest(digest));
  BlobUpload upload(*impl_, repo, digest, size, open_content, progress);
  for (int failures = 0;; failures++) {
    RetryReason why = upload.attempt();
    if (why.empty()) return;
    if (failures >= impl_->options.max_retries)
      fail("pushing blob {}: {} after {} retries", short_digest(digest), why, failures);
    std::this_thread::sleep_for(http::backoff_delay(impl_->options.retry_delay_ms, failures));
  }
}

}  // namespace tug
