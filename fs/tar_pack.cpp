// Tar writing with libarchive (write API only). Every object is opened by name from its parent
// directory fd with O_NOFOLLOW and described from the fd that was opened, so what is archived is
// exactly what was read, even while a running container changes its files.
#include "fs/tar_pack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <vector>

#include "fs/file_xattrs.hpp"
#include "fs/safe_path.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

namespace {

constexpr size_t kCopyBufferSize = 1 << 17;
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr unsigned long kMqueueMagic = 0x19800202;  // not in <linux/magic.h>

// Mounts a container's view has but that are not files: walking them is endless or useless.
bool is_pseudo_filesystem(int dirfd) {
  struct statfs sfs;
  if (::fstatfs(dirfd, &sfs) != 0) return false;
  switch (static_cast<unsigned long>(sfs.f_type)) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case kMqueueMagic:
      return true;
    default:
      return false;
  }
}

std::string with_slash(const std::string& name) {
  return name.empty() || name.back() == '/' ? name : name + "/";
}

std::string child_name(const std::string& parent, const std::string& name) {
  if (parent.empty()) return name;
  std::string out = parent;
  if (out.back() != '/') out += '/';
  out += name;
  return out;
}

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryFree>;

}  // namespace

struct TarPacker::Impl {
  struct ArchiveFree {
    void operator()(struct archive* a) const { archive_write_free(a); }
  };

  ByteSink& out;
  PackOptions opts;
  std::unique_ptr<struct archive, ArchiveFree> archive;
  std::exception_ptr error;
  std::map<std::pair<dev_t, ino_t>, std::string> links;  // inodes with several names, first one
  std::vector<char> buf = std::vector<char>(kCopyBufferSize);

  Impl(ByteSink& sink, PackOptions options)
      : out(sink), opts(std::move(options)), archive(archive_write_new()) {
    if (!archive) fail("cannot allocate a tar writer");
    archive_write_set_format_pax_restricted(archive.get());
    archive_write_add_filter_none(archive.get());
    archive_write_set_bytes_in_last_block(archive.get(), 1);  // no padding after the end marker
    check(archive_write_open2(archive.get(), this, nullptr, write_callback, nullptr, nullptr));
  }

  // Exceptions must not unwind through libarchive's C frames: park them, rethrow in check().
  static la_ssize_t write_callback(struct archive*, void* self, const void* data, size_t n) {
    auto* impl = static_cast<Impl*>(self);
    try {
      impl->out.write(data, n);
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      impl->error = std::current_exception();
      return -1;
    }
  }

  void check(int rc) {
    if (rc == ARCHIVE_OK || rc == ARCHIVE_WARN) return;
    if (error) std::rethrow_exception(error);
    const char* msg = archive_error_string(archive.get());
    fail("writing the archive: {}", msg ? msg : "unknown error");
  }

  Entry new_entry(const std::string& archive_name, const struct stat& st) {
    Entry e(archive_entry_new());
    if (!e) fail("cannot allocate a tar entry");
    archive_entry_set_pathname(e.get(),
                               S_ISDIR(st.st_mode) ? with_slash(archive_name).c_str() : archive_name.c_str());
    mode_t mode = st.st_mode;
    if (opts.permissions && !S_ISLNK(st.st_mode)) mode = (st.st_mode & S_IFMT) | (*opts.permissions & 07777);
    archive_entry_set_mode(e.get(), mode);
    uid_t uid = opts.owner ? opts.owner->first : st.st_uid;
    gid_t gid = opts.owner ? opts.owner->second : st.st_gid;
    archive_entry_set_uid(e.get(), uid);
    archive_entry_set_gid(e.get(), gid);
    if (opts.mtime)
      archive_entry_set_mtime(e.get(), *opts.mtime, 0);
    else
      archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    return e;
  }

  void add_xattrs(archive_entry* e, int fd) {
    for (const auto& [name, value] : file_xattrs(fd))
      archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
  }

  void write_header(archive_entry* e) { check(archive_write_header(archive.get(), e)); }

  void write_data(const void* data, size_t n) {
    la_ssize_t done = archive_write_data(archive.get(), data, n);
    if (done < 0 || static_cast<size_t>(done) != n) check(ARCHIVE_FATAL);
  }

  // The header promised st_size bytes: a file that shrank meanwhile is padded with zeros and
  // one that grew is cut, so the archive stays well-formed whatever a running container does.
  void write_content(int fd, int64_t size, const std::string& shown) {
    int64_t left = size;
    while (left > 0) {
      ssize_t n = ::read(fd, buf.data(), static_cast<size_t>(std::min<int64_t>(left, buf.size())));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail_errno("read {}", shown);
      }
      if (n == 0) break;
      write_data(buf.data(), static_cast<size_t>(n));
      left -= n;
    }
    std::fill(buf.begin(), buf.end(), '\0');
    while (left > 0) {
      size_t n = static_cast<size_t>(std::min<int64_t>(left, buf.size()));
      write_data(buf.data(), n);
      left -= static_cast<int64_t>(n);
    }
  }

  // Writes one object; returns its stat and, for a directory, an open fd of it.
  std::pair<struct stat, UniqueFd> add(int dirfd, const std::string& name, const std::string& archive_name) {
    const std::string& shown = archive_name.empty() ? name : archive_name;
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("stat {}", shown);
    UniqueFd fd;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
      fd.reset(::openat(dirfd, name.c_str(),
                        (S_ISDIR(st.st_mode) ? kDirFlags : O_RDONLY | O_NOFOLLOW | O_CLOEXEC)));
      if (!fd) fail_errno("open {}", shown);
      // Describe what was opened: the name may have been replaced since the fstatat.
      if (::fstat(fd.get(), &st) != 0) fail_errno("stat {}", shown);
    }
    if (archive_name.empty()) return {st, std::move(fd)};  // the top of a contents-only tree

    Entry e = new_entry(archive_name, st);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = links.try_emplace({st.st_dev, st.st_ino}, archive_name);
      if (!first) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        write_header(e.get());
        return {st, UniqueFd()};
      }
    }
    if (S_ISREG(st.st_mode)) {
      archive_entry_set_size(e.get(), st.st_size);
      add_xattrs(e.get(), fd.get());
      write_header(e.get());
      write_content(fd.get(), st.st_size, shown);
    } else if (S_ISDIR(st.st_mode)) {
      add_xattrs(e.get(), fd.get());
      write_header(e.get());
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
      if (n < 0) fail_errno("readlink {}", shown);
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e.get(), target.c_str());
      write_header(e.get());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
      archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
      write_header(e.get());
    } else if (S_ISFIFO(st.st_mode)) {
      write_header(e.get());
    }
    // Sockets are not content: docker skips them too.
    return {st, std::move(fd)};
  }

  void add_tree(int dirfd, const std::string& name, const std::string& archive_name) {
    auto [st, fd] = add(dirfd, name, archive_name);
    if (!S_ISDIR(st.st_mode) || !fd) return;
    if (opts.skip_pseudo_filesystems && is_pseudo_filesystem(fd.get())) return;
    std::vector<std::string> names = list_dir(fd.get(), archive_name.empty() ? name : archive_name);
    std::sort(names.begin(), names.end());
    for (const auto& child : names) add_tree(fd.get(), child, child_name(archive_name, child));
  }
};

TarPacker::TarPacker(ByteSink& out, PackOptions opts) : impl_(std::make_unique<Impl>(out, std::move(opts))) {}

TarPacker::~TarPacker() = default;

struct stat TarPacker::add(int dirfd, const std::string& name, const std::string& archive_name) {
  return impl_->add(dirfd, name, archive_name).first;
}

void TarPacker::add_tree(int dirfd, const std::string& name, const std::string& archive_name) {
  impl_->add_tree(dirfd, name, archive_name);
}

void TarPacker::add_whiteout(const std::string& archive_path) {
  size_t slash = archive_path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : archive_path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? archive_path : archive_path.substr(slash + 1);
  // An empty 0600 file owned by root, as docker writes it (its owner and time mean nothing).
  Entry e(archive_entry_new());
  if (!e) fail("cannot allocate a tar entry");
  archive_entry_set_pathname(e.get(), (dir + ".wh." + base).c_str());
  archive_entry_set_mode(e.get(), S_IFREG | 0600);
  archive_entry_set_size(e.get(), 0);
  impl_->write_header(e.get());
}

void TarPacker::set_options(PackOptions opts) { impl_->opts = std::move(opts); }

void TarPacker::finish() { impl_->check(archive_write_close(impl_->archive.get())); }

}  // namespace tug
