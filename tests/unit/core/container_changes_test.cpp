// Tests for core/container_changes: A/C/D from an overlay upper dir (whiteouts as the kernel and
// fuse-overlayfs write them, opaque directories, tug's mount targets) and from a flattened copy.
#include "core/container_changes.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/flatten.hpp"
#include "tests/unit/fs/layer_test_util.hpp"
#include "util/file_util.hpp"

namespace tug {
namespace {

using test::make_layer;
using test::TarBuilder;
using test::TempDir;

// The image: /bin/ls, /bin/cat, /etc/passwd, /etc/group, /opt/a, /opt/b, /srv/ (all mtime 1700000000).
std::string image_layer(const TempDir& t) {
  TarBuilder l;
  l.dir("bin/").file("bin/ls", "ls", 0755).file("bin/cat", "cat", 0755);
  l.dir("etc/").file("etc/passwd", "root").file("etc/group", "wheel");
  l.dir("opt/").file("opt/a", "a").file("opt/b", "b");
  l.dir("srv/");
  return make_layer(t, "layer", l);
}

// An overlay container over image_layer(): its upper dir is `t`/upper (created).
ContainerFiles overlay_files(const TempDir& t) {
  ContainerFiles files;
  files.lower_dirs = {image_layer(t)};
  files.own_dir = t / "upper";
  make_dirs(files.own_dir);
  return files;
}

std::string letters(const std::vector<Change>& changes) {
  std::string out;
  for (const auto& c : changes) out += std::string(change_letter(c.kind)) + " " + c.path + "\n";
  return out;
}

void whiteout(const std::string& path) { REQUIRE(::mknod(path.c_str(), S_IFCHR | 0, makedev(0, 0)) == 0); }

TEST_CASE("container_changes: an overlay upper dir against the image") {
  TempDir t;
  ContainerFiles files = overlay_files(t);
  files.mount_targets = {"/etc/hosts", "/etc/hostname", "/proc", "/data"};
  make_dirs(files.own_dir + "/etc");
  make_dirs(files.own_dir + "/bin");
  make_dirs(files.own_dir + "/new/sub");
  write_file_atomic(files.own_dir + "/etc/passwd", "root\nnew\n", 0644, false);  // copied up: C
  write_file_atomic(files.own_dir + "/etc/hosts", "", 0644, false);              // a mount target
  write_file_atomic(files.own_dir + "/new/sub/file", "x", 0644, false);
  whiteout(files.own_dir + "/bin/ls");
  whiteout(files.own_dir + "/bin/nothere");  // never in the image: no change
  make_dirs(files.own_dir + "/data");        // a volume's mount point
  make_dirs(files.own_dir + "/proc");
  CHECK(letters(compute_changes(files)) ==
        "C /bin\n"
        "D /bin/ls\n"
        "C /etc\n"
        "C /etc/passwd\n"
        "A /new\n"
        "A /new/sub\n"
        "A /new/sub/file\n");
}

TEST_CASE("container_changes: an opaque directory deletes what the image had there") {
  TempDir t;
  ContainerFiles files = overlay_files(t);
  make_dirs(files.own_dir + "/opt");
  REQUIRE(::setxattr((files.own_dir + "/opt").c_str(), kOpaqueXattr, "y", 1, 0) == 0);
  write_file_atomic(files.own_dir + "/opt/b", "new b", 0644, false);
  write_file_atomic(files.own_dir + "/opt/c", "c", 0644, false);
  // Below an opaque directory the image shows nothing: b and c are new, a is gone.
  CHECK(letters(compute_changes(files)) ==
        "C /opt\n"
        "D /opt/a\n"
        "A /opt/b\n"
        "A /opt/c\n");
}

TEST_CASE("container_changes: fuse-overlayfs whiteout files and opaque markers") {
  TempDir t;
  ContainerFiles files = overlay_files(t);
  make_dirs(files.own_dir + "/etc");
  write_file_atomic(files.own_dir + "/etc/.wh.group", "", 0644, false);
  make_dirs(files.own_dir + "/opt");
  write_file_atomic(files.own_dir + "/opt/.wh..wh..opq", "", 0644, false);
  CHECK(letters(compute_changes(files)) ==
        "C /etc\n"
        "D /etc/group\n"
        "C /opt\n"
        "D /opt/a\n"
        "D /opt/b\n");
}

TEST_CASE("container_changes: a directory the image has, unchanged, is not listed") {
  TempDir t;
  ContainerFiles files = overlay_files(t);
  std::string layer = files.lower_dirs.front();
  make_dirs(files.own_dir + "/srv");
  struct stat st;
  REQUIRE(::stat((layer + "/srv").c_str(), &st) == 0);
  REQUIRE(::chmod((files.own_dir + "/srv").c_str(), st.st_mode & 07777) == 0);
  timespec times[2] = {st.st_atim, st.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, (files.own_dir + "/srv").c_str(), times, 0) == 0);
  CHECK(compute_changes(files).empty());
  // A different mode is a change.
  REQUIRE(::chmod((files.own_dir + "/srv").c_str(), 0700) == 0);
  CHECK(letters(compute_changes(files)) == "C /srv\n");
}

TEST_CASE("container_changes: mount targets tug created, and their directories, are no change") {
  TempDir t;
  ContainerFiles files = overlay_files(t);
  files.mount_targets = {"/etc/hosts", "/etc/resolv.conf", "/proc", "/mnt/vol/data"};
  // /etc copied up (a new mtime: an entry was created in it), /mnt made to hold a volume.
  make_dirs(files.own_dir + "/etc");
  write_file_atomic(files.own_dir + "/etc/hosts", "", 0644, false);
  write_file_atomic(files.own_dir + "/etc/resolv.conf", "", 0644, false);
  make_dirs(files.own_dir + "/mnt/vol/data");
  CHECK(compute_changes(files).empty());
  // A mount target with content is the container's file after all.
  write_file_atomic(files.own_dir + "/etc/hosts", "1.2.3.4 x\n", 0644, false);
  CHECK(letters(compute_changes(files)) == "C /etc\nA /etc/hosts\n");
}

TEST_CASE("container_changes: a flattened copy is compared file by file") {
  TempDir t;
  ContainerFiles files;
  files.lower_dirs = {image_layer(t)};
  files.own_dir = t / "rootfs";
  files.copy_mode = true;
  files.mount_targets = {"/etc/hosts"};
  flatten_layers(files.lower_dirs, files.own_dir);
  write_file_atomic(files.own_dir + "/.complete", "", 0600, false);
  CHECK(compute_changes(files).empty());
  write_file_atomic(files.own_dir + "/etc/passwd", "changed", 0644, false);
  write_file_atomic(files.own_dir + "/etc/hosts", "", 0644, false);
  REQUIRE(::unlink((files.own_dir + "/bin/ls").c_str()) == 0);
  remove_tree(files.own_dir + "/opt");
  write_file_atomic(files.own_dir + "/new", "n", 0644, false);
  CHECK(letters(compute_changes(files)) ==
        "C /bin\n"
        "D /bin/ls\n"
        "C /etc\n"
        "C /etc/passwd\n"
        "A /new\n"
        "D /opt\n");
}

}  // namespace
}  // namespace tug
