// Tests for core/container_copy's path rules, which follow docker's (moby/go-archive copy.go).
#include "core/container_copy.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

namespace tug {
namespace {

CopyInfo info(const std::string& path, bool exists, bool is_dir, const std::string& rebase = "") {
  CopyInfo i;
  i.path = path;
  i.exists = exists;
  i.is_dir = is_dir;
  i.rebase_name = rebase;
  return i;
}

TEST_CASE("container_copy: clean_copy_path keeps a trailing slash or /.") {
  CHECK(clean_copy_path("/a//b/") == "/a/b/");
  CHECK(clean_copy_path("/a/b/.") == "/a/b/.");
  CHECK(clean_copy_path("/a/./b") == "/a/b");
  CHECK(clean_copy_path("/a/../b") == "/b");
  CHECK(clean_copy_path("/..") == "/");
  CHECK(clean_copy_path("/") == "/");
  CHECK(clean_copy_path("/.") == "/.");
}

TEST_CASE("container_copy: split_path_dir_entry") {
  CHECK(split_path_dir_entry("/a/b") == std::make_pair(std::string("/a"), std::string("b")));
  CHECK(split_path_dir_entry("/a/b/") == std::make_pair(std::string("/a"), std::string("b")));
  CHECK(split_path_dir_entry("/a/b/.") == std::make_pair(std::string("/a/b"), std::string(".")));
  CHECK(split_path_dir_entry("/x") == std::make_pair(std::string("/"), std::string("x")));
  CHECK(split_path_dir_entry("/") == std::make_pair(std::string("/"), std::string(".")));
}

TEST_CASE("container_copy: split_cp_arg as docker's splitCpArg") {
  CHECK(split_cp_arg("c:/etc") == std::make_pair(std::string("c"), std::string("/etc")));
  CHECK(split_cp_arg("c:etc/x") == std::make_pair(std::string("c"), std::string("etc/x")));
  CHECK(split_cp_arg("/abs:path") == std::make_pair(std::string(""), std::string("/abs:path")));
  CHECK(split_cp_arg("./file:name") == std::make_pair(std::string(""), std::string("./file:name")));
  CHECK(split_cp_arg("-") == std::make_pair(std::string(""), std::string("-")));
  CHECK(split_cp_arg("local") == std::make_pair(std::string(""), std::string("local")));
}

TEST_CASE("container_copy: plan_copy follows docker's PrepareArchiveCopy") {
  SUBCASE("into an existing directory, under the source's name") {
    auto p = plan_copy(info("/etc/passwd", true, false), info("/tmp/out", true, true));
    CHECK(p.extract_dir == "/tmp/out");
    CHECK(p.top_name == "passwd");
  }
  SUBCASE("a directory's contents (/.) into an existing directory") {
    auto p = plan_copy(info("/etc/.", true, true), info("/tmp/out", true, true));
    CHECK(p.extract_dir == "/tmp/out");
    CHECK(p.top_name == ".");
  }
  SUBCASE("onto an existing file: the file is replaced") {
    auto p = plan_copy(info("/etc/passwd", true, false), info("/tmp/out", true, false));
    CHECK(p.extract_dir == "/tmp");
    CHECK(p.top_name == "out");
  }
  SUBCASE("a directory to a new name") {
    auto p = plan_copy(info("/etc", true, true), info("/tmp/new", false, false));
    CHECK(p.extract_dir == "/tmp");
    CHECK(p.top_name == "new");
  }
  SUBCASE("a followed link keeps the link's name in a directory") {
    auto p = plan_copy(info("/etc/passwd", true, false, "esc"), info("/tmp/out", true, true));
    CHECK(p.top_name == "esc");
  }
  SUBCASE("errors") {
    CHECK_THROWS_WITH_AS(plan_copy(info("/etc", true, true), info("/tmp/file", true, false)),
                         "cannot copy directory", Error);
    CHECK_THROWS_WITH_AS(plan_copy(info("/etc/passwd", true, false), info("/tmp/nodir/", false, false)),
                         "no such directory", Error);
  }
}

}  // namespace
}  // namespace tug
