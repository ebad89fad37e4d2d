// How tug answers a registry's 401: parse the challenge, get a token for exactly the scopes a
// request needs (or send Basic credentials), and keep tokens until shortly before they expire.
#include "registry/auth.hpp"

#include <fmt/format.h>

#include <cctype>
#include <ctime>

#include "registry/base64.hpp"
#include "registry/registry_error.hpp"
#include "registry/url.hpp"
#include "util/error.hpp"
#include "util/json.hpp"

namespace tug {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

/// A cursor over a header value.
struct Scanner {
  std::string_view text;
  size_t pos = 0;

  bool done() const { return pos >= text.size(); }
  char peek() const { return done() ? '\0' : text[pos]; }
  void skip_spaces() {
    while (!done() && (text[pos] == ' ' || text[pos] == '\t')) pos++;
  }
  void skip_spaces_and_commas() {
    while (!done() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == ',')) pos++;
  }
  std::string_view token() {
    size_t start = pos;
    while (!done() && is_token_char(text[pos])) pos++;
    return text.substr(start, pos - start);
  }
  /// A quoted-string (backslash escapes) or a token, up to a comma.
  std::string value() {
    if (peek() != '"') {
      size_t start = pos;
      while (!done() && text[pos] != ',' && text[pos] != ' ' && text[pos] != '\t') pos++;
      return std::string(text.substr(start, pos - start));
    }
    pos++;
    std::string out;
    while (!done() && text[pos] != '"') {
      if (text[pos] == '\\' && pos + 1 < text.size()) pos++;
      out += text[pos++];
    }
    if (!done()) pos++;  // closing quote
    return out;
  }
};

/// "2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123456789+02:00".
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::string_view rest = std::string_view(text).substr(static_cast<size_t>(consumed));
  if (rest.starts_with('.')) {
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  }
  long offset_seconds = 0;
  if (rest == "Z" || rest == "z") {
    offset_seconds = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int hours = 0, minutes = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &hours, &minutes) != 2)
      return std::nullopt;
    offset_seconds = (rest[0] == '-' ? -1 : 1) * (hours * 3600L + minutes * 60L);
  } else {
    return std::nullopt;
  }
  time_t utc = timegm(&tm);
  if (utc == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(utc - offset_seconds);
}

}  // namespace

std::string AuthChallenge::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header) {
  std::vector<AuthChallenge> challenges;
  Scanner scan{header};
  while (true) {
    scan.skip_spaces_and_commas();
    if (scan.done()) break;
    std::string_view scheme = scan.token();
    if (scheme.empty()) break;  // not a header we understand past this point
    AuthChallenge challenge{lowercase(scheme), {}};
    while (true) {
      scan.skip_spaces_and_commas();
      size_t param_start = scan.pos;
      std::string_view name = scan.token();
      scan.skip_spaces();
      if (name.empty() || scan.peek() != '=') {
        // Not "name=": the next challenge's scheme (or a token68 we have no use for).
        scan.pos = param_start;
        if (name.empty()) scan.pos++;
        break;
      }
      scan.pos++;
      scan.skip_spaces();
      challenge.params[lowercase(name)] = scan.value();
    }
    challenges.push_back(std::move(challenge));
  }
  return challenges;
}

std::optional<AuthChallenge> choose_challenge(const std::vector<std::string>& headers) {
  std::optional<AuthChallenge> basic;
  for (const auto& header : headers)
    for (auto& challenge : parse_www_authenticate(header)) {
      if (challenge.scheme == "bearer") return challenge;
      if (challenge.scheme == "basic" && !basic) basic = std::move(challenge);
    }
  return basic;
}

std::string repository_scope(std::string_view repo, bool push) {
  return fmt::format("repository:{}:{}", repo, push ? "pull,push" : "pull");
}

BearerToken parse_token_response(std::string_view body) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) fail("token response is not JSON");
  auto text = [&](const char* name) {
    auto field = doc.find(name);
    return field != doc.end() && field->is_string() ? field->get<std::string>() : std::string();
  };
  BearerToken token;
  token.token = text("token");
  if (token.token.empty()) token.token = text("access_token");
  if (token.token.empty()) fail("token response holds no token");
  auto expires = doc.find("expires_in");
  if (expires != doc.end() && expires->is_number_integer() && expires->get<long long>() > 0)
    token.expires_in = std::chrono::seconds(expires->get<long long>());
  std::string issued = text("issued_at");
  if (!issued.empty()) token.issued_at = parse_rfc3339(issued);
  return token;
}

std::chrono::steady_clock::time_point token_deadline(const BearerToken& token,
                                                     std::chrono::system_clock::time_point now,
                                                     std::chrono::steady_clock::time_point steady_now) {
  using std::chrono::seconds;
  seconds lifetime = token.expires_in;
  seconds remaining = lifetime;
  if (token.issued_at && *token.issued_at <= now)
    remaining = std::chrono::duration_cast<seconds>(*token.issued_at + lifetime - now);
  seconds margin = std::min(seconds(10), lifetime / 4);
  return steady_now + remaining - margin;
}

http::Request token_request(const AuthChallenge& challenge, const std::vector<std::string>& scopes,
                            const std::optional<Credentials>& credentials) {
  std::string realm = challenge.param("realm");
  std::string service = challenge.param("service");
  http::Request request;
  if (credentials && !credentials->identity_token.empty()) {
    // docs/spec/auth/oauth.md: the refresh token goes in a form body, scopes space-separated.
    std::string joined;
    for (const auto& scope : scopes) joined += (joined.empty() ? "" : " ") + scope;
    request.method = "POST";
    request.url = realm;
    request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    std::string form =
        "grant_type=refresh_token&client_id=tug&refresh_token=" + url_encode(credentials->identity_token);
    if (!service.empty()) form += "&service=" + url_encode(service);
    if (!joined.empty()) form += "&scope=" + url_encode(joined);
    request.body = std::move(form);
    return request;
  }
  request.url = realm;
  if (!service.empty()) request.url = add_query_param(request.url, "service", service);
  for (const auto& scope : scopes) request.url = add_query_param(request.url, "scope", scope);
  if (credentials && !credentials->username.empty())
    request.headers.push_back(basic_authorization(*credentials));
  return request;
}

std::string token_error(const http::Response& response, bool sent_credentials) {
  if (auto message = registry_error_message(response.body)) return *message;
  if (response.status == 401 || response.status == 403) {
    // Docker Hub's token server (and ours in the tests) answer {"details": "..."}.
    Json doc = Json::parse(response.body, nullptr, false);
    if (doc.is_object() && doc.contains("details") && doc["details"].is_string())
      return "unauthorized: " + doc["details"].get<std::string>();
    return sent_credentials ? "unauthorized: incorrect username or password"
                            : "unauthorized: authentication required";
  }
  return "getting an auth token: " + http::status_text(response.status);
}

std::string basic_authorization(const Credentials& credentials) {
  return "Authorization: Basic " + base64_encode(credentials.username + ":" + credentials.password);
}

std::string TokenCache::key(const AuthChallenge& challenge, const std::vector<std::string>& scopes) {
  std::string key = challenge.param("realm") + '\n' + challenge.param("service");
  for (const auto& scope : scopes) key += '\n' + scope;
  return key;
}

std::optional<std::string> TokenCache::find(const std::string& key,
                                            std::chrono::steady_clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.deadline <= now) return std::nullopt;
  return it->second.token;
}

void TokenCache::store(const std::string& key, std::string token,
                       std::chrono::steady_clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  entries_[key] = Entry{std::move(token), deadline};
}

void TokenCache::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

}  // namespace tug
