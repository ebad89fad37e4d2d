// Tests for fs/tar_pack: what the archive holds (names, types, owners, links, whiteouts), and that
// fs/layer_unpack reads it back into the same tree.
#include "fs/tar_pack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>

#include "fs/layer_unpack.hpp"
#include "tests/unit/fs/fs_test_util.hpp"
#include "util/file_util.hpp"

namespace tug {
namespace {

using test::TempDir;

/// One archive member as libarchive reads it back.
struct Member {
  mode_t type = 0;
  mode_t perm = 0;
  int64_t uid = 0, gid = 0;
  std::string data, symlink, hardlink;
};

std::map<std::string, Member> read_members(const std::string& tar) {
  std::map<std::string, Member> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_memory(a, tar.data(), tar.size()) == ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Member m;
    m.type = archive_entry_filetype(e);
    m.perm = archive_entry_perm(e);
    m.uid = archive_entry_uid(e);
    m.gid = archive_entry_gid(e);
    if (archive_entry_symlink(e)) m.symlink = archive_entry_symlink(e);
    if (archive_entry_hardlink(e)) m.hardlink = archive_entry_hardlink(e);
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) m.data.append(buf, static_cast<size_t>(n));
    out[archive_entry_pathname(e)] = m;
  }
  archive_read_free(a);
  return out;
}

void write(const std::string& path, const std::string& data, mode_t mode = 0644) {
  write_file_atomic(path, data, static_cast<int>(mode), false);
}

// src/{a.txt, bin/tool (0755), link -> a.txt, hard (hardlink of a.txt), empty/}
void make_tree(const TempDir& t) {
  make_dirs(t / "src/bin");
  make_dirs(t / "src/empty");
  write(t / "src/a.txt", "alpha\n");
  write(t / "src/bin/tool", "#!/bin/sh\n", 0755);
  REQUIRE(::symlink("a.txt", (t / "src/link").c_str()) == 0);
  REQUIRE(::link((t / "src/a.txt").c_str(), (t / "src/hard").c_str()) == 0);
}

TEST_CASE("tar_pack: a tree under a new top name, dirs with a trailing slash, links kept as links") {
  TempDir t;
  make_tree(t);
  std::string tar;
  StringSink sink(tar);
  TarPacker packer(sink);
  packer.add_tree(t.fd(), "src", "copy");
  packer.finish();
  auto m = read_members(tar);
  REQUIRE(m.count("copy/"));
  CHECK(m["copy/"].type == AE_IFDIR);
  CHECK(m["copy/a.txt"].data == "alpha\n");
  CHECK(m["copy/bin/tool"].perm == 0755);
  CHECK(m["copy/link"].type == AE_IFLNK);
  CHECK(m["copy/link"].symlink == "a.txt");
  // "a.txt" sorts before "hard": the second name is the link.
  CHECK(m["copy/hard"].hardlink == "copy/a.txt");
  CHECK(m.count("copy/empty/"));
  CHECK(m["copy/a.txt"].uid == static_cast<int64_t>(::getuid()));
}

TEST_CASE("tar_pack: contents only, a forced owner, and whiteouts") {
  TempDir t;
  make_tree(t);
  std::string tar;
  StringSink sink(tar);
  PackOptions opts;
  opts.owner = std::make_pair(uid_t{0}, gid_t{0});
  TarPacker packer(sink, opts);
  UniqueFd src(::open((t / "src").c_str(), O_RDONLY | O_DIRECTORY));
  packer.add_tree(src.get(), ".", "");
  packer.add_whiteout("etc/old");
  packer.add_whiteout("gone");
  packer.finish();
  auto m = read_members(tar);
  CHECK_FALSE(m.count("./"));
  CHECK_FALSE(m.count(""));
  CHECK(m.count("a.txt"));
  CHECK(m.count("bin/"));
  CHECK(m["bin/tool"].uid == 0);
  CHECK(m["bin/tool"].gid == 0);
  REQUIRE(m.count("etc/.wh.old"));
  CHECK(m["etc/.wh.old"].type == AE_IFREG);
  CHECK(m["etc/.wh.old"].data.empty());
  CHECK(m.count(".wh.gone"));
}

TEST_CASE("tar_pack: a single file, and a symlink is never followed") {
  TempDir t;
  make_tree(t);
  std::string tar;
  StringSink sink(tar);
  TarPacker packer(sink);
  UniqueFd src(::open((t / "src").c_str(), O_PATH | O_DIRECTORY));
  packer.add_tree(src.get(), "link", "out");
  packer.add_tree(src.get(), "a.txt", "renamed");
  packer.finish();
  auto m = read_members(tar);
  CHECK(m.size() == 2);
  CHECK(m["out"].type == AE_IFLNK);
  CHECK(m["renamed"].data == "alpha\n");
}

TEST_CASE("tar_pack: unpack_layer reads back the same tree") {
  TempDir t;
  make_tree(t);
  std::string tar;
  StringSink sink(tar);
  TarPacker packer(sink);
  packer.add_tree(t.fd(), "src", "src");
  packer.finish();
  make_dirs(t / "dest");
  UniqueFd dest(::open((t / "dest").c_str(), O_RDONLY | O_DIRECTORY));
  MemorySource in(tar);
  unpack_layer(in, dest.get(), {});
  CHECK(read_file(t / "dest/src/a.txt") == "alpha\n");
  struct stat a, h;
  REQUIRE(::stat((t / "dest/src/a.txt").c_str(), &a) == 0);
  REQUIRE(::stat((t / "dest/src/hard").c_str(), &h) == 0);
  CHECK(a.st_ino == h.st_ino);
  struct stat tool;
  REQUIRE(::stat((t / "dest/src/bin/tool").c_str(), &tool) == 0);
  CHECK((tool.st_mode & 07777) == 0755);
}

}  // namespace
}  // namespace tug
