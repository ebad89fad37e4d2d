// Tests for fs/safe_path: tar name normalisation and resolution that cannot leave the root.
#include "fs/safe_path.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/fs/fs_test_util.hpp"
#include "util/error.hpp"

namespace tug {
namespace {

using test::TempDir;

TEST_CASE("safe_path: clean_entry_path normalises tar names") {
  CHECK(clean_entry_path("etc/passwd") == "etc/passwd");
  CHECK(clean_entry_path("./etc/passwd") == "etc/passwd");
  CHECK(clean_entry_path("/etc/passwd") == "etc/passwd");
  CHECK(clean_entry_path("//etc//./passwd") == "etc/passwd");
  CHECK(clean_entry_path("usr/lib/") == "usr/lib");
  CHECK(clean_entry_path("./") == "");
  CHECK(clean_entry_path(".") == "");
  CHECK(clean_entry_path("") == "");
  CHECK(clean_entry_path("a/..b/c..") == "a/..b/c..");
  CHECK(clean_entry_path(".wh..wh..opq") == ".wh..wh..opq");
}

TEST_CASE("safe_path: clean_entry_path refuses any .. component") {
  CHECK_THROWS_WITH_AS(clean_entry_path("../x"), "tar entry \"../x\": path escapes the layer", Error);
  CHECK_THROWS_AS(clean_entry_path("a/../../x"), Error);
  CHECK_THROWS_AS(clean_entry_path("a/b/.."), Error);
  CHECK_THROWS_AS(clean_entry_path("/.."), Error);
}

TEST_CASE("safe_path: make_dirs_beneath creates exact modes whatever the umask") {
  TempDir root;
  mode_t old = ::umask(077);
  UniqueFd fd = make_dirs_beneath(root.fd(), "a/b/c", 0755);
  ::umask(old);
  REQUIRE(fd);
  struct stat st;
  REQUIRE(::stat((root / "a/b/c").c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 07777) == 0755);
  // Existing directories are fine.
  CHECK(make_dirs_beneath(root.fd(), "a/b"));
  CHECK(make_dirs_beneath(root.fd(), ""));
}

TEST_CASE("safe_path: symlinks are followed only while they stay beneath the root") {
  TempDir outside;
  TempDir root;
  REQUIRE(::mkdir((root / "real").c_str(), 0755) == 0);
  REQUIRE(::symlink("real", (root / "inside").c_str()) == 0);
  REQUIRE(::symlink("/", (root / "abs").c_str()) == 0);
  REQUIRE(::symlink(outside.path().c_str(), (root / "abs_out").c_str()) == 0);
  REQUIRE(::symlink("../..", (root / "up").c_str()) == 0);

  ParentDir p = open_parent_beneath(root.fd(), "inside/x", /*create=*/false);
  CHECK(p.name == "x");
  REQUIRE(::mkdirat(p.fd.get(), p.name.c_str(), 0755) == 0);
  struct stat made;
  CHECK(::stat((root / "real/x").c_str(), &made) == 0);

  for (const char* rel : {"abs/etc/x", "abs_out/x", "up/x", "abs_out/deeper/x"}) {
    CAPTURE(rel);
    CHECK_THROWS_WITH_AS(open_parent_beneath(root.fd(), rel, /*create=*/true),
                         "path escapes the layer through a symlink", Error);
  }
  CHECK_THROWS_WITH_AS(make_dirs_beneath(root.fd(), "abs_out/new", 0755, "the rootfs"),
                       "path escapes the rootfs through a symlink", Error);
  // Nothing was made outside.
  struct stat st;
  CHECK(::stat((outside / "new").c_str(), &st) != 0);
  CHECK(::stat((outside / "deeper").c_str(), &st) != 0);
  // The last component is never resolved: a symlink there is just a name in its parent.
  ParentDir last = open_parent_beneath(root.fd(), "abs", /*create=*/false);
  CHECK(last.name == "abs");
}

TEST_CASE("safe_path: open_beneath reports escapes as EXDEV") {
  TempDir root;
  REQUIRE(::symlink("/etc", (root / "etc").c_str()) == 0);
  UniqueFd fd = open_beneath(root.fd(), "etc/passwd", O_RDONLY);
  CHECK_FALSE(fd);
  CHECK(errno == EXDEV);
  CHECK_FALSE(open_beneath(root.fd(), "../x", O_RDONLY));
  CHECK(errno == EXDEV);
}

TEST_CASE("safe_path: remove_at deletes trees, read-only ones too, never following symlinks") {
  TempDir outside;
  REQUIRE(::close(::open((outside / "keep").c_str(), O_CREAT | O_WRONLY, 0644)) == 0);
  TempDir root;
  REQUIRE(::mkdir((root / "d").c_str(), 0755) == 0);
  REQUIRE(::mkdir((root / "d/ro").c_str(), 0755) == 0);
  REQUIRE(::close(::open((root / "d/ro/f").c_str(), O_CREAT | O_WRONLY, 0644)) == 0);
  REQUIRE(::symlink(outside.path().c_str(), (root / "d/link").c_str()) == 0);
  REQUIRE(::chmod((root / "d/ro").c_str(), 0555) == 0);
  remove_at(root.fd(), "d", "d");
  struct stat st;
  CHECK(::lstat((root / "d").c_str(), &st) != 0);
  CHECK(::stat((outside / "keep").c_str(), &st) == 0);
  remove_at(root.fd(), "missing", "missing");  // fine
}

}  // namespace
}  // namespace tug
