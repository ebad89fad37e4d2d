// Tests for fs/layer_stack: the merged view of layers matches what overlay would show.
#include "fs/layer_stack.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "tests/unit/fs/layer_test_util.hpp"

namespace tug {
namespace {

using test::make_layer;
using test::TarBuilder;
using test::TempDir;

TEST_CASE("layer_stack: whiteouts, opaque directories and files over directories") {
  TempDir t;
  TarBuilder l1;
  l1.dir("etc/").file("etc/passwd", "root").file("etc/group", "wheel");
  l1.dir("opt/").file("opt/old", "1");
  l1.dir("var/").file("var/log", "x");
  TarBuilder l2;
  l2.file("etc/.wh.group", "").file("etc/hosts", "h");
  l2.dir("opt/").file("opt/.wh..wh..opq", "").file("opt/new", "2");
  l2.file("var", "now a file");
  LayerStack stack({make_layer(t, "l1", l1), make_layer(t, "l2", l2)});

  auto root = stack.root();
  CHECK(root.exists());
  CHECK(stack.list(root) == std::vector<std::string>{"etc", "opt", "var"});

  auto etc = stack.open(root, "etc");
  REQUIRE(etc.exists());
  CHECK(stack.list(etc) == std::vector<std::string>{"hosts", "passwd"});
  CHECK(stack.lookup(etc, "passwd"));
  CHECK_FALSE(stack.lookup(etc, "group"));
  CHECK_FALSE(stack.lookup(etc, "missing"));

  auto opt = stack.open(root, "opt");
  CHECK(stack.list(opt) == std::vector<std::string>{"new"});
  CHECK_FALSE(stack.lookup(opt, "old"));

  auto var = stack.lookup(root, "var");
  REQUIRE(var);
  CHECK(S_ISREG(var->st_mode));
  CHECK_FALSE(stack.open(root, "var").exists());
}

TEST_CASE("layer_stack: no layers is an empty root") {
  LayerStack stack({});
  auto root = stack.root();
  CHECK_FALSE(root.exists());
  CHECK(stack.list(root).empty());
  CHECK_FALSE(stack.lookup(root, "etc"));
}

}  // namespace
}  // namespace tug
