// Tests for the pure parts of core/image_archive: member name rules, docker-archive
// manifest.json and repositories, the manifest recorded for loaded images, OCI descriptor names.
#include "core/image_archive.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"
#include "util/sha256.hpp"

namespace tug {
namespace {

const std::string kHexA(64, 'a');
const std::string kHexB(64, 'b');
const std::string kHexC(64, 'c');

TEST_CASE("archive: member names are made canonical") {
  CHECK(clean_archive_path("manifest.json") == "manifest.json");
  CHECK(clean_archive_path("./manifest.json") == "manifest.json");
  CHECK(clean_archive_path("./blobs//sha256/" + kHexA) == "blobs/sha256/" + kHexA);
  CHECK(clean_archive_path("blobs/sha256/") == "blobs/sha256");
  CHECK(clean_archive_path("a/./b") == "a/b");
  CHECK(clean_archive_path("./") == "");
  CHECK(clean_archive_path("..foo/x..") == "..foo/x..");  // dots inside a name are only a name
}

TEST_CASE("archive: absolute member names and .. are refused") {
  CHECK_THROWS_WITH_AS(clean_archive_path("/etc/passwd"), doctest::Contains("absolute"), Error);
  CHECK_THROWS_WITH_AS(clean_archive_path("../manifest.json"), doctest::Contains("leaves the archive"),
                       Error);
  CHECK_THROWS_AS(clean_archive_path("blobs/../../x"), Error);
  CHECK_THROWS_AS(clean_archive_path("a/.."), Error);
  CHECK_THROWS_AS(clean_archive_path(".."), Error);
}

TEST_CASE("archive: symlink members resolve inside the archive only") {
  // docker 25 keeps <id>/layer.tar as a link to the OCI blob.
  CHECK(resolve_archive_link(kHexA + "/layer.tar", "../blobs/sha256/" + kHexB) == "blobs/sha256/" + kHexB);
  CHECK(resolve_archive_link("a/b/c", "./d") == "a/b/d");
  CHECK(resolve_archive_link("top", "other") == "other");
  CHECK_THROWS_WITH_AS(resolve_archive_link("x", "../y"), doctest::Contains("leaves the archive"), Error);
  CHECK_THROWS_AS(resolve_archive_link("a/x", "../../y"), Error);
  CHECK_THROWS_WITH_AS(resolve_archive_link("x", "/etc/passwd"), doctest::Contains("absolute"), Error);
}

TEST_CASE("archive: manifest.json is written as docker writes it") {
  std::vector<DockerArchiveImage> images = {
      {kHexA + ".json", {"busybox:latest", "busybox:1"}, {kHexB + "/layer.tar", kHexC + "/layer.tar"}},
      {kHexC + ".json", {}, {kHexB + "/layer.tar"}}};
  std::string text = docker_manifest_json(images);
  CHECK(text == "[{\"Config\":\"" + kHexA +
                    ".json\",\"RepoTags\":[\"busybox:latest\",\"busybox:1\"],\"Layers\":[\"" + kHexB +
                    "/layer.tar\",\"" + kHexC + "/layer.tar\"]},{\"Config\":\"" + kHexC +
                    ".json\",\"RepoTags\":null,\"Layers\":[\"" + kHexB + "/layer.tar\"]}]\n");
  auto back = parse_docker_manifest(text);
  REQUIRE(back.size() == 2);
  CHECK(back[0].config == images[0].config);
  CHECK(back[0].repo_tags == images[0].repo_tags);
  CHECK(back[0].layers == images[0].layers);
  CHECK(back[1].repo_tags.empty());
  CHECK(back[1].layers == images[1].layers);
}

TEST_CASE("archive: manifest.json from other tools parses (./ prefixes, no RepoTags, extra keys)") {
  auto images = parse_docker_manifest(
      R"([{"Config":"./cfg.json","Layers":["./l1.tar","blobs/sha256/x"],"LayerSources":{}}])");
  REQUIRE(images.size() == 1);
  CHECK(images[0].config == "cfg.json");
  CHECK(images[0].repo_tags.empty());
  CHECK(images[0].layers == std::vector<std::string>{"l1.tar", "blobs/sha256/x"});
}

TEST_CASE("archive: malformed manifest.json is refused with a reason") {
  CHECK_THROWS_WITH_AS(parse_docker_manifest("[{"), doctest::Contains("not valid JSON"), Error);
  CHECK_THROWS_WITH_AS(parse_docker_manifest("{}"), doctest::Contains("not a list"), Error);
  CHECK_THROWS_WITH_AS(parse_docker_manifest(R"([{"Layers":[]}])"), doctest::Contains("no Config"), Error);
  CHECK_THROWS_WITH_AS(parse_docker_manifest(R"([{"Config":"c.json","Layers":"x"}])"),
                       doctest::Contains("Layers is not a list"), Error);
  CHECK_THROWS_WITH_AS(parse_docker_manifest(R"([{"Config":"c.json","RepoTags":[1]}])"),
                       doctest::Contains("RepoTags"), Error);
  CHECK_THROWS_WITH_AS(parse_docker_manifest(R"([{"Config":"c.json","Layers":["../../etc/shadow"]}])"),
                       doctest::Contains("leaves the archive"), Error);
  CHECK_THROWS_WITH_AS(parse_docker_manifest(R"([{"Config":"/etc/passwd","Layers":[]}])"),
                       doctest::Contains("absolute"), Error);
}

TEST_CASE("archive: repositories maps each tag to the image's top layer directory") {
  std::vector<DockerArchiveImage> images = {{"c.json",
                                             {"busybox:latest", "localhost:5000/team/app:v1"},
                                             {kHexB + "/layer.tar", kHexC + "/layer.tar"}},
                                            {"d.json", {}, {kHexB + "/layer.tar"}}};
  CHECK(docker_repositories_json(images) == "{\"busybox\":{\"latest\":\"" + kHexC +
                                                "\"},\"localhost:5000/team/app\":{\"v1\":\"" + kHexC +
                                                "\"}}\n");
}

TEST_CASE("archive: the recorded manifest has import's shape, so equal content gives an equal digest") {
  std::string m =
      synthesize_manifest("sha256:" + kHexA, 123,
                          {{"application/vnd.oci.image.layer.v1.tar", "sha256:" + kHexB, 4096},
                           {"application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + kHexC, 77}});
  CHECK(m ==
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{"
        "\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" +
            kHexA +
            "\",\"size\":123},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
            "\"digest\":\"sha256:" +
            kHexB +
            "\",\"size\":4096},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":"
            "\"sha256:" +
            kHexC + "\",\"size\":77}]}");
}

TEST_CASE("archive: OCI descriptor names, containerd's annotation first") {
  CHECK(oci_descriptor_name(Json::parse(R"({"digest":"x"})")) == "");
  CHECK(oci_descriptor_name(Json::parse(
            R"({"annotations":{"org.opencontainers.image.ref.name":"docker.io/library/busybox:1"}})")) ==
        "docker.io/library/busybox:1");
  // docker 25 writes the bare tag as ref.name and the full name for containerd.
  CHECK(oci_descriptor_name(Json::parse(
            R"({"annotations":{"org.opencontainers.image.ref.name":"latest",
                               "io.containerd.image.name":"docker.io/library/busybox:latest"}})")) ==
        "docker.io/library/busybox:latest");
  CHECK(oci_descriptor_name(Json::parse(R"({"annotations":"nonsense"})")) == "");
}

TEST_CASE("archive: OCI blob paths accept sha256 digests only") {
  CHECK(oci_blob_path("sha256:" + kHexA) == "blobs/sha256/" + kHexA);
  CHECK_THROWS_AS(oci_blob_path("sha512:" + kHexA), Error);
  CHECK_THROWS_AS(oci_blob_path("sha256:../../etc"), Error);
  CHECK_THROWS_AS(oci_blob_path(""), Error);
}

TEST_CASE("archive: format names") {
  CHECK(parse_archive_format("docker-archive") == ArchiveFormat::kDocker);
  CHECK(parse_archive_format("oci-archive") == ArchiveFormat::kOci);
  CHECK_THROWS_WITH_AS(parse_archive_format("zip"), doctest::Contains("docker-archive or oci-archive"),
                       Error);
}

}  // namespace
}  // namespace tug
