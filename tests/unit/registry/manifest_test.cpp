// Manifest and index parsing, platform normalisation and selection (containerd's rules).
#include "registry/manifest.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

using namespace tug;

namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');
const std::string kDigestC = "sha256:" + std::string(64, 'c');

std::string entry(const std::string& digest, const std::string& os, const std::string& arch,
                  const std::string& variant = "") {
  std::string platform = R"({"os":")" + os + R"(","architecture":")" + arch + "\"";
  if (!variant.empty()) platform += R"(,"variant":")" + variant + "\"";
  return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest +
         R"(","size":100,"platform":)" + platform + "}}";
}

ImageIndex index_of(const std::vector<std::string>& entries) {
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)";
  for (size_t i = 0; i < entries.size(); ++i) body += (i ? "," : "") + entries[i];
  body += "]}";
  return parse_image_index(body, "");
}

std::string selected(const ImageIndex& index, const std::string& want) {
  auto d = select_platform(index, parse_platform(want));
  return d ? d->digest : "none";
}

}  // namespace

TEST_CASE("a Docker schema 2 manifest parses with its config and layers in order") {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":")" +
                     kDigestA + R"("},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":10,"digest":")" +
                     kDigestB +
                     R"("},
              {"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":20,"digest":")" +
                     kDigestC + R"("}]})";
  auto m = parse_image_manifest(body, "application/vnd.docker.distribution.manifest.v2+json");
  CHECK(m.media_type == media_type::kDockerManifest);
  CHECK(m.config.digest == kDigestA);
  CHECK(m.config.size == 1469);
  REQUIRE(m.layers.size() == 2);
  CHECK(m.layers[0].digest == kDigestB);
  CHECK(m.layers[1].size == 20);
}

TEST_CASE("a generic Content-Type falls back to the body's mediaType") {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":
    {"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":")" +
                     kDigestA + R"("},"layers":[]})";
  CHECK(parse_image_manifest(body, "application/json").media_type == media_type::kOciManifest);
  CHECK(parse_image_manifest(body, "").media_type == media_type::kOciManifest);
}

TEST_CASE("bad manifests are rejected with what is wrong") {
  CHECK_THROWS_WITH_AS(parse_image_manifest("{\"schemaVersion\":1,\"fsLayers\":[]}", ""),
                       doctest::Contains("schema 1"), Error);
  CHECK_THROWS_WITH_AS(parse_image_manifest("not json", ""), doctest::Contains("not a JSON object"), Error);
  std::string bad_digest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"x","size":2,"digest":"md5:abc"},"layers":[]})";
  CHECK_THROWS_WITH_AS(parse_image_manifest(bad_digest, ""), doctest::Contains("md5:abc"), Error);
  std::string negative = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"x","size":-1,"digest":")" +
                         kDigestA + R"("},"layers":[]})";
  CHECK_THROWS_WITH_AS(parse_image_manifest(negative, ""), doctest::Contains("no valid size"), Error);
  // An index is not a manifest.
  CHECK_THROWS_AS(parse_image_manifest(R"({"schemaVersion":2,"manifests":[]})",
                                       "application/vnd.oci.image.index.v1+json"),
                  Error);
}

TEST_CASE("platform strings normalise as containerd does") {
  CHECK(parse_platform("linux/amd64").str() == "linux/amd64");
  CHECK(parse_platform("linux/x86_64").str() == "linux/amd64");
  CHECK(parse_platform("linux/aarch64").str() == "linux/arm64/v8");
  CHECK(parse_platform("linux/arm64").str() == "linux/arm64/v8");
  CHECK(parse_platform("linux/arm").str() == "linux/arm/v7");
  CHECK(parse_platform("linux/armhf").str() == "linux/arm/v7");
  CHECK(parse_platform("linux/arm/6").str() == "linux/arm/v6");
  CHECK(parse_platform("arm64").str() == "linux/arm64/v8");
  CHECK(parse_platform("linux").str() == host_platform().str());
  CHECK_THROWS_AS(parse_platform("linux//v7"), Error);
  CHECK_THROWS_AS(parse_platform(""), Error);
  CHECK_THROWS_AS(parse_platform("a/b/c/d"), Error);
}

TEST_CASE("exact platform matches win over compatible ones") {
  auto index = index_of({entry(kDigestA, "linux", "386"), entry(kDigestB, "linux", "amd64"),
                         entry(kDigestC, "linux", "arm64", "v8")});
  CHECK(selected(index, "linux/amd64") == kDigestB);
  CHECK(selected(index, "linux/arm64") == kDigestC);
  CHECK(selected(index, "linux/386") == kDigestA);
  CHECK(selected(index, "linux/s390x") == "none");
  CHECK(selected(index, "windows/amd64") == "none");
}

TEST_CASE("fallbacks: amd64 runs 386, arm64 runs arm, arm/v7 runs v6 but not v8") {
  auto only386 = index_of({entry(kDigestA, "linux", "386")});
  CHECK(selected(only386, "linux/amd64") == kDigestA);
  auto arms = index_of({entry(kDigestA, "linux", "arm", "v6"), entry(kDigestB, "linux", "arm", "v7")});
  CHECK(selected(arms, "linux/arm64") == kDigestB);  // v7 is preferred over v6
  CHECK(selected(arms, "linux/arm/v7") == kDigestB);
  CHECK(selected(arms, "linux/arm/v6") == kDigestA);
  CHECK(selected(arms, "linux/arm/v5") == "none");
  auto v8_only = index_of({entry(kDigestC, "linux", "arm", "v8")});
  CHECK(selected(v8_only, "linux/arm/v7") == "none");
  auto amd64_v2 = index_of({entry(kDigestA, "linux", "amd64"), entry(kDigestB, "linux", "amd64", "v2")});
  CHECK(selected(amd64_v2, "linux/amd64/v3") == kDigestB);
  CHECK(selected(amd64_v2, "linux/amd64") == kDigestA);
  auto arm64_v82 = index_of({entry(kDigestA, "linux", "arm64", "v8.1"), entry(kDigestB, "linux", "arm64")});
  CHECK(selected(arm64_v82, "linux/arm64/v8.2") == kDigestA);
}

TEST_CASE("attestation entries (unknown/unknown) are never chosen") {
  auto index = index_of({entry(kDigestA, "unknown", "unknown"), entry(kDigestB, "linux", "amd64")});
  CHECK(selected(index, "linux/amd64") == kDigestB);
  CHECK(index.manifests.size() == 2);
}

TEST_CASE("Docker manifest lists parse like OCI indexes") {
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
    "manifests":[)" +
      entry(kDigestA, "linux", "amd64") + "]}";
  auto index = parse_image_index(body, "application/vnd.docker.distribution.manifest.list.v2+json");
  CHECK(index.media_type == media_type::kDockerManifestList);
  REQUIRE(index.manifests.size() == 1);
  REQUIRE(index.manifests[0].platform.has_value());
  CHECK(index.manifests[0].platform->str() == "linux/amd64");
}
