// Reaching one registry: https, or http where docker allows it (loopback, insecure registries,
// --tls-verify=false); authenticating each request for its scopes (docker-compat §9) with cached
// tokens; retrying what failed transiently. Every operation of RegistryClient goes through here.
#include "registry/registry_session.hpp"

#include <fmt/format.h>

#include <thread>

#include "registry/url.hpp"
#include "util/error.hpp"

namespace tug {
namespace {

constexpr size_t kPoolSize = 8;

/// A TLS failure that means "this is not a TLS server" (or not one we can talk to unverified):
/// the cue to try plain http where that is allowed.
bool is_tls_handshake_failure(CURLcode code) {
  return code == CURLE_SSL_CONNECT_ERROR || code == CURLE_GOT_NOTHING || code == CURLE_RECV_ERROR;
}

}  // namespace

RegistrySession::RegistrySession(std::string registry_name, RegistryOptions opts,
                                 std::shared_ptr<const CredentialStore> store)
    : registry(std::move(registry_name)),
      api_host(registry_api_host(registry)),
      options(std::move(opts)),
      credential_store(std::move(store)) {
  http::ensure_curl_initialized();
  if (api_host == "registry-1.docker.io" && !options.docker_hub_mirror.empty())
    api_host = options.docker_hub_mirror;
  std::vector<std::string> dirs = options.cert_dirs.empty() ? default_cert_dirs() : options.cert_dirs;
  TlsFiles files = find_tls_files(dirs, registry);
  if (api_host != registry) {
    TlsFiles more = find_tls_files(dirs, api_host);
    files.ca_files.insert(files.ca_files.end(), more.ca_files.begin(), more.ca_files.end());
    if (files.client_cert.empty()) {
      files.client_cert = more.client_cert;
      files.client_key = more.client_key;
    }
  }
  tls = std::make_unique<TlsConfig>(std::move(files));
}

void RegistrySession::configure(CURL* easy, bool verify_tls) const {
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "tug/" TUG_VERSION);
  // Threads and static glibc: no SIGALRM-based resolver timeouts.
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connect_timeout_seconds));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(std::max(options.stall_seconds, 1)));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  tls->apply(easy, verify_tls);
}

http::EasyHandle RegistrySession::take_handle(bool verify_tls) {
  http::EasyHandle handle;
  {
    std::lock_guard lock(pool_mutex);
    if (!pool.empty()) {
      handle = std::move(pool.back());
      pool.pop_back();
    }
  }
  // A reset keeps the handle's open connections: that is what the pool is for.
  if (handle)
    curl_easy_reset(handle.get());
  else
    handle = http::new_easy();
  configure(handle.get(), verify_tls);
  return handle;
}

void RegistrySession::return_handle(http::EasyHandle handle) {
  std::lock_guard lock(pool_mutex);
  if (pool.size() < kPoolSize) pool.push_back(std::move(handle));
}

http::Response RegistrySession::perform_once(const http::Request& request, bool verify_tls) {
  http::EasyHandle handle = take_handle(verify_tls);
  http::Response response = http::perform(handle.get(), request);
  return_handle(std::move(handle));
  return response;
}

std::string RegistrySession::describe_request(const http::Request& request) {
  return fmt::format("{} {}", request.method, request.url);
}

RegistrySession::Connection RegistrySession::connection() {
  std::lock_guard lock(connection_mutex);
  if (connected) return *connected;

  struct Candidate {
    const char* scheme;
    bool verify;
  };
  bool listed = false;
  for (const auto& entry : options.insecure_registries)
    listed = listed || entry == registry || entry == api_host;
  std::vector<Candidate> candidates;
  if (!options.tls_verify || listed)
    candidates = {{"https", false}, {"http", false}};
  else if (is_loopback_registry(registry) || is_loopback_registry(api_host))
    candidates = {{"https", true}, {"http", false}};
  else
    candidates = {{"https", true}};

  for (size_t i = 0; i < candidates.size(); i++) {
    const Candidate& candidate = candidates[i];
    bool has_fallback = i + 1 < candidates.size();
    http::Request ping;
    ping.url = fmt::format("{}://{}/v2/", candidate.scheme, api_host);
    http::Response response;
    for (int attempt = 0;; attempt++) {
      response = perform_once(ping, candidate.verify);
      // Nobody listening is an answer too: fail now rather than after the back-off (a pull
      // from a registry that is down should say so at once, as docker does).
      bool transient = response.ok() ? http::is_transient_status(response.status)
                                     : http::is_transient(response.curl_code) &&
                                           response.curl_code != CURLE_COULDNT_CONNECT &&
                                           !(has_fallback && is_tls_handshake_failure(response.curl_code));
      if (!transient || attempt >= options.max_retries) break;
      std::this_thread::sleep_for(http::backoff_delay(options.retry_delay_ms, attempt));
    }
    if (response.ok()) {
      Connection decided{fmt::format("{}://{}", candidate.scheme, api_host), candidate.verify, std::nullopt};
      if (response.status == 401)
        decided.challenge = choose_challenge(response.headers.all("WWW-Authenticate"));
      connected = decided;
      return decided;
    }
    if (has_fallback && is_tls_handshake_failure(response.curl_code)) continue;
    fail("{}: {}", describe_request(ping), http::describe_failure(response.curl_code, response.curl_error));
  }
  fail("no way to reach registry {}", registry);  // unreachable: the last candidate returns or throws
}

void RegistrySession::remember_challenge(const AuthChallenge& challenge) {
  std::lock_guard lock(connection_mutex);
  if (connected) connected->challenge = challenge;
}

std::optional<Credentials> RegistrySession::credentials() {
  std::lock_guard lock(credentials_mutex);
  if (!credentials_loaded) {
    if (credential_store) stored_credentials = credential_store->lookup(registry);
    credentials_loaded = true;
  }
  return stored_credentials;
}

std::string RegistrySession::authorization(const AuthChallenge& challenge, const Scopes& scopes, bool fresh) {
  if (challenge.scheme == "basic") {
    auto found = credentials();
    return found && !found->username.empty() ? basic_authorization(*found) : "";
  }
  if (challenge.scheme != "bearer") return "";
  std::string key = TokenCache::key(challenge, scopes);
  if (!fresh)
    if (auto token = tokens.find(key, std::chrono::steady_clock::now()))
      return "Authorization: Bearer " + *token;
  // One fetch at a time: threads starting blob downloads together then share one token
  // instead of each asking the token server.
  std::lock_guard fetching(token_fetch_mutex);
  if (!fresh)
    if (auto token = tokens.find(key, std::chrono::steady_clock::now()))
      return "Authorization: Bearer " + *token;

  auto found = credentials();
  http::Request request = token_request(challenge, scopes, found);
  if (request.url.empty())
    fail("registry {} asks for a token without saying where to get it (no realm)", registry);
  // The realm may live elsewhere (auth.docker.io); relax verification only for our own host.
  bool verify = options.tls_verify;
  {
    std::lock_guard lock(connection_mutex);
    if (connected && url_origin(request.url) == url_origin(connected->base_url + "/"))
      verify = connected->verify_tls;
  }
  http::Response response;
  for (int attempt = 0;; attempt++) {
    response = perform_once(request, verify);
    bool transient =
        response.ok() ? http::is_transient_status(response.status) : http::is_transient(response.curl_code);
    if (!transient || attempt >= options.max_retries) break;
    std::this_thread::sleep_for(http::backoff_delay(options.retry_delay_ms, attempt));
  }
  std::string realm = challenge.param("realm");
  if (!response.ok())
    fail("getting a token from {}: {}", realm,
         http::describe_failure(response.curl_code, response.curl_error));
  if (response.status != 200) fail("{}", token_error(response, found.has_value()));
  BearerToken token;
  try {
    token = parse_token_response(response.body);
  } catch (const Error& e) {
    fail("getting a token from {}: {}", realm, e.what());
  }
  tokens.store(key, token.token,
               token_deadline(token, std::chrono::system_clock::now(), std::chrono::steady_clock::now()));
  return "Authorization: Bearer " + token.token;
}

std::string RegistrySession::current_authorization(const Scopes& scopes) {
  Connection current = connection();
  return current.challenge ? authorization(*current.challenge, scopes, false) : "";
}

http::Response RegistrySession::send(http::Request request, const Scopes& scopes) {
  Connection current = connection();
  if (!request.url.starts_with("http://") && !request.url.starts_with("https://"))
    request.url = current.base_url + request.url;
  std::string auth = current.challenge ? authorization(*current.challenge, scopes, false) : "";
  bool reauthorized = false;
  while (true) {
    http::Request attempt = request;
    if (!auth.empty()) attempt.headers.push_back(auth);
    http::Response response;
    for (int failures = 0;; failures++) {
      response = perform_once(attempt, current.verify_tls);
      bool transient =
          response.ok() ? http::is_transient_status(response.status) : http::is_transient(response.curl_code);
      if (!transient || failures >= options.max_retries) {
        if (!response.ok())
          fail("{}: {}{}", describe_request(request),
               http::describe_failure(response.curl_code, response.curl_error),
               failures ? fmt::format(" after {} retries", failures) : "");
        break;
      }
      std::this_thread::sleep_for(http::backoff_delay(options.retry_delay_ms, failures));
    }
    if (response.status != 401 || reauthorized) return response;
    // One fresh attempt: a new token (the cached one may be short of this scope or revoked)
    // or Basic credentials. A second 401 goes back to the caller: no loop.
    reauthorized = true;
    auto challenge = choose_challenge(response.headers.all("WWW-Authenticate"));
    if (!challenge) return response;
    remember_challenge(*challenge);
    std::string fresh = authorization(*challenge, scopes, true);
    if (fresh.empty() || fresh == auth) return response;
    auth = std::move(fresh);
  }
}

}  // namespace tug
