// Registry hosts, query encoding and upload Locations (registry/url.cpp).
#include "registry/url.hpp"

#include <doctest/doctest.h>

TEST_CASE("docker.io and its aliases use registry-1.docker.io") {
  CHECK(tug::registry_api_host("docker.io") == "registry-1.docker.io");
  CHECK(tug::registry_api_host("index.docker.io") == "registry-1.docker.io");
  CHECK(tug::registry_api_host("localhost:5000") == "localhost:5000");
  CHECK(tug::registry_api_host("quay.io") == "quay.io");
}

TEST_CASE("loopback registries") {
  CHECK(tug::is_loopback_registry("localhost"));
  CHECK(tug::is_loopback_registry("localhost:5000"));
  CHECK(tug::is_loopback_registry("127.0.0.1:5000"));
  CHECK(tug::is_loopback_registry("127.1.2.3"));
  CHECK(tug::is_loopback_registry("[::1]:5000"));
  CHECK(tug::is_loopback_registry("::1"));
  CHECK_FALSE(tug::is_loopback_registry("128.0.0.1:5000"));
  CHECK_FALSE(tug::is_loopback_registry("127.0.0.1.example.com"));
  CHECK_FALSE(tug::is_loopback_registry("localhost.example.com:5000"));
  CHECK_FALSE(tug::is_loopback_registry("docker.io"));
}

TEST_CASE("query values are percent-encoded") {
  CHECK(tug::url_encode("sha256:ab") == "sha256%3Aab");
  CHECK(tug::url_encode("a/b c~d_e-f.g") == "a%2Fb%20c~d_e-f.g");
}

TEST_CASE("upload Locations: absolute, absolute path, relative; queries kept") {
  std::string request = "http://127.0.0.1:5000/v2/team/app/blobs/uploads/";
  CHECK(tug::resolve_location(request, "https://storage.example/up/1?sig=x") ==
        "https://storage.example/up/1?sig=x");
  CHECK(tug::resolve_location(request, "/v2/team/app/blobs/uploads/uuid?_state=abc%3D") ==
        "http://127.0.0.1:5000/v2/team/app/blobs/uploads/uuid?_state=abc%3D");
  CHECK(tug::resolve_location(request, "uuid?_state=s") ==
        "http://127.0.0.1:5000/v2/team/app/blobs/uploads/uuid?_state=s");
  CHECK(tug::resolve_location("https://h/v2/a/blobs/uploads/old?_state=1", "new?_state=2") ==
        "https://h/v2/a/blobs/uploads/new?_state=2");
  CHECK(tug::url_origin("https://h:1/x?y") == "https://h:1");
  CHECK(tug::url_origin("/relative").empty());
}

TEST_CASE("query parameters are appended with ? or &") {
  CHECK(tug::add_query_param("http://h/u/1", "digest", "sha256:ab") == "http://h/u/1?digest=sha256%3Aab");
  CHECK(tug::add_query_param("http://h/u/1?_state=x", "digest", "sha256:ab") ==
        "http://h/u/1?_state=x&digest=sha256%3Aab");
  CHECK(tug::add_query_param("http://h/token?", "service", "s") == "http://h/token?service=s");
}
