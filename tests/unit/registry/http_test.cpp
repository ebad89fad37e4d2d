// HTTP pieces of the registry client: headers, ranges, retry policy, registry errors
// (registry/http.cpp, registry/registry_error.cpp).
#include "registry/http.hpp"

#include <doctest/doctest.h>

#include "registry/registry_error.hpp"

using namespace std::chrono_literals;

TEST_CASE("Range and upload Content-Range headers") {
  CHECK(tug::http::range_header(0) == "Range: bytes=0-");
  CHECK(tug::http::range_header(1048576) == "Range: bytes=1048576-");
  CHECK(tug::http::upload_content_range(0, 33554432) == "0-33554431");
  CHECK(tug::http::upload_content_range(33554432, 10) == "33554432-33554441");
}

TEST_CASE("the start of a 206's Content-Range") {
  CHECK(tug::http::content_range_start("bytes 100-199/1000") == 100u);
  CHECK(tug::http::content_range_start("bytes 0-0/*") == 0u);
  CHECK_FALSE(tug::http::content_range_start("bytes */1000").has_value());
  CHECK_FALSE(tug::http::content_range_start("items 1-2/3").has_value());
  CHECK_FALSE(tug::http::content_range_start("").has_value());
}

TEST_CASE("response headers: case-insensitive, the last response of a redirect chain") {
  tug::http::ResponseHeaders headers;
  headers.add_raw_line("HTTP/1.1 307 Temporary Redirect\r\n");
  headers.add_raw_line("Location: https://storage/x\r\n");
  headers.add_raw_line("\r\n");
  headers.add_raw_line("HTTP/1.1 200 OK\r\n");
  headers.add_raw_line("docker-content-digest:  sha256:abc \r\n");
  headers.add_raw_line("WWW-Authenticate: Bearer realm=\"a\"\r\n");
  headers.add_raw_line("Www-Authenticate: Basic realm=\"b\"\r\n");
  CHECK_FALSE(headers.get("Location").has_value());
  CHECK(headers.get("Docker-Content-Digest") == "sha256:abc");
  CHECK(headers.all("www-authenticate").size() == 2);
}

TEST_CASE("back-off doubles from the base delay and stops at 8 s") {
  CHECK(tug::http::backoff_delay(500, 0) == 500ms);
  CHECK(tug::http::backoff_delay(500, 1) == 1000ms);
  CHECK(tug::http::backoff_delay(500, 4) == 8000ms);
  CHECK(tug::http::backoff_delay(500, 30) == 8000ms);
  CHECK(tug::http::backoff_delay(0, 3) == 0ms);
}

TEST_CASE("which failures are retried") {
  CHECK(tug::http::is_transient(CURLE_COULDNT_CONNECT));
  CHECK(tug::http::is_transient(CURLE_RECV_ERROR));
  CHECK(tug::http::is_transient(CURLE_PARTIAL_FILE));
  CHECK(tug::http::is_transient(CURLE_OPERATION_TIMEDOUT));
  CHECK_FALSE(tug::http::is_transient(CURLE_PEER_FAILED_VERIFICATION));
  CHECK(tug::http::is_transient_status(503));
  CHECK(tug::http::is_transient_status(429));
  CHECK(tug::http::is_transient_status(408));
  CHECK_FALSE(tug::http::is_transient_status(404));
  CHECK_FALSE(tug::http::is_transient_status(401));
  CHECK(tug::http::describe_failure(CURLE_COULDNT_CONNECT, "Failed to connect") == "connection refused");
}

TEST_CASE("registry error bodies become docker's one-line messages") {
  CHECK(
      tug::registry_error_message(
          R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]})") ==
      "manifest unknown: manifest unknown");
  CHECK(tug::registry_error_message(
            R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})") ==
        "blob unknown: blob unknown to registry");
  CHECK(tug::registry_error_message(
            R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})") ==
        "denied: requested access to the resource is denied");
  CHECK_FALSE(tug::registry_error_message("404 page not found").has_value());
  CHECK_FALSE(tug::registry_error_message(R"({"errors":[]})").has_value());

  tug::http::Response plain;
  plain.status = 404;
  plain.body = "404 page not found";
  CHECK(tug::describe_response(plain) == "404 Not Found");
  plain.status = 401;
  CHECK(tug::describe_response(plain) == "unauthorized: authentication required");
}
