// The registry client's operations: manifests and blobs for pulls (verified against their
// digests), manifests for pushes. Connection and auth live in registry_session.cpp, uploads in
// blob_upload.cpp, the resumable blob stream in blob_stream.cpp.
#include "registry/registry_client.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "registry/blob_stream.hpp"
#include "registry/manifest.hpp"
#include "registry/registry_error.hpp"
#include "registry/registry_session.hpp"
#include "registry/url.hpp"
#include "util/error.hpp"
#include "util/json.hpp"
#include "util/sha256.hpp"

namespace tug {
namespace {

constexpr size_t kMaxSmallBlob = 64 << 20;

const std::string& manifest_accept_header() {
  static const std::string header =
      fmt::format("Accept: {}, {}, {}, {}", media_type::kOciIndex, media_type::kOciManifest,
                  media_type::kDockerManifestList, media_type::kDockerManifest);
  return header;
}

int env_int(const char* name, int fallback, int min) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  int value = 0;
  auto [end, ec] = std::from_chars(text, text + std::strlen(text), value);
  if (ec != std::errc() || *end != '\0' || value < min)
    fail("invalid {}: '{}' (an integer >= {})", name, text, min);
  return value;
}

std::string strip_parameters(std::string value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

/// The media type of a manifest: the Content-Type unless it is generic, else the body's
/// mediaType, else what the body's shape says.
std::string manifest_media_type(const http::Response& response) {
  std::string type = strip_parameters(response.headers.get("Content-Type").value_or(""));
  if (!type.empty() && type != "application/json" && type != "text/plain" &&
      type != "application/octet-stream")
    return type;
  Json doc = Json::parse(response.body, nullptr, false);
  if (!doc.is_object()) return type;
  if (doc.contains("mediaType") && doc["mediaType"].is_string()) return doc["mediaType"].get<std::string>();
  if (doc.contains("manifests")) return std::string(media_type::kOciIndex);
  if (doc.contains("layers") || doc.contains("config")) return std::string(media_type::kOciManifest);
  return type;
}

/// Throws "manifest digest mismatch" when the body is not what was asked for or announced.
void verify_manifest_digest(const std::string& reference, const http::Response& response,
                            const std::string& actual) {
  if (reference.starts_with("sha256:") && reference != actual)
    fail("manifest digest mismatch: expected {}, got {}", reference, actual);
  auto announced = response.headers.get("Docker-Content-Digest");
  if (announced && announced->starts_with("sha256:") && *announced != actual)
    fail("manifest digest mismatch: expected {}, got {}", *announced, actual);
}

}  // namespace

RegistryOptions registry_options_from_env() {
  RegistryOptions options;
  options.max_retries = env_int("TUG_REGISTRY_RETRIES", options.max_retries, 0);
  options.retry_delay_ms = env_int("TUG_REGISTRY_RETRY_DELAY_MS", options.retry_delay_ms, 0);
  options.stall_seconds = env_int("TUG_REGISTRY_STALL_SECONDS", options.stall_seconds, 1);
  if (const char* mirror = std::getenv("TUG_REGISTRY_MIRROR")) {
    std::string_view host = mirror;
    for (std::string_view scheme : {"https://", "http://"})
      if (host.starts_with(scheme)) host.remove_prefix(scheme.size());
    while (host.ends_with('/')) host.remove_suffix(1);
    options.docker_hub_mirror = host;
  }
  if (const char* insecure = std::getenv("TUG_INSECURE_REGISTRIES")) {
    std::string_view list = insecure;
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view entry = list.substr(0, comma);
      while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
      while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
      if (!entry.empty()) options.insecure_registries.emplace_back(entry);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return options;
}

// --- RegistryClient -------------------------------------------------------------------------------

RegistryClient::RegistryClient(std::string registry, RegistryOptions options,
                               std::shared_ptr<const CredentialStore> credentials)
    : impl_(std::make_unique<Impl>(std::move(registry), std::move(options), std::move(credentials))) {}

RegistryClient::~RegistryClient() = default;

std::string RegistryClient::base_url() { return impl_->connection().base_url; }

void RegistryClient::use_credentials(Credentials credentials) {
  std::lock_guard lock(impl_->credentials_mutex);
  impl_->stored_credentials = std::move(credentials);
  impl_->credentials_loaded = true;
}

void RegistryClient::check_login() {
  http::Request request;
  request.url = "/v2/";
  http::Response response = impl_->send(request, {});
  if (response.status == 200) return;
  if (response.status == 401) {
    bool had_credentials = impl_->credentials().has_value();
    fail("{}", had_credentials ? "unauthorized: incorrect username or password"
                               : "unauthorized: authentication required");
  }
  fail("login to {}: {}", impl_->registry, describe_response(response));
}

namespace {

/// How docker names a repository in "not found" messages: familiar for Docker Hub.
std::string display_repository(const std::string& registry, const std::string& repo) {
  if (registry_api_host(registry) == "registry-1.docker.io")
    return repo.starts_with("library/") ? repo.substr(8) : repo;
  return registry + "/" + repo;
}

std::string display_reference(const std::string& registry, const std::string& repo,
                              const std::string& reference) {
  return display_repository(registry, repo) + (reference.starts_with("sha256:") ? "@" : ":") + reference;
}

}  // namespace

FetchedManifest RegistryClient::get_manifest(const std::string& repo, const std::string& reference) {
  http::Request request;
  request.url = fmt::format("/v2/{}/manifests/{}", repo, reference);
  request.headers.push_back(manifest_accept_header());
  http::Response response = impl_->send(request, {repository_scope(repo, false)});
  std::string name = display_reference(impl_->registry, repo, reference);
  if (response.status == 404) fail("manifest for {} not found: {}", name, describe_response(response));
  if (response.status == 401 || response.status == 403)
    fail("pull access denied for {}, repository does not exist or may require 'docker login': {}",
         display_repository(impl_->registry, repo), describe_response(response));
  if (response.status != 200) fail("fetching manifest {}: {}", name, describe_response(response));

  FetchedManifest manifest;
  manifest.digest = sha256_digest(response.body);
  verify_manifest_digest(reference, response, manifest.digest);
  manifest.media_type = manifest_media_type(response);
  manifest.body = std::move(response.body);
  return manifest;
}

std::optional<FetchedManifest> RegistryClient::head_manifest(const std::string& repo,
                                                             const std::string& reference) {
  http::Request request;
  request.method = "HEAD";
  request.url = fmt::format("/v2/{}/manifests/{}", repo, reference);
  request.headers.push_back(manifest_accept_header());
  http::Response response = impl_->send(request, {repository_scope(repo, false)});
  if (response.status == 404) return std::nullopt;
  std::string name = display_reference(impl_->registry, repo, reference);
  if (response.status == 401 || response.status == 403)
    fail("pull access denied for {}, repository does not exist or may require 'docker login': {}",
         display_repository(impl_->registry, repo), describe_response(response));
  if (response.status != 200) fail("fetching manifest {}: {}", name, describe_response(response));
  auto digest = response.headers.get("Docker-Content-Digest");
  if (!digest || !is_sha256_digest(*digest)) {
    // Without the header only the body tells the digest.
    return get_manifest(repo, reference);
  }
  if (reference.starts_with("sha256:") && reference != *digest)
    fail("manifest digest mismatch: expected {}, got {}", reference, *digest);
  FetchedManifest manifest;
  manifest.digest = *digest;
  manifest.media_type = strip_parameters(response.headers.get("Content-Type").value_or(""));
  return manifest;
}

std::string RegistryClient::get_blob(const std::string& repo, const std::string& digest) {
  http::Request request;
  request.url = fmt::format("/v2/{}/blobs/{}", repo, digest);
  http::Response response = impl_->send(request, {repository_scope(repo, false)});
  if (response.status != 200) fail("fetching blob {}: {}", short_digest(digest), describe_response(response));
  if (response.body.size() > kMaxSmallBlob)
    fail("fetching blob {}: larger than {} bytes", short_digest(digest), kMaxSmallBlob);
  std::string actual = sha256_digest(response.body);
  if (digest.starts_with("sha256:") && actual != digest)
    fail("blob digest mismatch: expected {}, got {}", digest, actual);
  return std::move(response.body);
}

std::unique_ptr<ByteSource> RegistryClient::open_blob(const std::string& repo, const std::string& digest,
                                                      int64_t expected_size, ProgressFn progress,
                                                      uint64_t resume_from) {
  RegistrySession::Connection current = impl_->connection();
  RegistrySession* impl = impl_.get();
  Scopes scopes{repository_scope(repo, false)};
  BlobDownload download;
  download.url = fmt::format("{}/v2/{}/blobs/{}", current.base_url, repo, digest);
  download.blob_name = short_digest(digest);
  download.expected_size = expected_size;
  download.resume_from = resume_from;
  download.progress = std::move(progress);
  download.max_retries = impl->options.max_retries;
  download.retry_delay_ms = impl->options.retry_delay_ms;
  download.stall_seconds = impl->options.stall_seconds;
  download.configure = [impl, verify = current.verify_tls](CURL* easy) { impl->configure(easy, verify); };
  download.authorization = [impl, scopes](const http::ResponseHeaders* unauthorized) -> std::string {
    if (!unauthorized) return impl->current_authorization(scopes);
    auto challenge = choose_challenge(unauthorized->all("WWW-Authenticate"));
    if (!challenge) return "";
    impl->remember_challenge(*challenge);
    return impl->authorization(*challenge, scopes, true);
  };
  return std::make_unique<BlobStream>(std::move(download));
}

bool RegistryClient::has_blob(const std::string& repo, const std::string& digest) {
  http::Request request;
  request.method = "HEAD";
  request.url = fmt::format("/v2/{}/blobs/{}", repo, digest);
  http::Response response = impl_->send(request, {repository_scope(repo, true)});
  if (response.status == 200) return true;
  if (response.status == 404) return false;
  fail("checking blob {}: {}", short_digest(digest), describe_response(response));
}

std::string RegistryClient::put_manifest(const std::string& repo, const std::string& reference,
                                         const std::string& media_type, const std::string& body) {
  http::Request request;
  request.method = "PUT";
  request.url = fmt::format("/v2/{}/manifests/{}", repo, reference);
  request.headers.push_back("Content-Type: " + media_type);
  request.body = body;
  http::Response response = impl_->send(request, {repository_scope(repo, true)});
  std::string name = display_reference(impl_->registry, repo, reference);
  if (response.status != 201 && response.status != 200)
    fail("pushing manifest {}: {}", name, describe_response(response));
  std::string ours = sha256_digest(body);
  auto theirs = response.headers.get("Docker-Content-Digest");
  if (theirs && *theirs != ours)
    fail("pushing manifest {}: the registry stored digest {}, expected {}", name, *theirs, ours);
  return ours;
}

}  // namespace tug
