// Reference parsing and normalisation as docker does it.
#include "registry/reference.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

using tug::parse_reference;

TEST_CASE("short names get docker.io/library and latest") {
  auto r = parse_reference("nginx");
  CHECK(r.domain == "docker.io");
  CHECK(r.path == "library/nginx");
  CHECK(r.tag == "latest");
  CHECK(r.full() == "docker.io/library/nginx:latest");
  CHECK(r.familiar() == "nginx:latest");
}

TEST_CASE("user repositories keep their path") {
  auto r = parse_reference("dockerfile/nginx:1.2");
  CHECK(r.full() == "docker.io/dockerfile/nginx:1.2");
  CHECK(r.familiar() == "dockerfile/nginx:1.2");
}

TEST_CASE("host:port and localhost are domains") {
  auto r = parse_reference("127.0.0.1:5000/team/app:v1");
  CHECK(r.domain == "127.0.0.1:5000");
  CHECK(r.path == "team/app");
  CHECK(r.tag == "v1");
  CHECK(r.familiar() == "127.0.0.1:5000/team/app:v1");
  auto l = parse_reference("localhost/x");
  CHECK(l.domain == "localhost");
  CHECK(l.path == "x");
  CHECK(l.familiar_repository() == "localhost/x");
}

TEST_CASE("digests") {
  std::string d = "sha256:" + std::string(64, 'a');
  auto r = parse_reference("busybox@" + d);
  CHECK(r.tag.empty());
  CHECK(r.digest == d);
  CHECK(r.full() == "docker.io/library/busybox@" + d);
  CHECK_THROWS_AS(parse_reference("busybox@sha256:abc"), tug::Error);
}

TEST_CASE("invalid references use docker's wording") {
  CHECK_THROWS_WITH(parse_reference("Busybox"),
                    "invalid reference format: repository name (library/Busybox) must be lowercase");
  CHECK_THROWS_WITH(parse_reference("a:b:c"), "invalid reference format");
  CHECK_THROWS_WITH(parse_reference("a//b"), "invalid reference format");
  CHECK_THROWS_WITH(parse_reference(""), "invalid reference format");
  CHECK_THROWS_WITH(parse_reference("x:-tag"), "invalid reference format");
  CHECK_THROWS(parse_reference("a_-b"));
  CHECK_NOTHROW(parse_reference("a__b-c.d---e"));
}

TEST_CASE("image id detection") {
  CHECK(tug::looks_like_image_id("0123abcd"));
  CHECK(tug::looks_like_image_id("sha256:0123abcd"));
  CHECK_FALSE(tug::looks_like_image_id("busybox"));
}
