// Tests for fs/layer_unpack: what an extracted layer directory looks like, the overlay
// representation of whiteouts, and hostile archives that must fail without writing outside.
// Runs as root and as an unprivileged user; checks that depend on privilege say so.
#include "fs/layer_unpack.hpp"

#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fs/compression.hpp"
#include "fs/flatten.hpp"
#include "tests/unit/fs/fs_test_util.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"
#include "util/sha256.hpp"

namespace tug {
namespace {

using test::TarBuilder;
using test::TarEntry;
using test::TempDir;

struct Result {
  UnpackStats stats;
  std::vector<std::string> warnings;
};

Result unpack(const std::string& tar, int dest, bool chown = true) {
  Result r;
  UnpackOptions opts;
  opts.chown = chown;
  opts.warn = [&](const std::string& w) { r.warnings.push_back(w); };
  MemorySource src(tar);
  r.stats = unpack_layer(src, dest, opts);
  return r;
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

std::string xattr(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
  return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
}

// Everything under a directory, to prove a failed unpack wrote nothing there.
size_t entries_in(const std::string& dir) {
  size_t n = 0;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  DIR* d = ::fdopendir(fd.release());
  while (dirent* e = ::readdir(d))
    n += std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..";
  ::closedir(d);
  return n;
}

TEST_CASE("unpack_layer: files, dirs, symlinks, hardlinks, fifos with their attributes") {
  TempDir dest;
  TarBuilder tar;
  tar.dir("./usr/", 0755);
  tar.add({.name = "usr/bin/", .type = '5', .mode = 0755, .mtime = 1600000000});
  tar.add({.name = "usr/bin/tool",
           .type = '0',
           .data = "#!/bin/sh\necho hi\n",
           .mode = 04755,
           .mtime = 1500000000});
  tar.symlink("usr/bin/alias", "tool");
  tar.hardlink("usr/bin/tool2", "./usr/bin/tool");
  tar.add({.name = "run/fifo", .type = '6', .mode = 0600});
  tar.file("empty", "");
  tar.add({.name = "ro/", .type = '5', .mode = 0555, .mtime = 1400000000});
  tar.file("ro/inside", "data", 0444);
  Result r = unpack(tar.finish(), dest.fd());

  CHECK(read_file(dest / "usr/bin/tool") == "#!/bin/sh\necho hi\n");
  struct stat tool = lstat_of(dest / "usr/bin/tool");
  CHECK(S_ISREG(tool.st_mode));
  CHECK((tool.st_mode & 07777) == 04755);  // setuid survives the chown
  CHECK(tool.st_mtim.tv_sec == 1500000000);

  struct stat alias = lstat_of(dest / "usr/bin/alias");
  CHECK(S_ISLNK(alias.st_mode));
  char target[64] = {};
  CHECK(::readlink((dest / "usr/bin/alias").c_str(), target, sizeof target - 1) == 4);
  CHECK(std::string(target) == "tool");

  struct stat tool2 = lstat_of(dest / "usr/bin/tool2");
  CHECK(tool2.st_ino == tool.st_ino);
  CHECK(tool2.st_nlink == 2);

  CHECK(S_ISFIFO(lstat_of(dest / "run/fifo").st_mode));
  CHECK(lstat_of(dest / "empty").st_size == 0);

  // Directory attributes are applied after their contents.
  struct stat bin = lstat_of(dest / "usr/bin");
  CHECK(bin.st_mtim.tv_sec == 1600000000);
  struct stat ro = lstat_of(dest / "ro");
  CHECK((ro.st_mode & 07777) == 0555);
  CHECK(ro.st_mtim.tv_sec == 1400000000);
  CHECK(read_file(dest / "ro/inside") == "data");

  // A parent with no entry of its own is made 0755.
  CHECK((lstat_of(dest / "run").st_mode & 07777) == 0755);
  CHECK(r.stats.bytes == 22);
  CHECK(r.stats.files == 9);
}

// What this process may do, probed rather than guessed from the uid: the tests run as root, as
// a plain user, and as root of user namespaces with a single-id or a full mapping.
bool can_chown_to(uid_t uid, gid_t gid) {
  TempDir probe;
  REQUIRE(::mknodat(probe.fd(), "f", S_IFREG | 0600, 0) == 0);
  return ::fchownat(probe.fd(), "f", uid, gid, 0) == 0;
}
bool can_make_devices() {
  TempDir probe;
  return ::mknodat(probe.fd(), "null", S_IFCHR | 0600, makedev(1, 3)) == 0;
}

TEST_CASE("unpack_layer: owners are kept, or squashed where they cannot be") {
  TarBuilder tar;
  tar.add({.name = "owned", .data = "x", .uid = 1234, .gid = 5678});
  tar.add({.name = "link", .type = '2', .link = "owned", .uid = 1234, .gid = 5678});
  tar.add({.name = "rootfile", .data = "x"});
  std::string bytes = tar.finish();
  const bool mapped = can_chown_to(1234, 5678);
  const bool root = can_chown_to(0, 0);
  CAPTURE(mapped);
  CAPTURE(root);

  TempDir dest;
  Result r = unpack(bytes, dest.fd());
  uid_t squashed_uid = root ? 0 : ::geteuid();
  CHECK(lstat_of(dest / "owned").st_uid == (mapped ? 1234 : squashed_uid));
  CHECK(lstat_of(dest / "link").st_uid == (mapped ? 1234 : squashed_uid));
  if (mapped) CHECK(lstat_of(dest / "owned").st_gid == 5678);
  CHECK(lstat_of(dest / "rootfile").st_uid == squashed_uid);
  uint64_t expected = (mapped ? 0 : 2) + (root ? 0 : 1);
  CHECK(r.stats.squashed_owners == expected);
  if (expected) {
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0].find("not mapped") != std::string::npos);
  } else {
    CHECK(r.warnings.empty());
  }

  TempDir squashed;
  r = unpack(bytes, squashed.fd(), /*chown=*/false);
  CHECK(lstat_of(squashed / "owned").st_uid == ::geteuid());
  CHECK(r.stats.squashed_owners == (::geteuid() == 0 && ::getegid() == 0 ? 2u : 3u));
  CHECK(r.warnings.empty());  // expected with a single-id mapping: no warning
}

TEST_CASE("unpack_layer: device nodes are made with privilege, skipped with a warning without") {
  const bool privileged = can_make_devices();
  CAPTURE(privileged);
  TempDir dest;
  TarBuilder tar;
  tar.add({.name = "dev/null", .type = '3', .mode = 0666, .devmajor = 1, .devminor = 3});
  tar.add({.name = "dev/sda", .type = '4', .mode = 0660, .devmajor = 8, .devminor = 0});
  Result r = unpack(tar.finish(), dest.fd());
  if (privileged) {
    struct stat st = lstat_of(dest / "dev/null");
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(1, 3));
    CHECK((st.st_mode & 07777) == 0666);
    CHECK(S_ISBLK(lstat_of(dest / "dev/sda").st_mode));
    CHECK(r.stats.skipped_devices == 0);
  } else {
    CHECK_FALSE(exists(dest / "dev/null"));
    CHECK(r.stats.skipped_devices == 2);
    REQUIRE(r.warnings.size() >= 1);
    CHECK(r.warnings[0] == "skipping device node dev/null and 1 more: creating devices needs root");
  }
}

TEST_CASE("unpack_layer: whiteouts become 0/0 char devices, opaque markers an xattr") {
  TempDir dest;
  TarBuilder tar;
  tar.dir("etc/");
  tar.file("etc/.wh.passwd", "");
  tar.file("gone/deeper/.wh.file", "");  // parents without entries are made
  tar.dir("opq/");
  tar.file("opq/.wh..wh..opq", "");
  tar.file("opq/kept", "k");
  tar.file("later/.wh..wh..opq", "");  // the marker before its directory's own entry
  tar.add({.name = "later/", .type = '5', .mode = 0700});
  tar.file(".wh..wh..opq", "");  // at the root
  Result r = unpack(tar.finish(), dest.fd());

  struct stat wh = lstat_of(dest / "etc/passwd");
  CHECK(S_ISCHR(wh.st_mode));
  CHECK(wh.st_rdev == makedev(0, 0));
  CHECK(is_whiteout(wh));
  CHECK_FALSE(exists(dest / "etc/.wh.passwd"));
  CHECK(is_whiteout(lstat_of(dest / "gone/deeper/file")));

  CHECK(xattr(dest / "opq", kOpaqueXattr) == "y");
  CHECK_FALSE(exists(dest / "opq/.wh..wh..opq"));
  CHECK(read_file(dest / "opq/kept") == "k");
  CHECK(xattr(dest / "later", kOpaqueXattr) == "y");
  CHECK((lstat_of(dest / "later").st_mode & 07777) == 0700);
  CHECK(xattr(dest.path(), kOpaqueXattr) == "y");
  CHECK(xattr(dest / "etc", kOpaqueXattr) == "<none>");
}

TEST_CASE("unpack_layer: whiteouts and same-layer entries of the same name") {
  TempDir dest;
  TarBuilder tar;
  tar.file(".wh.a", "");  // whiteout, then a file: the file replaces the whiteout
  tar.file("a", "new a");
  tar.file(".wh.d", "");  // whiteout, then a directory: an opaque directory
  tar.dir("d/");
  tar.file("d/x", "x");
  tar.file("f", "same layer");  // a file, then its whiteout: it only hides lower layers
  tar.file(".wh.f", "");
  tar.dir("g/");  // a directory, then its whiteout: it stays, and hides lower content
  tar.file("g/y", "y");
  tar.file(".wh.g", "");
  tar.add({.name = ".wh..wh.plnk/", .type = '5'});  // AUFS bookkeeping: skipped
  tar.file(".wh..wh.plnk/123.456", "hardlink store");
  unpack(tar.finish(), dest.fd());

  CHECK(read_file(dest / "a") == "new a");
  CHECK(S_ISDIR(lstat_of(dest / "d").st_mode));
  CHECK(xattr(dest / "d", kOpaqueXattr) == "y");
  CHECK(read_file(dest / "d/x") == "x");
  CHECK(read_file(dest / "f") == "same layer");
  CHECK(read_file(dest / "g/y") == "y");
  CHECK(xattr(dest / "g", kOpaqueXattr) == "y");
  CHECK_FALSE(exists(dest / ".wh..wh.plnk"));
  CHECK_FALSE(exists(dest / ".wh.plnk"));
}

TEST_CASE("unpack_layer: an entry over an existing path replaces it; dir over dir keeps content") {
  TempDir dest;
  TarBuilder tar;
  tar.dir("d/", 0755);
  tar.file("d/keep", "k");
  tar.add({.name = "d/", .type = '5', .mode = 0711, .mtime = 1234567890});
  tar.dir("x/");
  tar.file("x/y", "y");
  tar.file("x", "file over dir");
  tar.file("s", "file");
  tar.symlink("s", "/etc/shadow");
  tar.symlink("t", "/etc/passwd");
  tar.file("t", "file over symlink");  // must replace the symlink, not write through it
  unpack(tar.finish(), dest.fd());

  CHECK(read_file(dest / "d/keep") == "k");
  struct stat d = lstat_of(dest / "d");
  CHECK((d.st_mode & 07777) == 0711);
  CHECK(d.st_mtim.tv_sec == 1234567890);
  CHECK(read_file(dest / "x") == "file over dir");
  CHECK(S_ISLNK(lstat_of(dest / "s").st_mode));
  CHECK(S_ISREG(lstat_of(dest / "t").st_mode));
  CHECK(read_file(dest / "t") == "file over symlink");
}

TEST_CASE("unpack_layer: xattrs from pax headers; overlay and trusted ones are dropped") {
  TempDir dest;
  TarBuilder tar;
  tar.add({.name = "dir/",
           .type = '5',
           .mode = 0755,
           .xattrs = {{"user.overlay.opaque", "y"}, {"user.comment", "dir"}}});
  tar.add({.name = "dir/file",
           .data = "x",
           .xattrs = {{"user.comment", "hello"},
                      {"user.overlay.redirect", "/etc"},
                      {"trusted.overlay.opaque", "y"},
                      {"trusted.other", "t"}}});
  unpack(tar.finish(), dest.fd());
  CHECK(xattr(dest / "dir/file", "user.comment") == "hello");
  CHECK(xattr(dest / "dir", "user.comment") == "dir");
  CHECK(xattr(dest / "dir", "user.overlay.opaque") == "<none>");
  CHECK(xattr(dest / "dir/file", "user.overlay.redirect") == "<none>");
  CHECK(xattr(dest / "dir/file", "trusted.overlay.opaque") == "<none>");
  CHECK(xattr(dest / "dir/file", "trusted.other") == "<none>");
}

TEST_CASE("unpack_layer: absolute names land inside; long and non-ASCII names survive") {
  TempDir dest;
  std::string long_name = "deep/" + std::string(150, 'n') + "/file";
  TarBuilder tar;
  tar.file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  tar.file(long_name, "long");
  tar.add({.name = "caf\xc3\xa9-" + std::string(100, 'u'), .data = "utf8 via pax"});
  tar.file("raw\xe9", "latin-1 byte in a ustar name");
  unpack(tar.finish(), dest.fd());
  CHECK(read_file(dest / "etc/passwd") == "root:x:0:0::/root:/bin/sh\n");
  CHECK(read_file(dest / long_name) == "long");
  CHECK(read_file(dest / ("caf\xc3\xa9-" + std::string(100, 'u'))) == "utf8 via pax");
  CHECK(read_file(dest / "raw\xe9") == "latin-1 byte in a ustar name");
}

TEST_CASE("unpack_layer: .. in a name throws and writes nothing outside") {
  TempDir parent;
  REQUIRE(::mkdir((parent / "layer").c_str(), 0755) == 0);
  UniqueFd dest(::open((parent / "layer").c_str(), O_RDONLY | O_DIRECTORY));
  for (const char* name : {"../x", "a/../../x", "./../x"}) {
    CAPTURE(name);
    std::string bytes = TarBuilder().file(name, "escaped").finish();
    CHECK_THROWS_WITH_AS(unpack(bytes, dest.get()), doctest::Contains("path escapes the layer"), Error);
  }
  CHECK_THROWS_WITH_AS(unpack(TarBuilder().file("../x", "").finish(), dest.get()),
                       "tar entry \"../x\": path escapes the layer", Error);
  CHECK(entries_in(parent.path()) == 1);
  CHECK(entries_in(parent / "layer") == 0);
}

// Every escape attempt aims into `outside`, so a regression writes there (and is cleaned up),
// not into the real /etc.
TEST_CASE("unpack_layer: a parent path through a symlink leaving the layer throws") {
  TempDir outside;
  TempDir dest;
  SUBCASE("absolute symlink to /") {
    std::string name = "evil" + outside.path() + "/x";
    std::string bytes = TarBuilder().symlink("evil", "/").file(name, "pwned").finish();
    CHECK_THROWS_WITH_AS(unpack(bytes, dest.fd()),
                         ("tar entry \"" + name + "\": path escapes the layer through a symlink").c_str(),
                         Error);
  }
  SUBCASE("the canonical evil/etc/x, with evil pointing at a stand-in for /") {
    REQUIRE(::mkdir((outside / "etc").c_str(), 0755) == 0);
    std::string bytes = TarBuilder().symlink("evil", outside.path()).file("evil/etc/x", "pwned").finish();
    CHECK_THROWS_WITH_AS(unpack(bytes, dest.fd()),
                         "tar entry \"evil/etc/x\": path escapes the layer through a symlink", Error);
    CHECK(entries_in(outside / "etc") == 0);
    REQUIRE(::rmdir((outside / "etc").c_str()) == 0);
  }
  SUBCASE("relative symlink climbing out") {
    std::string bytes = TarBuilder()
                            .dir("a/")
                            .symlink("a/up", "../../../../../../../../../../../../../../../..")
                            .file("a/up" + outside.path() + "/x", "pwned")
                            .finish();
    CHECK_THROWS_WITH_AS(unpack(bytes, dest.fd()),
                         doctest::Contains("path escapes the layer through a symlink"), Error);
  }
  SUBCASE("hardlink to a file outside") {
    REQUIRE(::close(::open((outside / "secret").c_str(), O_CREAT | O_WRONLY, 0600)) == 0);
    std::string bytes = TarBuilder().symlink("evil", outside.path()).hardlink("x", "evil/secret").finish();
    CHECK_THROWS_WITH_AS(unpack(bytes, dest.fd()),
                         "tar entry \"x\": path escapes the layer through a symlink", Error);
    std::string up = TarBuilder().hardlink("x", "../secret").finish();
    CHECK_THROWS_WITH_AS(unpack(up, dest.fd()), doctest::Contains("path escapes the layer"), Error);
    CHECK(lstat_of(outside / "secret").st_nlink == 1);
    REQUIRE(::unlink((outside / "secret").c_str()) == 0);
  }
  CHECK(entries_in(outside.path()) == 0);
}

TEST_CASE("unpack_layer: relative symlinks staying inside are followed for parents") {
  TempDir dest;
  TarBuilder tar;
  tar.dir("usr/lib/");
  tar.symlink("lib", "usr/lib");
  tar.file("lib/libc.so", "elf");
  tar.symlink("usr/lib/self", "../lib");
  tar.file("usr/lib/self/other.so", "elf2");
  tar.hardlink("hard.so", "lib/libc.so");
  unpack(tar.finish(), dest.fd());
  CHECK(read_file(dest / "usr/lib/libc.so") == "elf");
  CHECK(read_file(dest / "usr/lib/other.so") == "elf2");
  CHECK(lstat_of(dest / "hard.so").st_ino == lstat_of(dest / "usr/lib/libc.so").st_ino);
}

TEST_CASE("unpack_layer: hardlinks never follow their target and need it to exist") {
  TempDir dest;
  std::string bytes = TarBuilder().symlink("sym", "/etc/passwd").hardlink("hard", "sym").finish();
  unpack(bytes, dest.fd());
  CHECK(S_ISLNK(lstat_of(dest / "hard").st_mode));  // a link to the symlink itself
  TempDir other;
  CHECK_THROWS_WITH_AS(unpack(TarBuilder().hardlink("x", "missing").finish(), other.fd()),
                       doctest::Contains("tar entry \"x\": hardlink target \"missing\" does not exist"),
                       Error);
}

TEST_CASE("unpack_layer: truncated and corrupt tars throw") {
  TarBuilder tar;
  tar.file("a", std::string(5000, 'a'));
  tar.file("b", std::string(3000, 'b'));
  std::string bytes = tar.finish();
  // a: header 0, data 512..5632; b: header 5632, data 6144..9144; end blocks from 9216.
  for (size_t cut : {size_t{600}, size_t{4608}, size_t{5632 + 100}, size_t{6144 + 100}, size_t{9000}}) {
    CAPTURE(cut);
    TempDir dest;
    CHECK_THROWS_WITH_AS(unpack(bytes.substr(0, cut), dest.fd()), doctest::Contains("layer is truncated: "),
                         Error);
  }
  {
    std::string bad = bytes;
    bad[5632 + 10] ^= 1;  // the second header's name: its checksum no longer matches
    TempDir dest;
    CHECK_THROWS_WITH_AS(unpack(bad, dest.fd()), doctest::Contains("layer is not a valid tar archive: "),
                         Error);
  }
  {
    std::string bad = bytes;
    bad[10] ^= 1;
    TempDir dest;
    CHECK_THROWS_WITH_AS(unpack(bad, dest.fd()), doctest::Contains("layer is not a valid tar archive: "),
                         Error);
  }
  {
    TempDir dest;
    CHECK_THROWS_AS(unpack(std::string(700, 'x'), dest.fd()), Error);
  }
}

TEST_CASE("unpack_layer: empty layers; a tar cut at an entry boundary is complete") {
  TempDir a, b, c;
  CHECK(unpack("", a.fd()).stats.files == 0);
  CHECK(unpack(std::string(1024, '\0'), b.fd()).stats.files == 0);
  TarBuilder tar;
  tar.file("f", "x");
  CHECK(unpack(tar.bytes(), c.fd()).stats.files == 1);  // no end blocks, as Go's reader accepts
}

TEST_CASE("unpack_layer: the whole stream is read, so digests cover trailing padding") {
  TarBuilder tar;
  tar.file("f", "content");
  std::string bytes = tar.finish();
  bytes.resize(10240, '\0');  // tar(1) pads to its 10 KiB record size
  std::string blob;
  {
    StringSink sink(blob);
    GzipSink gz(sink);
    gz.write(bytes.data(), bytes.size());
    gz.finish();
  }
  MemorySource mem(blob);
  HashingSource blob_hash(mem);
  auto tar_stream = decompressing_source(blob_hash);
  HashingSource diff_hash(*tar_stream);
  TempDir dest;
  unpack_layer(diff_hash, dest.fd(), {});
  CHECK(read_file(dest / "f") == "content");
  CHECK(diff_hash.bytes() == bytes.size());
  CHECK(diff_hash.digest() == sha256_digest(bytes));
  CHECK(blob_hash.bytes() == blob.size());
  CHECK(blob_hash.digest() == sha256_digest(blob));
}

TEST_CASE("unpack_layer: a failing source's own error comes through") {
  TarBuilder tar;
  tar.file("f", std::string(300000, 'z'));
  std::string bytes = tar.finish();
  std::string blob;
  {
    StringSink sink(blob);
    GzipSink gz(sink);
    gz.write(bytes.data(), bytes.size());
    gz.finish();
  }
  MemorySource mem(std::string_view(blob).substr(0, blob.size() - 10));
  auto tar_stream = decompressing_source(mem);
  TempDir dest;
  CHECK_THROWS_WITH_AS(unpack_layer(*tar_stream, dest.fd(), {}), "unexpected end of compressed data", Error);
}

}  // namespace
}  // namespace tug
