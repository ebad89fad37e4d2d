// Tests for fs/flatten: merging overlay-representation layers into one tree by copying.
#include "fs/flatten.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/layer_unpack.hpp"
#include "tests/unit/fs/fs_test_util.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {
namespace {

using test::TarBuilder;
using test::TarEntry;
using test::TempDir;

void unpack_into(const std::string& dir, const TarBuilder& tar) {
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  std::string bytes = tar.finish();
  MemorySource src(bytes);
  unpack_layer(src, fd.get(), {});
}

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  REQUIRE_MESSAGE(::lstat(path.c_str(), &st) == 0, "lstat " << path);
  return st;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

TEST_CASE("flatten: is_whiteout is a 0/0 character device only") {
  struct stat st {};
  st.st_mode = S_IFCHR | 0600;
  st.st_rdev = makedev(0, 0);
  CHECK(is_whiteout(st));
  st.st_rdev = makedev(1, 3);
  CHECK_FALSE(is_whiteout(st));
  st.st_mode = S_IFREG | 0600;
  st.st_rdev = makedev(0, 0);
  CHECK_FALSE(is_whiteout(st));
}

TEST_CASE("flatten: layers merge with whiteouts and opaque directories applied") {
  TempDir work;
  TarBuilder l1;
  l1.dir("etc/");
  l1.file("etc/passwd", "root");
  l1.file("etc/group", "wheel");
  l1.dir("dir/");
  l1.file("dir/a", "a1");
  l1.file("dir/b", "b");
  l1.dir("opq/");
  l1.file("opq/old", "old");
  l1.dir("opq/sub/");
  l1.add({.name = "tool", .data = "bin", .mode = 04711, .mtime = 1500000000, .xattrs = {{"user.note", "n"}}});
  l1.hardlink("tool-link", "tool");
  l1.symlink("passwd", "etc/passwd");
  l1.dir("dir2/");
  l1.file("dir2/x", "x");
  l1.file("file2", "becomes a dir");
  l1.add({.name = "ro/", .type = '5', .mode = 0555});
  l1.file("ro/one", "1");
  l1.dir("gone/");
  l1.file("gone/f", "f");
  unpack_into(work / "l1", l1);

  TarBuilder l2;
  l2.dir("etc/");
  l2.file("etc/.wh.passwd", "");
  l2.dir("dir/");
  l2.file("dir/a", "a2");
  l2.file("dir/c", "c");
  l2.dir("opq/");
  l2.file("opq/.wh..wh..opq", "");
  l2.file("opq/new", "new");
  l2.file("dir2", "file over dir");
  l2.dir("file2/");
  l2.file("file2/y", "y");
  l2.add({.name = "ro/", .type = '5', .mode = 0555, .mtime = 1300000000});
  l2.file("ro/two", "2");
  unpack_into(work / "l2", l2);

  TarBuilder l3;
  l3.file(".wh.gone", "");
  l3.file(".wh.never-existed", "");
  unpack_into(work / "l3", l3);

  std::string dest = work / "merged";
  flatten_layers({work / "l1", work / "l2", work / "l3"}, dest);

  CHECK_FALSE(exists(dest + "/etc/passwd"));
  CHECK(read_file(dest + "/etc/group") == "wheel");
  CHECK(read_file(dest + "/dir/a") == "a2");
  CHECK(read_file(dest + "/dir/b") == "b");
  CHECK(read_file(dest + "/dir/c") == "c");
  CHECK_FALSE(exists(dest + "/opq/old"));
  CHECK_FALSE(exists(dest + "/opq/sub"));
  CHECK(read_file(dest + "/opq/new") == "new");
  char v[4];
  CHECK(::lgetxattr((dest + "/opq").c_str(), kOpaqueXattr, v, sizeof v) < 0);  // overlay xattrs stay behind
  CHECK(read_file(dest + "/dir2") == "file over dir");
  CHECK(read_file(dest + "/file2/y") == "y");
  CHECK(read_file(dest + "/ro/one") == "1");
  CHECK(read_file(dest + "/ro/two") == "2");
  struct stat ro = lstat_of(dest + "/ro");
  CHECK((ro.st_mode & 07777) == 0555);
  CHECK(ro.st_mtim.tv_sec == 1300000000);
  CHECK_FALSE(exists(dest + "/gone"));
  CHECK_FALSE(exists(dest + "/never-existed"));

  struct stat tool = lstat_of(dest + "/tool");
  CHECK((tool.st_mode & 07777) == 04711);
  CHECK(tool.st_mtim.tv_sec == 1500000000);
  CHECK(lstat_of(dest + "/tool-link").st_ino == tool.st_ino);  // hardlink kept
  CHECK(::lgetxattr((dest + "/tool").c_str(), "user.note", v, sizeof v) == 1);
  struct stat link = lstat_of(dest + "/passwd");
  CHECK(S_ISLNK(link.st_mode));
  // Layers are left as they were.
  CHECK(read_file(work / "l1/dir/a") == "a1");
  CHECK(is_whiteout(lstat_of(work / "l2/etc/passwd")));
}

TEST_CASE("flatten: symlinks in lower layers are replaced, never written through") {
  TempDir outside;
  TempDir work;
  TarBuilder l1;
  l1.symlink("d", outside.path());
  l1.symlink("f", outside.path() + "/file");
  unpack_into(work / "l1", l1);
  TarBuilder l2;
  l2.dir("d/");
  l2.file("d/x", "inside");
  l2.file("f", "inside too");
  unpack_into(work / "l2", l2);
  flatten_layers({work / "l1", work / "l2"}, work / "merged");
  CHECK(S_ISDIR(lstat_of(work / "merged/d").st_mode));
  CHECK(read_file(work / "merged/d/x") == "inside");
  CHECK(read_file(work / "merged/f") == "inside too");
  CHECK_FALSE(exists(outside / "x"));
  CHECK_FALSE(exists(outside / "file"));
}

TEST_CASE("flatten: a missing layer directory is an error naming it") {
  TempDir work;
  std::string expected = "open layer " + (work / "nope");
  CHECK_THROWS_WITH_AS(flatten_layers({work / "nope"}, work / "merged"), doctest::Contains(expected.c_str()),
                       Error);
}

}  // namespace
}  // namespace tug
