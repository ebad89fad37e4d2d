// Flattening layer directories into one plain tree by copying, for when overlayfs cannot be
// mounted. Layers hold image-controlled names and symlinks, so both trees are walked with *at
// calls on directory fds and O_NOFOLLOW only: a symlink is copied as a symlink, never followed.
#include "fs/flatten.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>
#include <string_view>
#include <utility>

#include "fs/safe_path.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_util.hpp"

namespace tug {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

bool is_opaque_dir(int dirfd) {
  char value[2];
  ssize_t n = ::fgetxattr(dirfd, kOpaqueXattr, value, sizeof value);
  return n == 1 && value[0] == 'y';
}

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

bool is_overlay_xattr(std::string_view name) {
  return name.starts_with("user.overlay.") || name.starts_with("trusted.overlay.");
}

// Copies file content; copy_file_range shares extents on filesystems that can (btrfs, xfs).
void copy_data(int in, int out, const std::string& shown) {
  bool use_copy_range = true;
  for (;;) {
    if (use_copy_range) {
      ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
      if (n > 0) continue;
      if (n == 0) return;
      if (errno == EINTR) continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
        fail_errno("copy {}", shown);
      }
      use_copy_range = false;  // nothing was copied by the failed call: fall back from here
    }
    char buf[65536];
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("read {}", shown);
    }
    if (n == 0) return;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf + done, static_cast<size_t>(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        fail_errno("write {}", shown);
      }
      done += w;
    }
  }
}

// Every xattr but overlay ones (those describe the layer, not the file). Failures are ignored
// as in layer_unpack: a filesystem without user xattrs still gets a usable tree.
void copy_xattrs(int from, int to) {
  ssize_t size = ::flistxattr(from, nullptr, 0);
  if (size <= 0) return;
  std::string names(static_cast<size_t>(size), '\0');
  size = ::flistxattr(from, names.data(), names.size());
  if (size <= 0) return;
  names.resize(static_cast<size_t>(size));
  for (size_t pos = 0; pos < names.size();) {
    std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    if (name.empty() || is_overlay_xattr(name)) continue;
    ssize_t len = ::fgetxattr(from, name.c_str(), nullptr, 0);
    if (len < 0) continue;
    std::string value(static_cast<size_t>(len), '\0');
    len = ::fgetxattr(from, name.c_str(), value.data(), value.size());
    if (len < 0) continue;
    (void)::fsetxattr(to, name.c_str(), value.data(), static_cast<size_t>(len), 0);
  }
}

// Owners as in layer_unpack: an id the user namespace cannot represent becomes 0:0.
template <typename Chown>
void copy_owner(Chown&& chown_fn, const struct stat& st, const std::string& shown) {
  if (chown_fn(st.st_uid, st.st_gid) == 0) return;
  if (errno != EINVAL && errno != EPERM) fail_errno("chown {}", shown);
  (void)chown_fn(0, 0);
}

class Flattener {
 public:
  explicit Flattener(int dest_root) : dest_root_(dest_root) {}

  void copy_layer(int src_root) {
    links_.clear();  // hardlinks are only shared within one layer
    copy_dir_contents(src_root, dest_root_, "");
  }

 private:
  void copy_dir_contents(int src, int dst, const std::string& rel) {
    for (const auto& name : list_dir(src, rel.empty() ? "." : rel)) {
      copy_entry(src, dst, name, rel.empty() ? name : rel + "/" + name);
    }
  }

  void copy_entry(int src, int dst, const std::string& name, const std::string& rel) {
    struct stat st;
    if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("stat {}", rel);
    if (is_whiteout(st)) return remove_at(dst, name, rel);
    if (S_ISDIR(st.st_mode)) return copy_dir(src, dst, name, rel, st);
    // Not dir over dir: what is there goes.
    remove_at(dst, name, rel);
    if (S_ISREG(st.st_mode) && st.st_nlink > 1 && link_to_earlier(dst, name, st)) return;
    if (S_ISREG(st.st_mode)) return copy_file(src, dst, name, rel, st);
    if (S_ISLNK(st.st_mode)) return copy_symlink(src, dst, name, rel, st);
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      return copy_special(dst, name, rel, st);
    }
    // Sockets are not content.
  }

  void copy_dir(int src, int dst, const std::string& name, const std::string& rel, const struct stat& st) {
    struct stat existing;
    bool exists = ::fstatat(dst, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !S_ISDIR(existing.st_mode)) {
      remove_at(dst, name, rel);
      exists = false;
    }
    if (!exists && ::mkdirat(dst, name.c_str(), 0700) != 0) fail_errno("mkdir {}", rel);
    UniqueFd from(::openat(src, name.c_str(), kDirFlags));
    if (!from) fail_errno("open {}", rel);
    UniqueFd to(::openat(dst, name.c_str(), kDirFlags));
    if (!to) fail_errno("open {}", rel);
    // A lower layer's copy may be read-only; the final mode comes from this layer below.
    if (exists && ::fchmod(to.get(), 0700) != 0) fail_errno("chmod {}", rel);
    if (exists && is_opaque_dir(from.get())) remove_children(to.get(), rel);
    copy_dir_contents(from.get(), to.get(), rel);
    // The topmost layer's directory attributes win, as in an overlay mount.
    copy_owner([&](uid_t u, gid_t g) { return ::fchown(to.get(), u, g); }, st, rel);
    if (::fchmod(to.get(), st.st_mode & 07777) != 0) fail_errno("chmod {}", rel);
    copy_xattrs(from.get(), to.get());
    timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(to.get(), times) != 0) fail_errno("set times of {}", rel);
  }

  void copy_file(int src, int dst, const std::string& name, const std::string& rel, const struct stat& st) {
    UniqueFd in(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) fail_errno("open {}", rel);
    UniqueFd out(::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) fail_errno("create {}", rel);
    copy_data(in.get(), out.get(), rel);
    // chown before chmod (it clears setuid) and before xattrs (it clears security.capability).
    copy_owner([&](uid_t u, gid_t g) { return ::fchown(out.get(), u, g); }, st, rel);
    if (::fchmod(out.get(), st.st_mode & 07777) != 0) fail_errno("chmod {}", rel);
    copy_xattrs(in.get(), out.get());
    timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(out.get(), times) != 0) fail_errno("set times of {}", rel);
    if (st.st_nlink > 1) links_.try_emplace({st.st_dev, st.st_ino}, rel);
  }

  // A second name of an inode already copied from this layer becomes a hardlink to the copy.
  bool link_to_earlier(int dst, const std::string& name, const struct stat& st) {
    auto it = links_.find({st.st_dev, st.st_ino});
    if (it == links_.end()) return false;
    ParentDir first = open_parent_beneath(dest_root_, it->second, /*create=*/false, 0755, "the destination");
    // Failure (EMLINK, a filesystem without hardlinks) falls back to a copy.
    return ::linkat(first.fd.get(), first.name.c_str(), dst, name.c_str(), 0) == 0;
  }

  void copy_symlink(int src, int dst, const std::string& name, const std::string& rel,
                    const struct stat& st) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size());
    if (n < 0) fail_errno("readlink {}", rel);
    target.resize(static_cast<size_t>(n));
    if (::symlinkat(target.c_str(), dst, name.c_str()) != 0) fail_errno("symlink {}", rel);
    finish_by_name(dst, name, rel, st, /*chmod=*/false);
  }

  void copy_special(int dst, const std::string& name, const std::string& rel, const struct stat& st) {
    if (::mknodat(dst, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
      if (errno == EPERM) return;  // a device we may not create; layer_unpack already warned
      fail_errno("mknod {}", rel);
    }
    finish_by_name(dst, name, rel, st, /*chmod=*/true);
  }

  void finish_by_name(int dst, const std::string& name, const std::string& rel, const struct stat& st,
                      bool chmod) {
    copy_owner([&](uid_t u, gid_t g) { return ::fchownat(dst, name.c_str(), u, g, AT_SYMLINK_NOFOLLOW); }, st,
               rel);
    // Only for nodes just made here; fchmodat would follow a symlink.
    if (chmod && ::fchmodat(dst, name.c_str(), st.st_mode & 07777, 0) != 0) fail_errno("chmod {}", rel);
    timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dst, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("set times of {}", rel);
  }

  int dest_root_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

void flatten_layers(const std::vector<std::string>& layer_dirs_bottom_to_top, const std::string& dest_dir) {
  make_dirs(dest_dir);
  UniqueFd dest(::open(dest_dir.c_str(), kDirFlags));
  if (!dest) fail_errno("open {}", dest_dir);
  Flattener flattener(dest.get());
  for (const auto& layer : layer_dirs_bottom_to_top) {
    UniqueFd src(::open(layer.c_str(), kDirFlags));
    if (!src) fail_errno("open layer {}", layer);
    try {
      flattener.copy_layer(src.get());
    } catch (const Error& e) {
      throw Error(fmt::format("flatten layer {}: {}", layer, e.what()), e.exit_code());
    }
  }
}

}  // namespace tug
