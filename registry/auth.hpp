// Registry authentication (docker-compat §9): WWW-Authenticate challenges, Bearer tokens from a
// realm (GET with Basic credentials, or the OAuth2 POST form with an identity token), a token
// cache per (realm, service, scope) shared by threads, and Basic authorization.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/credentials.hpp"
#include "registry/http.hpp"

namespace tug {

/// One challenge of a WWW-Authenticate header.
struct AuthChallenge {
  std::string scheme;                         ///< lowercase: "bearer", "basic"
  std::map<std::string, std::string> params;  ///< names lowercase, values unquoted

  /// A parameter's value, "" when absent.
  std::string param(const std::string& name) const;
};

/// Parses a WWW-Authenticate value: one or more challenges, quoted values may hold commas.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);
/// The challenge to answer among all WWW-Authenticate headers: Bearer before Basic.
std::optional<AuthChallenge> choose_challenge(const std::vector<std::string>& headers);

/// "repository:<repo>:pull" or, for pushes, "repository:<repo>:pull,push".
std::string repository_scope(std::string_view repo, bool push);

/// A token endpoint's answer.
struct BearerToken {
  std::string token;  ///< "token", else "access_token"
  std::chrono::seconds expires_in{60};
  std::optional<std::chrono::system_clock::time_point> issued_at;
};

/// Parses a token response body; throws when it holds no token.
BearerToken parse_token_response(std::string_view body);

/// When a cached token stops being used: its lifetime (from issued_at when the clocks agree,
/// else from now) less a margin so it does not expire in flight.
std::chrono::steady_clock::time_point token_deadline(const BearerToken& token,
                                                     std::chrono::system_clock::time_point now,
                                                     std::chrono::steady_clock::time_point steady_now);

/// The request for a token: GET realm?service=&scope=... with Basic credentials (or none), or
/// with an identity token the OAuth2 POST form (grant_type=refresh_token).
http::Request token_request(const AuthChallenge& challenge, const std::vector<std::string>& scopes,
                            const std::optional<Credentials>& credentials);

/// The one-line error for a refused token request.
std::string token_error(const http::Response& response, bool sent_credentials);

/// "Authorization: Basic <base64(user:password)>".
std::string basic_authorization(const Credentials& credentials);

/// Bearer tokens by (realm, service, scopes), until their deadline. Thread-safe.
class TokenCache {
 public:
  static std::string key(const AuthChallenge& challenge, const std::vector<std::string>& scopes);
  std::optional<std::string> find(const std::string& key, std::chrono::steady_clock::time_point now) const;
  void store(const std::string& key, std::string token, std::chrono::steady_clock::time_point deadline);
  void forget(const std::string& key);

 private:
  struct Entry {
    std::string token;
    std::chrono::steady_clock::time_point deadline;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace tug
