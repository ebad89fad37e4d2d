// One registry as RegistryClient's operations see it: how it is reached (the scheme decision),
// its credentials and tokens, authenticated requests with retries, and a pool of curl handles so
// connections are reused. Internal to registry/ (registry_client.cpp, blob_upload.cpp).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/auth.hpp"
#include "registry/http.hpp"
#include "registry/registry_client.hpp"
#include "registry/tls.hpp"

namespace tug {

using Scopes = std::vector<std::string>;

class RegistrySession {
 public:
  RegistrySession(std::string registry, RegistryOptions options,
                  std::shared_ptr<const CredentialStore> credentials);

  /// How the registry is reached, decided by the first request (a GET /v2/ "ping").
  struct Connection {
    std::string base_url;  ///< "https://host:port"
    bool verify_tls = true;
    std::optional<AuthChallenge> challenge;  ///< what the registry asks for, once known
  };
  Connection connection();
  /// Remembers a challenge a 401 carried, so later requests authenticate up front.
  void remember_challenge(const AuthChallenge& challenge);

  /// A curl handle from the pool, reset and configured (user agent, timeouts, TLS).
  http::EasyHandle take_handle(bool verify_tls);
  void return_handle(http::EasyHandle handle);
  /// Applies the per-registry settings to a fresh or reset handle.
  void configure(CURL* easy, bool verify_tls) const;

  /// The credentials for this registry (looked up once, when first needed).
  std::optional<Credentials> credentials();
  /// The "Authorization: ..." line answering `challenge` for `scopes` ("" when there is
  /// nothing to send). `fresh` skips the token cache (after a 401 with a cached token).
  std::string authorization(const AuthChallenge& challenge, const Scopes& scopes, bool fresh);
  /// The header for a request made up front, from the known challenge ("" when none).
  std::string current_authorization(const Scopes& scopes);

  /// Sends an in-memory request to base_url + `path` (or an absolute URL), authenticating as
  /// `scopes` need: up-front when the challenge is known, else after one 401; a 401 after a
  /// fresh token or Basic is returned, never retried again. Transient failures (resets, 5xx,
  /// 429) are retried with back-off; a failure that outlives the retries throws.
  http::Response send(http::Request request, const Scopes& scopes);

  /// One request without retries or auth handling (used by send and the ping).
  http::Response perform_once(const http::Request& request, bool verify_tls);

  /// "GET https://host/v2/...": the request named in errors.
  static std::string describe_request(const http::Request& request);

  std::string registry;  ///< as given ("docker.io", "localhost:5000")
  std::string api_host;  ///< where the API lives ("registry-1.docker.io")
  RegistryOptions options;
  std::shared_ptr<const CredentialStore> credential_store;
  std::unique_ptr<TlsConfig> tls;
  TokenCache tokens;
  std::mutex token_fetch_mutex;  ///< held while a token is fetched

  std::mutex connection_mutex;
  std::optional<Connection> connected;

  std::mutex credentials_mutex;
  bool credentials_loaded = false;
  std::optional<Credentials> stored_credentials;

  std::mutex pool_mutex;
  std::vector<http::EasyHandle> pool;
};

struct RegistryClient::Impl : RegistrySession {
  using RegistrySession::RegistrySession;
};

}  // namespace tug
