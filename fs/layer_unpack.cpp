// Layer extraction: libarchive parses the tar (read API only); every object is created here, by
// name, through parent directory fds resolved with RESOLVE_BENEATH, so no entry can write outside
// the layer directory and nothing at an entry's own path is ever followed.
#include "fs/layer_unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <memory>
#include <unordered_map>
#include <vector>

#include "fs/flatten.hpp"
#include "fs/safe_path.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

namespace {

constexpr size_t kReadBufferSize = 256 * 1024;
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

// An error about the stream as a whole (truncated, corrupt, source failed): it names the layer,
// so it is not re-wrapped with the entry being extracted when it happened.
class StreamError : public Error {
 public:
  using Error::Error;
};

struct ReadContext {
  ByteSource* src = nullptr;
  std::vector<char> buf = std::vector<char>(kReadBufferSize);
  bool eof = false;
  uint64_t bytes = 0;
  std::exception_ptr error;
};

// libarchive pulls the tar through this. Exceptions must not unwind through libarchive's C
// frames, so one is parked here and rethrown when libarchive reports the failure.
la_ssize_t read_callback(struct archive*, void* opaque, const void** out) {
  auto* ctx = static_cast<ReadContext*>(opaque);
  try {
    size_t got = ctx->src->read(ctx->buf.data(), ctx->buf.size());
    if (got == 0) ctx->eof = true;
    ctx->bytes += got;
    *out = ctx->buf.data();
    return static_cast<la_ssize_t>(got);
  } catch (...) {
    ctx->error = std::current_exception();
    return -1;
  }
}

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// Names are bytes. The raw form comes first; a pax header's UTF-8 name that libarchive cannot
// convert to the process locale (static binaries run in "C") is taken as UTF-8 bytes.
std::string entry_text(const char* raw, const char* utf8) {
  if (raw) return raw;
  return utf8 ? utf8 : "";
}
std::string entry_pathname(archive_entry* e) {
  return entry_text(archive_entry_pathname(e), archive_entry_pathname_utf8(e));
}
std::string entry_symlink(archive_entry* e) {
  return entry_text(archive_entry_symlink(e), archive_entry_symlink_utf8(e));
}
std::string entry_hardlink(archive_entry* e) {
  return entry_text(archive_entry_hardlink(e), archive_entry_hardlink_utf8(e));
}

// Only xattrs that mean something inside a container are restored. user.overlay.* and
// trusted.* are dropped: they would let an image forge whiteouts, opaque dirs or redirects.
bool keep_xattr(std::string_view name) {
  if (name.starts_with("user.")) return !name.starts_with("user.overlay.");
  return name == "security.capability";
}

std::string_view base_name(std::string_view rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}
std::string_view dir_name(std::string_view rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : rel.substr(0, slash);
}

// AUFS bookkeeping (.wh..wh.plnk/, .wh..wh.aufs) is never meant to be extracted.
bool inside_aufs_meta(std::string_view rel) {
  size_t pos = 0;
  while (pos < rel.size()) {
    size_t slash = rel.find('/', pos);
    if (slash == std::string_view::npos) slash = rel.size();
    std::string_view part = rel.substr(pos, slash - pos);
    if (part.starts_with(kWhiteoutMetaPrefix) && part != kOpaqueMarker) return true;
    pos = slash + 1;
  }
  return false;
}

void pwrite_all(int fd, const void* buf, size_t n, off_t offset) {
  const auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t done = ::pwrite(fd, p, n, offset);
    if (done < 0) {
      if (errno == EINTR) continue;
      fail_errno("write");
    }
    p += done;
    n -= static_cast<size_t>(done);
    offset += done;
  }
}

// A directory's mode and times are applied after everything has been extracted: a 0555
// directory must stay writable while its contents arrive, and adding entries changes its mtime.
struct DeferredDir {
  std::string path;
  dev_t dev;
  ino_t ino;
  mode_t mode;
  timespec times[2];
};

class Unpacker {
 public:
  Unpacker(ByteSource& src, int root, const UnpackOptions& opts)
      : root_(root), opts_(opts), euid_(::geteuid()), egid_(::getegid()) {
    ctx_.src = &src;
  }

  UnpackStats run() {
    struct stat st;
    if (::fstat(root_, &st) != 0 || !S_ISDIR(st.st_mode))
      fail("unpack layer: destination is not a directory");
    archive_.reset(archive_read_new());
    if (!archive_) fail("unpack layer: cannot allocate a tar reader");
    archive_read_support_format_tar(archive_.get());    // ustar, pax, GNU and v7 tar
    archive_read_support_format_empty(archive_.get());  // a 0-byte stream is an empty layer
    if (archive_read_open(archive_.get(), &ctx_, nullptr, read_callback, nullptr) != ARCHIVE_OK) {
      archive_failed(ARCHIVE_FATAL);
    }
    for (;;) {
      archive_entry* entry = nullptr;
      int rc = archive_read_next_header(archive_.get(), &entry);
      if (rc == ARCHIVE_EOF) break;
      // ARCHIVE_WARN: e.g. an odd pax keyword; go on. ARCHIVE_RETRY (a damaged header) is not
      // retried: libarchive would skip ahead to the next thing that looks like a header.
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) archive_failed(rc);
      std::string name = entry_pathname(entry);
      std::string rel = clean_entry_path(name);
      try {
        extract(entry, rel);
      } catch (const StreamError&) {
        throw;
      } catch (const Error& e) {
        throw Error(fmt::format("tar entry \"{}\": {}", name, e.what()), e.exit_code());
      }
    }
    // The end-of-archive blocks may be followed by padding up to the tar record size; the
    // caller's digest is over the whole stream, so read it all.
    drain(*ctx_.src);
    finish_dirs();
    report();
    return stats_;
  }

 private:
  [[noreturn]] void archive_failed(int rc) {
    if (ctx_.error) {
      try {
        std::rethrow_exception(ctx_.error);
      } catch (const Error& e) {
        throw StreamError(e.what(), e.exit_code());
      }
    }
    const char* msg = archive_error_string(archive_.get());
    std::string why = msg ? msg : "unknown error";
    // ARCHIVE_RETRY is a damaged header (bad checksum), whatever follows it.
    if (ctx_.eof && rc != ARCHIVE_RETRY) {
      throw StreamError(
          fmt::format("layer is truncated: {} (the stream ends after {} bytes)", why, ctx_.bytes));
    }
    throw StreamError("layer is not a valid tar archive: " + why);
  }

  void extract(archive_entry* e, const std::string& rel) {
    // The root itself: docker skips a "./" entry, leaving the layer root's attributes alone.
    if (rel.empty() || inside_aufs_meta(rel)) return;
    std::string_view base = base_name(rel);
    if (base == kOpaqueMarker) return make_opaque(std::string(dir_name(rel)));
    if (base.starts_with(kWhiteoutPrefix)) return make_whiteout(rel, base.substr(kWhiteoutPrefix.size()));

    int parent = parent_fd(rel);
    std::string name(base);
    std::string hardlink = entry_hardlink(e);
    if (!hardlink.empty()) return make_hardlink(parent, name, rel, hardlink);
    switch (archive_entry_filetype(e)) {
      case AE_IFREG:
        return make_file(parent, name, e);
      case AE_IFDIR:
        return make_dir(parent, name, rel, e);
      case AE_IFLNK:
        return make_symlink(parent, name, e);
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO:
        return make_special(parent, name, rel, e);
      default:
        return;  // sockets and unknown types: docker does not extract them either
    }
  }

  // The parent directory of `rel`, created if missing. One cached fd is enough for tar order
  // (siblings come together) and stays correct: anything that could replace the cached
  // directory is an entry whose own parent is higher up, which moves the cache first.
  int parent_fd(const std::string& rel) {
    std::string_view parent = dir_name(rel);
    if (!cached_parent_ || parent != cached_parent_path_) {
      cached_parent_ = open_parent_beneath(root_, rel, /*create=*/true).fd;
      cached_parent_path_ = parent;
    }
    return cached_parent_.get();
  }

  void remove_existing(int parent, const std::string& name) { remove_at(parent, name, "existing entry"); }

  void make_file(int parent, const std::string& name, archive_entry* e) {
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd fd(::openat(parent, name.c_str(), flags, 0600));
    if (!fd && errno == EEXIST) {
      remove_existing(parent, name);
      fd.reset(::openat(parent, name.c_str(), flags, 0600));
    }
    if (!fd) fail_errno("create");
    const void* block;
    size_t size;
    la_int64_t offset;
    la_int64_t end = 0;
    for (;;) {
      int rc = archive_read_data_block(archive_.get(), &block, &size, &offset);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) archive_failed(rc);
      // Offsets jump over the holes of sparse entries; pwrite leaves them unallocated.
      pwrite_all(fd.get(), block, size, offset);
      stats_.bytes += size;
      end = offset + static_cast<la_int64_t>(size);
    }
    if (archive_entry_size_is_set(e) && end < archive_entry_size(e) &&
        ::ftruncate(fd.get(), archive_entry_size(e)) != 0) {
      fail_errno("truncate");
    }
    // chown before chmod (chown clears setuid/setgid) and before xattrs (it clears
    // security.capability); times last, as the other calls may touch them.
    set_owner([&](uid_t u, gid_t g) { return ::fchown(fd.get(), u, g); }, e);
    if (::fchmod(fd.get(), archive_entry_perm(e)) != 0) fail_errno("chmod");
    set_xattrs(fd.get(), e);
    timespec times[2];
    entry_times(e, times);
    if (::futimens(fd.get(), times) != 0) fail_errno("set times");
    ++stats_.files;
  }

  void make_dir(int parent, const std::string& name, const std::string& rel, archive_entry* e) {
    bool replaces_whiteout = false;
    if (::mkdirat(parent, name.c_str(), 0700) != 0) {
      if (errno != EEXIST) fail_errno("mkdir");
      struct stat st;
      if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("stat");
      if (!S_ISDIR(st.st_mode)) {
        // Not dir over dir: unlink, then recreate.
        replaces_whiteout = is_whiteout(st);
        remove_existing(parent, name);
        if (::mkdirat(parent, name.c_str(), 0700) != 0) fail_errno("mkdir");
      }
    }
    UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) fail_errno("open");
    set_owner([&](uid_t u, gid_t g) { return ::fchown(fd.get(), u, g); }, e);
    set_xattrs(fd.get(), e);
    // This layer deleted NAME from the layers below and then created a directory NAME: the lower
    // directory's content must stay hidden, which in overlay terms is an opaque directory.
    if (replaces_whiteout) set_opaque(fd.get());
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) fail_errno("stat");
    DeferredDir d{rel, st.st_dev, st.st_ino, archive_entry_perm(e), {}};
    entry_times(e, d.times);
    auto [it, inserted] = dir_index_.try_emplace(rel, dirs_.size());
    if (inserted) {
      dirs_.push_back(std::move(d));
    } else {
      dirs_[it->second] = std::move(d);  // dir over dir: the later attributes win
    }
    ++stats_.files;
  }

  void make_symlink(int parent, const std::string& name, archive_entry* e) {
    // The target is only data: it is never followed while extracting.
    std::string target = entry_symlink(e);
    if (::symlinkat(target.c_str(), parent, name.c_str()) != 0) {
      if (errno != EEXIST) fail_errno("symlink");
      remove_existing(parent, name);
      if (::symlinkat(target.c_str(), parent, name.c_str()) != 0) fail_errno("symlink");
    }
    set_owner([&](uid_t u, gid_t g) { return ::fchownat(parent, name.c_str(), u, g, AT_SYMLINK_NOFOLLOW); },
              e);
    timespec times[2];
    entry_times(e, times);
    if (::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("set times");
    ++stats_.files;
  }

  void make_hardlink(int parent, const std::string& name, const std::string& rel, const std::string& link) {
    std::string target;
    try {
      target = clean_entry_path(link);
    } catch (const Error&) {
      fail("hardlink target \"{}\": path escapes the layer", link);
    }
    if (target.empty()) fail("hardlink to the layer root");
    if (target == rel) return;  // a link to itself: nothing to do
    // The target's parent is resolved beneath the root like any path; its last component is
    // linked as it is (linkat without AT_SYMLINK_FOLLOW), so a symlink target is not followed.
    ParentDir from = open_parent_beneath(root_, target, /*create=*/false);
    int rc = ::linkat(from.fd.get(), from.name.c_str(), parent, name.c_str(), 0);
    if (rc != 0 && errno == EEXIST) {
      remove_existing(parent, name);
      rc = ::linkat(from.fd.get(), from.name.c_str(), parent, name.c_str(), 0);
    }
    if (rc != 0) {
      if (errno == ENOENT) fail("hardlink target \"{}\" does not exist in the layer", link);
      fail_errno("link to \"{}\"", link);
    }
    ++stats_.files;
  }

  void make_special(int parent, const std::string& name, const std::string& rel, archive_entry* e) {
    mode_t type = archive_entry_filetype(e);
    dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (::mknodat(parent, name.c_str(), type | 0600, dev) != 0) {
      if (errno == EEXIST) {
        remove_existing(parent, name);
        if (::mknodat(parent, name.c_str(), type | 0600, dev) == 0) return finish_special(parent, name, e);
      }
      if (errno == EPERM && type != AE_IFIFO) {
        // Devices need CAP_MKNOD in the initial namespace; containers get theirs bind-mounted.
        if (stats_.skipped_devices++ == 0) first_skipped_device_ = rel;
        return;
      }
      fail_errno("mknod");
    }
    finish_special(parent, name, e);
  }

  void finish_special(int parent, const std::string& name, archive_entry* e) {
    set_owner([&](uid_t u, gid_t g) { return ::fchownat(parent, name.c_str(), u, g, AT_SYMLINK_NOFOLLOW); },
              e);
    // fchmodat follows a symlink at `name`, but `name` is the node just made, in our own dir.
    if (::fchmodat(parent, name.c_str(), archive_entry_perm(e), 0) != 0) fail_errno("chmod");
    timespec times[2];
    entry_times(e, times);
    if (::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("set times");
    ++stats_.files;
  }

  // `.wh.NAME`: NAME is deleted from the layers below. A whiteout hides lower layers only, so
  // a NAME this layer already has stays: a non-directory already hides the lower one, a
  // directory must additionally stop showing lower content (opaque).
  void make_whiteout(const std::string& rel, std::string_view hidden) {
    if (hidden.empty() || hidden == ".") fail("invalid whiteout name");
    if (hidden == "..") fail("path escapes the layer");
    int parent = parent_fd(rel);
    std::string name(hidden);
    if (::mknodat(parent, name.c_str(), S_IFCHR | 0, makedev(0, 0)) == 0) {
      ++stats_.files;
      return;
    }
    if (errno == EPERM) fail("create whiteout: unprivileged 0/0 character devices need Linux 5.8 or later");
    if (errno != EEXIST) fail_errno("create whiteout");
    struct stat st;
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("stat");
    if (!S_ISDIR(st.st_mode)) return;
    UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) fail_errno("open");
    set_opaque(fd.get());
  }

  // `DIR/.wh..wh..opq`: everything below DIR in lower layers is hidden. The marker file itself
  // is not created. DIR may come later in the tar, or not at all.
  void make_opaque(const std::string& dir) {
    make_dirs_beneath(root_, dir);
    UniqueFd fd = open_beneath(root_, dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd) fail_errno("open {}", dir);
    set_opaque(fd.get());
  }

  void set_opaque(int dirfd) {
    // Unlike image xattrs, failing here would silently merge what the image deleted.
    if (::fsetxattr(dirfd, kOpaqueXattr, "y", 1, 0) != 0) fail_errno("set {}", kOpaqueXattr);
  }

  // Numeric ids only: names are never looked up (NSS in a static binary is not an option).
  template <typename Chown>
  void set_owner(Chown&& chown_fn, archive_entry* e) {
    la_int64_t uid = archive_entry_uid(e);
    la_int64_t gid = archive_entry_gid(e);
    // -1 means "unchanged" to chown(2), and larger ids do not exist: both are unmappable.
    bool valid = uid >= 0 && gid >= 0 && uid < 0xffffffff && gid < 0xffffffff;
    if (!opts_.chown) {
      if (!valid || static_cast<uid_t>(uid) != euid_ || static_cast<gid_t>(gid) != egid_)
        ++stats_.squashed_owners;
      return;
    }
    if (valid && chown_fn(static_cast<uid_t>(uid), static_cast<gid_t>(gid)) == 0) return;
    // EINVAL: the id is not mapped in this user namespace; EPERM: we may not give it away.
    if (valid && errno != EINVAL && errno != EPERM) fail_errno("chown {}:{}", uid, gid);
    ++stats_.squashed_owners;
    (void)chown_fn(0, 0);  // fails harmlessly (EPERM) when not running as root
  }

  void set_xattrs(int fd, archive_entry* e) {
    if (archive_entry_xattr_reset(e) == 0) return;
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      // Failures are ignored: filesystems without xattrs (ENOTSUP), security.capability without
      // CAP_SETFCAP (EPERM). The image still runs, as it does under docker's rootless modes.
      if (name && keep_xattr(name)) (void)::fsetxattr(fd, name, value, size, 0);
    }
  }

  static void entry_times(archive_entry* e, timespec times[2]) {
    times[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    times[0] = archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                                             : times[1];
  }

  void finish_dirs() {
    // Deepest first (a path sorts after its ancestors), so a parent made 0000 cannot block its
    // children; each path is checked to still be the directory we made (it may have been
    // replaced by a later entry, or be reached through a symlink that now points elsewhere).
    std::sort(dirs_.begin(), dirs_.end(),
              [](const DeferredDir& a, const DeferredDir& b) { return a.path > b.path; });
    for (const auto& d : dirs_) {
      UniqueFd fd = open_beneath(root_, d.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (!fd) continue;
      struct stat st;
      if (::fstat(fd.get(), &st) != 0 || st.st_dev != d.dev || st.st_ino != d.ino) continue;
      if (::fchmod(fd.get(), d.mode) != 0) fail_errno("tar entry \"{}\": chmod", d.path);
      if (::futimens(fd.get(), d.times) != 0) fail_errno("tar entry \"{}\": set times", d.path);
    }
  }

  void report() {
    if (!opts_.warn) return;
    if (stats_.skipped_devices) {
      std::string more = stats_.skipped_devices > 1 ? fmt::format(" and {} more", stats_.skipped_devices - 1)
                                                    : std::string();
      opts_.warn(
          fmt::format("skipping device node {}{}: creating devices needs root", first_skipped_device_, more));
    }
    if (opts_.chown && stats_.squashed_owners) {
      opts_.warn(
          fmt::format("{} entries have owners not mapped in the user namespace; they were given to root",
                      stats_.squashed_owners));
    }
  }

  int root_;
  const UnpackOptions& opts_;
  uid_t euid_;
  gid_t egid_;
  ReadContext ctx_;
  std::unique_ptr<struct archive, ArchiveFree> archive_;
  std::string cached_parent_path_;
  UniqueFd cached_parent_;
  std::vector<DeferredDir> dirs_;
  std::unordered_map<std::string, size_t> dir_index_;
  UnpackStats stats_;
  std::string first_skipped_device_;
};

}  // namespace

UnpackStats unpack_layer(ByteSource& tar, int dest_dirfd, const UnpackOptions& opts) {
  return Unpacker(tar, dest_dirfd, opts).run();
}

}  // namespace tug
