// WWW-Authenticate parsing, token responses and requests, the token cache (registry/auth.cpp).
#include "registry/auth.hpp"

#include <doctest/doctest.h>

#include "registry/base64.hpp"
#include "util/error.hpp"

using namespace std::chrono_literals;
using tug::AuthChallenge;
using tug::parse_www_authenticate;

TEST_CASE("a Bearer challenge with quoted values holding commas") {
  auto challenges = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push")");
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].scheme == "bearer");
  CHECK(challenges[0].param("realm") == "https://auth.docker.io/token");
  CHECK(challenges[0].param("service") == "registry.docker.io");
  CHECK(challenges[0].param("scope") == "repository:samalba/my-app:pull,push");
  CHECK(challenges[0].param("missing").empty());
}

TEST_CASE("schemes and parameter names are case-insensitive; spaces and escapes are allowed") {
  auto challenges = parse_www_authenticate(
      R"(BEARER Realm = "http://127.0.0.1:5001/token" , SERVICE=reg, error="a \"quoted\" word")");
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].scheme == "bearer");
  CHECK(challenges[0].param("realm") == "http://127.0.0.1:5001/token");
  CHECK(challenges[0].param("service") == "reg");
  CHECK(challenges[0].param("error") == R"(a "quoted" word)");
}

TEST_CASE("Basic challenges, and several challenges in one header") {
  auto basic = parse_www_authenticate(R"(basic realm="Registry Realm")");
  REQUIRE(basic.size() == 1);
  CHECK(basic[0].scheme == "basic");
  CHECK(basic[0].param("realm") == "Registry Realm");

  auto both = parse_www_authenticate(R"(Basic realm="x, y", Bearer realm="https://a/token",service=s)");
  REQUIRE(both.size() == 2);
  CHECK(both[0].scheme == "basic");
  CHECK(both[0].param("realm") == "x, y");
  CHECK(both[1].scheme == "bearer");
  CHECK(both[1].param("service") == "s");

  // Bearer wins over Basic, whichever header it came in.
  auto chosen = tug::choose_challenge({R"(Basic realm="r")", R"(Bearer realm="https://t/token")"});
  REQUIRE(chosen);
  CHECK(chosen->scheme == "bearer");
  CHECK_FALSE(tug::choose_challenge({}).has_value());
  CHECK_FALSE(tug::choose_challenge({"Negotiate"}).has_value());
}

TEST_CASE("scopes for pulls, pushes") {
  CHECK(tug::repository_scope("library/alpine", false) == "repository:library/alpine:pull");
  CHECK(tug::repository_scope("team/app", true) == "repository:team/app:pull,push");
}

TEST_CASE("token responses: token or access_token, expires_in defaults to 60 s") {
  auto both = tug::parse_token_response(R"({"token":"t1","access_token":"a1","expires_in":300})");
  CHECK(both.token == "t1");
  CHECK(both.expires_in == 300s);
  CHECK_FALSE(both.issued_at.has_value());

  auto access = tug::parse_token_response(R"({"access_token":"a2"})");
  CHECK(access.token == "a2");
  CHECK(access.expires_in == 60s);

  auto issued = tug::parse_token_response(R"({"token":"t","issued_at":"2024-05-01T12:00:00.5Z"})");
  REQUIRE(issued.issued_at.has_value());
  CHECK(std::chrono::system_clock::to_time_t(*issued.issued_at) == 1714564800);
  auto offset = tug::parse_token_response(R"({"token":"t","issued_at":"2024-05-01T14:00:00+02:00"})");
  REQUIRE(offset.issued_at.has_value());
  CHECK(std::chrono::system_clock::to_time_t(*offset.issued_at) == 1714564800);

  CHECK_THROWS_AS(tug::parse_token_response(R"({"expires_in":60})"), tug::Error);
  CHECK_THROWS_AS(tug::parse_token_response("not json"), tug::Error);
}

TEST_CASE("token deadlines count from issued_at and keep a margin") {
  auto now = std::chrono::system_clock::now();
  auto steady = std::chrono::steady_clock::now();
  tug::BearerToken token{"t", 300s, std::nullopt};
  CHECK(tug::token_deadline(token, now, steady) == steady + 290s);
  token.issued_at = now - 100s;
  CHECK(tug::token_deadline(token, now, steady) == steady + 190s);
  token.expires_in = 60s;
  token.issued_at.reset();
  CHECK(tug::token_deadline(token, now, steady) == steady + 50s);
  // A token issued "in the future" (clock skew) counts from now.
  token.issued_at = now + 1000s;
  CHECK(tug::token_deadline(token, now, steady) == steady + 50s);
}

TEST_CASE("token requests: GET with service, one scope= per scope, Basic credentials") {
  AuthChallenge challenge{"bearer", {{"realm", "https://auth.example/token"}, {"service", "reg.example"}}};
  auto anonymous =
      tug::token_request(challenge, {"repository:a/b:pull,push", "repository:c:pull"}, std::nullopt);
  CHECK(anonymous.method == "GET");
  CHECK(anonymous.url ==
        "https://auth.example/"
        "token?service=reg.example&scope=repository%3Aa%2Fb%3Apull%2Cpush&scope=repository%3Ac%3Apull");
  CHECK(anonymous.headers.empty());

  tug::Credentials user{"alice", "s3cret:x", ""};
  auto basic = tug::token_request(challenge, {}, user);
  CHECK(basic.url == "https://auth.example/token?service=reg.example");
  REQUIRE(basic.headers.size() == 1);
  CHECK(basic.headers[0] == "Authorization: Basic " + tug::base64_encode("alice:s3cret:x"));
}

TEST_CASE("token requests with an identity token use the OAuth2 POST form") {
  AuthChallenge challenge{"bearer", {{"realm", "https://auth.example/token?x=1"}, {"service", "svc"}}};
  tug::Credentials token_only{"", "", "refresh/tok=="};
  auto request = tug::token_request(challenge, {"repository:a:pull", "repository:b:pull"}, token_only);
  CHECK(request.method == "POST");
  CHECK(request.url == "https://auth.example/token?x=1");
  REQUIRE(request.body.has_value());
  CHECK(*request.body ==
        "grant_type=refresh_token&client_id=tug&refresh_token=refresh%2Ftok%3D%3D&service=svc"
        "&scope=repository%3Aa%3Apull%20repository%3Ab%3Apull");
}

TEST_CASE("refused token requests read like docker's errors") {
  tug::http::Response details;
  details.status = 401;
  details.body = R"({"details":"incorrect username or password"})";
  CHECK(tug::token_error(details, true) == "unauthorized: incorrect username or password");
  tug::http::Response bare;
  bare.status = 401;
  CHECK(tug::token_error(bare, false) == "unauthorized: authentication required");
  CHECK(tug::token_error(bare, true) == "unauthorized: incorrect username or password");
  bare.status = 500;
  CHECK(tug::token_error(bare, true) == "getting an auth token: 500 Internal Server Error");
}

TEST_CASE("the token cache keys on realm, service and scopes and honours deadlines") {
  tug::TokenCache cache;
  AuthChallenge a{"bearer", {{"realm", "r"}, {"service", "s"}}};
  AuthChallenge b{"bearer", {{"realm", "r"}, {"service", "other"}}};
  auto now = std::chrono::steady_clock::now();
  std::string pull = tug::TokenCache::key(a, {"repository:x:pull"});
  CHECK(pull != tug::TokenCache::key(a, {"repository:x:pull,push"}));
  CHECK(pull != tug::TokenCache::key(b, {"repository:x:pull"}));
  cache.store(pull, "tok", now + 10s);
  CHECK(cache.find(pull, now) == "tok");
  CHECK_FALSE(cache.find(pull, now + 10s).has_value());
  CHECK_FALSE(cache.find(tug::TokenCache::key(b, {"repository:x:pull"}), now).has_value());
  cache.forget(pull);
  CHECK_FALSE(cache.find(pull, now).has_value());
}

TEST_CASE("Basic authorization and base64") {
  CHECK(tug::basic_authorization({"user", "pass", ""}) == "Authorization: Basic dXNlcjpwYXNz");
  CHECK(tug::base64_encode("") == "");
  CHECK(tug::base64_encode("a") == "YQ==");
  CHECK(tug::base64_decode("YQ==") == "a");
  CHECK(tug::base64_decode("YWI=") == "ab");
  CHECK(tug::base64_decode(" dXNlcjpwYXNz\n") == "user:pass");
  CHECK_FALSE(tug::base64_decode("abc").has_value());
  CHECK_FALSE(tug::base64_decode("a*b=").has_value());
}
