#include "core/build/copy_step.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

namespace tug::build {
namespace {

using Type = ContextEntry::Type;

const std::vector<ContextEntry> kContext = {{"Dockerfile", Type::kFile},   {"a.txt", Type::kFile},
                                            {"b.txt", Type::kFile},        {"src", Type::kDirectory},
                                            {"src/main.go", Type::kFile},  {"src/util", Type::kDirectory},
                                            {"src/util/x.go", Type::kFile}};

CopyPlan plan(std::vector<std::string> sources, std::string dest, std::string workdir = "/") {
  FileCopy copy;
  copy.sources = std::move(sources);
  copy.destination = std::move(dest);
  CopyInputs inputs;
  inputs.context_dir = "/nonexistent";
  inputs.context = &kContext;
  inputs.workdir = std::move(workdir);
  return plan_copy_step(copy, inputs, "Dockerfile", 3);
}

std::string error_of(std::vector<std::string> sources, std::string dest) {
  try {
    plan(std::move(sources), std::move(dest));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("COPY plan: a file to a file path, into a directory, relative to WORKDIR") {
  CopyPlan p = plan({"a.txt"}, "/etc/app.conf");
  REQUIRE(p.items.size() == 1);
  CHECK(p.items[0].source == "a.txt");
  CHECK(p.items[0].archive_name == "etc/app.conf");
  CHECK(p.parents == std::vector<std::string>{"etc"});

  p = plan({"a.txt"}, "/opt/app/");
  CHECK(p.items[0].archive_name == "opt/app/a.txt");
  CHECK(p.parents == std::vector<std::string>{"opt", "opt/app"});

  p = plan({"a.txt"}, ".", "/work/dir");
  CHECK(p.items[0].archive_name == "work/dir/a.txt");
  p = plan({"./a.txt"}, "sub/b", "/work");
  CHECK(p.items[0].archive_name == "work/sub/b");
}

TEST_CASE("COPY plan: a directory source copies its contents; . is the whole context") {
  CopyPlan p = plan({"src"}, "/app");
  REQUIRE(p.items.size() == 1);
  CHECK(p.items[0].contents);
  CHECK(p.items[0].archive_name == "app");
  CHECK(p.parents == std::vector<std::string>{"app"});
  p = plan({"."}, "/ctx/");
  CHECK(p.items[0].source.empty());
  CHECK(p.items[0].contents);
}

TEST_CASE("COPY plan: wildcards and several sources need a directory ending in /") {
  CopyPlan p = plan({"*.txt"}, "/d/");
  REQUIRE(p.items.size() == 2);
  CHECK(p.items[0].archive_name == "d/a.txt");
  CHECK(p.items[1].archive_name == "d/b.txt");
  CHECK(plan({"src/*.go"}, "/g/").items.size() == 1);  // * does not cross '/'
  CHECK(
      error_of({"a.txt", "b.txt"}, "/d") ==
      "Dockerfile:3: When using COPY with more than one source file, the destination must be a directory and "
      "end with a /");
  CHECK(
      error_of({"*.txt"}, "/d") ==
      "Dockerfile:3: When using COPY with more than one source file, the destination must be a directory and "
      "end with a /");
}

TEST_CASE("COPY plan: outside the context, missing, or matching nothing") {
  CHECK(error_of({"../etc/passwd"}, "/x") ==
        "Dockerfile:3: forbidden path outside the build context: ../etc/passwd");
  CHECK(error_of({"src/../../x"}, "/x") ==
        "Dockerfile:3: forbidden path outside the build context: src/../../x");
  CHECK(error_of({"missing"}, "/x") == "Dockerfile:3: failed to compute cache key: \"/missing\": not found");
  CHECK(error_of({"*.md"}, "/x/") ==
        "Dockerfile:3: failed to compute cache key: no source files were specified (*.md)");
  // An absolute source is relative to the context root, as in docker.
  CHECK(plan({"/a.txt"}, "/x").items[0].source == "a.txt");
}

}  // namespace
}  // namespace tug::build
