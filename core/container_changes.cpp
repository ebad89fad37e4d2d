// The change walk. Overlay's upper dir records a deletion as a whiteout: a 0/0 character device
// (what the kernel creates, also in a user namespace), a `.wh.NAME` file or an xattr-marked empty
// file (fuse-overlayfs, and Linux 6.7+ xattr whiteouts); a directory that hides everything below
// it carries an opaque xattr (user.overlay.opaque with userxattr) or a `.wh..wh..opq` file.
#include "core/container_changes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <map>

#include "core/container_copy.hpp"
#include "core/container_fs_child.hpp"
#include "core/container_store.hpp"
#include "core/image_store.hpp"
#include "core/userns.hpp"
#include "fs/flatten.hpp"
#include "fs/layer_stack.hpp"
#include "fs/safe_path.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
// The flattened copy marks itself complete with this file at its root (fs/rootfs.cpp).
constexpr std::string_view kCopyCompleteMarker = ".complete";

bool has_xattr_value(int fd, const char* name, char want) {
  char value[2];
  ssize_t n = ::fgetxattr(fd, name, value, sizeof value);
  return n == 1 && value[0] == want;
}

bool is_opaque_upper_dir(int dirfd) {
  if (is_opaque_dir(dirfd) || has_xattr_value(dirfd, "trusted.overlay.opaque", 'y') ||
      has_xattr_value(dirfd, "user.fuseoverlayfs.opaque", 'y'))
    return true;
  struct stat st;
  return ::fstatat(dirfd, std::string(kOpaqueMarker).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

// An empty regular file marked as a whiteout by xattr (Linux 6.7+ overlay, any prefix).
bool is_xattr_whiteout(int dirfd, const std::string& name, const struct stat& st) {
  if (!S_ISREG(st.st_mode) || st.st_size != 0) return false;
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return false;
  for (const char* key : {"user.overlay.whiteout", "trusted.overlay.whiteout"})
    if (::fgetxattr(fd.get(), key, nullptr, 0) >= 0) return true;
  return false;
}

// docker's statDifferent: size and mtime are not compared for directories (adding an entry
// changes them); overlay copy-up keeps a directory's mtime, so there it is compared too.
bool stat_differs(const struct stat& a, const struct stat& b, bool compare_dir_mtime) {
  if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid || a.st_rdev != b.st_rdev)
    return true;
  bool same_time = a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
  if (S_ISDIR(a.st_mode)) return compare_dir_mtime && !same_time;
  return !same_time || a.st_size != b.st_size;
}

std::string child_path(const std::string& parent, const std::string& name) { return parent + "/" + name; }

class ChangeWalker {
 public:
  ChangeWalker(const ContainerFiles& files) : files_(files), lower_(files.lower_dirs) {
    for (const auto& target : files.mount_targets)
      for (size_t slash = target.find('/', 1); slash != std::string::npos;
           slash = target.find('/', slash + 1))
        mount_target_parents_.insert(target.substr(0, slash));
  }

  std::vector<Change> run() {
    UniqueFd own(::open(files_.own_dir.c_str(), kDirFlags));
    if (!own) fail_errno("open {}", files_.own_dir);
    LayerStack::Dir root = lower_.root();
    walk(own.get(), root, files_.copy_mode ? &root : nullptr, "");
    return std::move(out_);
  }

 private:
  // One name of a directory: present in the container's files, or deleted from the image.
  struct Item {
    std::string name;
    bool deleted = false;
    struct stat st {};
  };

  // Appends the changes below `path` ("" is the root); returns whether it appended any.
  // `lower` is what shows through from the image; names of `deletable` that the container's
  // directory lacks are deletions (copy mode, and below an opaque directory).
  bool walk(int own_fd, const LayerStack::Dir& lower, const LayerStack::Dir* deletable,
            const std::string& path) {
    std::vector<Item> items = read_items(own_fd, lower, deletable, path);
    bool any = false;
    for (const auto& item : items) {
      std::string p = child_path(path, item.name);
      if (item.deleted) {
        out_.push_back({p, ChangeKind::kDelete});
        any = true;
      } else if (S_ISDIR(item.st.st_mode)) {
        any |= walk_dir(own_fd, lower, item, p);
      } else {
        any |= visit_file(lower, item, p);
      }
    }
    return any;
  }

  std::vector<Item> read_items(int own_fd, const LayerStack::Dir& lower, const LayerStack::Dir* deletable,
                               const std::string& path) {
    std::vector<Item> items;
    std::set<std::string> present;
    for (auto& name : list_dir(own_fd, path.empty() ? "/" : path)) {
      Item item;
      item.name = name;
      if (::fstatat(own_fd, name.c_str(), &item.st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed by a running container meanwhile
        fail_errno("stat {}", child_path(path, name));
      }
      if (files_.copy_mode) {
        if (path.empty() && name == kCopyCompleteMarker) continue;
      } else if (name == kOpaqueMarker) {
        continue;  // read with its directory
      } else if (name.starts_with(kWhiteoutPrefix)) {
        item.name = name.substr(kWhiteoutPrefix.size());
        item.deleted = true;
      } else if (is_whiteout(item.st) || is_xattr_whiteout(own_fd, name, item.st)) {
        item.deleted = true;
      }
      present.insert(item.name);
      // A whiteout of something the image does not have (any more) changes nothing.
      if (item.deleted && !lower_.lookup(lower, item.name)) continue;
      items.push_back(std::move(item));
    }
    if (deletable)
      for (auto& name : lower_.list(*deletable))
        if (!present.count(name)) {
          Item gone;
          gone.name = std::move(name);
          gone.deleted = true;
          items.push_back(std::move(gone));
        }
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.name < b.name; });
    return items;
  }

  bool visit_file(const LayerStack::Dir& lower, const Item& item, const std::string& p) {
    auto below = lower_.lookup(lower, item.name);
    if (!below) {
      // An empty file tug made as a mount target (/etc/hosts) is not the container's doing.
      if (S_ISREG(item.st.st_mode) && item.st.st_size == 0 && files_.mount_targets.count(p)) return false;
      out_.push_back({p, ChangeKind::kAdd});
      return true;
    }
    // In an upper dir a file exists only because it was written (copied up): a change.
    if (files_.copy_mode && !stat_differs(item.st, *below, false)) return false;
    out_.push_back({p, ChangeKind::kModify});
    return true;
  }

  bool walk_dir(int own_fd, const LayerStack::Dir& lower, const Item& item, const std::string& p) {
    UniqueFd dir(::openat(own_fd, item.name.c_str(), kDirFlags));
    if (!dir) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return false;  // replaced meanwhile
      fail_errno("open {}", p);
    }
    auto below = lower_.lookup(lower, item.name);
    bool opaque = !files_.copy_mode && is_opaque_upper_dir(dir.get());
    LayerStack::Dir lower_dir;
    if (below && S_ISDIR(below->st_mode)) lower_dir = lower_.open(lower, item.name);
    // Below an opaque directory nothing of the image shows: what it had there is deleted.
    LayerStack::Dir hidden;
    if (opaque) std::swap(hidden, lower_dir);
    const LayerStack::Dir* deletable = opaque ? &hidden : files_.copy_mode ? &lower_dir : nullptr;

    size_t slot = out_.size();
    out_.push_back({p, ChangeKind::kModify});  // the directory comes before its contents
    bool changed_below = walk(dir.get(), lower_dir, deletable, p);
    if (!below) {
      // A directory tug made only to hold mount targets (/etc for /etc/hosts) is not a change.
      if (!changed_below && (files_.mount_targets.count(p) || mount_target_parents_.count(p))) {
        out_.erase(out_.begin() + static_cast<std::ptrdiff_t>(slot));
        return false;
      }
      out_[slot].kind = ChangeKind::kAdd;
      return true;
    }
    // Creating a mount target in a directory (/etc/hosts in /etc) changed its mtime, not the
    // container: there the mtime is not compared.
    bool compare_mtime = !files_.copy_mode && !mount_target_parents_.count(p);
    if (!S_ISDIR(below->st_mode) || opaque || changed_below || stat_differs(item.st, *below, compare_mtime))
      return true;
    out_.erase(out_.begin() + static_cast<std::ptrdiff_t>(slot));
    return false;
  }

  const ContainerFiles& files_;
  LayerStack lower_;
  std::set<std::string> mount_target_parents_;
  std::vector<Change> out_;
};

}  // namespace

const char* change_letter(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kModify:
      return "C";
    case ChangeKind::kAdd:
      return "A";
    case ChangeKind::kDelete:
      return "D";
  }
  return "?";
}

ContainerFiles container_files(const StorePaths& paths, const std::string& id) {
  ContainerStore store(paths);
  Json cfg = store.load_config(id);
  Image image = ImageStore(paths).resolve(cfg.value("Image", ""));
  ContainerFiles files;
  files.copy_mode = container_uses_copy(paths, id);
  files.own_dir = store.dir(id) + (files.copy_mode ? "/rootfs" : "/upper");
  ImageStore images(paths);
  for (const auto& d : image.diff_ids()) files.lower_dirs.push_back(images.layer_diff_dir(d));
  files.mount_targets = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev", "/proc", "/sys"};
  for (const auto& m : cfg.value("Mounts", Json::array()))
    files.mount_targets.insert(clean_container_path(m.value("Destination", "")));
  const Json& tmpfs = cfg["HostConfig"].value("Tmpfs", Json());
  if (tmpfs.is_object())
    for (auto it = tmpfs.begin(); it != tmpfs.end(); ++it)
      files.mount_targets.insert(clean_container_path(it.key()));
  files.mount_targets.erase("/");
  return files;
}

std::vector<Change> compute_changes(const ContainerFiles& files) { return ChangeWalker(files).run(); }

std::vector<Change> container_changes(const StorePaths& paths, const std::string& id) {
  ContainerFiles files = container_files(paths, id);
  ChildTask child([&](ChildTask::Channel& channel) {
    enter_user_namespace(detect_id_mapping());
    Json list = Json::array();
    for (const auto& c : compute_changes(files)) list.push_back({static_cast<int>(c.kind), c.path});
    channel.send(Json{{"changes", list}});
  });
  Json message = child.receive();
  child.wait();
  std::vector<Change> out;
  for (const auto& c : message["changes"])
    out.push_back({c[1].get<std::string>(), static_cast<ChangeKind>(c[0].get<int>())});
  return out;
}

}  // namespace tug
