// /dev is a small tmpfs with the host's harmless device nodes bound in (a user namespace
// cannot mknod), a private devpts and its own shm and mqueue. Targets are created with
// RESOLVE_IN_ROOT so image symlinks cannot redirect a mount onto the host.
#include "fs/container_mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/in_root.hpp"
#include "fs/mount_api.hpp"
#include "util/error.hpp"

namespace tug {

const char* const kMaskedPaths[] = {"/proc/asound",
                                    "/proc/acpi",
                                    "/proc/interrupts",
                                    "/proc/kcore",
                                    "/proc/keys",
                                    "/proc/latency_stats",
                                    "/proc/timer_list",
                                    "/proc/timer_stats",
                                    "/proc/sched_debug",
                                    "/proc/scsi",
                                    "/sys/firmware",
                                    "/sys/devices/virtual/powercap",
                                    nullptr};
const char* const kReadOnlyPaths[] = {"/proc/bus",           "/proc/fs", "/proc/irq", "/proc/sys",
                                      "/proc/sysrq-trigger", nullptr};

namespace {

constexpr unsigned kNoSuidDev = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

void mount_dev(int rootfs_fd, const ContainerMounts& mounts) {
  UniqueFd dev_target = make_dirs_in_root(rootfs_fd, "/dev");
  UniqueFd dev = make_mount("tmpfs", {{"mode", "755"}, {"size", "65536k"}},
                            MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, "/dev");
  attach_mount(dev.get(), dev_target.get(), "/dev");
  // dev now refers to the attached tmpfs root: populate it relative to that fd.
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
    UniqueFd file(::openat(dev.get(), node, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (!file) fail_errno("create /dev/{}", node);
    UniqueFd target(::openat(dev.get(), node, O_PATH | O_CLOEXEC));
    UniqueFd tree = clone_tree(std::string("/dev/") + node, false, false);
    attach_mount(tree.get(), target.get(), std::string("/dev/") + node);
  }
  for (const char* dir : {"pts", "shm", "mqueue"})
    if (::mkdirat(dev.get(), dir, 0755) != 0) fail_errno("mkdir /dev/{}", dir);
  std::vector<std::pair<std::string, std::string>> pts_opts{
      {"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "0620"}};
  if (mounts.gid5_mapped) pts_opts.push_back({"gid", "5"});
  UniqueFd pts = make_mount("devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, "/dev/pts");
  UniqueFd pts_target(::openat(dev.get(), "pts", O_PATH | O_CLOEXEC));
  attach_mount(pts.get(), pts_target.get(), "/dev/pts");
  UniqueFd shm =
      make_mount("tmpfs", {{"mode", "1777"}, {"size", "65536k"}}, kNoSuidDev | MOUNT_ATTR_NOEXEC, "/dev/shm");
  UniqueFd shm_target(::openat(dev.get(), "shm", O_PATH | O_CLOEXEC));
  attach_mount(shm.get(), shm_target.get(), "/dev/shm");
  UniqueFd mq = make_mount("mqueue", {}, kNoSuidDev | MOUNT_ATTR_NOEXEC, "/dev/mqueue");
  UniqueFd mq_target(::openat(dev.get(), "mqueue", O_PATH | O_CLOEXEC));
  attach_mount(mq.get(), mq_target.get(), "/dev/mqueue");
  struct Link {
    const char* name;
    const char* target;
  };
  for (Link l :
       {Link{"ptmx", "pts/ptmx"}, Link{"fd", "/proc/self/fd"}, Link{"stdin", "/proc/self/fd/0"},
        Link{"stdout", "/proc/self/fd/1"}, Link{"stderr", "/proc/self/fd/2"}, Link{"core", "/proc/kcore"}}) {
    if (::symlinkat(l.target, dev.get(), l.name) != 0) fail_errno("symlink /dev/{}", l.name);
  }
}

void mount_sys(int rootfs_fd, const ContainerMounts& mounts) {
  UniqueFd target = make_dirs_in_root(rootfs_fd, "/sys");
  UniqueFd sys;
  if (mounts.mount_sysfs) {
    sys = make_mount("sysfs", {}, MOUNT_ATTR_RDONLY | kNoSuidDev | MOUNT_ATTR_NOEXEC, "/sys");
  } else {
    sys = clone_tree("/sys", true, true);
  }
  attach_mount(sys.get(), target.get(), "/sys");
  // cgroup2 inside the cgroup namespace, read-only as docker does; hosts without a usable
  // cgroup2 hierarchy simply get none.
  UniqueFd cg_target(::openat(sys.get(), "fs/cgroup", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cg_target) return;
  try {
    UniqueFd cg =
        make_mount("cgroup2", {}, MOUNT_ATTR_RDONLY | kNoSuidDev | MOUNT_ATTR_NOEXEC, "/sys/fs/cgroup");
    attach_mount(cg.get(), cg_target.get(), "/sys/fs/cgroup");
  } catch (const Error&) {
  }
}

}  // namespace

void mount_container_filesystems(int rootfs_fd, const ContainerMounts& mounts) {
  mount_dev(rootfs_fd, mounts);
  mount_sys(rootfs_fd, mounts);
  for (const auto& b : mounts.binds) {
    struct stat st;
    if (::stat(b.source.c_str(), &st) != 0) fail_errno("bind source {}", b.source);
    UniqueFd tree = clone_tree(b.source, true, b.read_only);
    UniqueFd target =
        S_ISDIR(st.st_mode) ? make_dirs_in_root(rootfs_fd, b.target) : make_file_in_root(rootfs_fd, b.target);
    attach_mount(tree.get(), target.get(), b.target);
  }
  for (const auto& t : mounts.tmpfs) {
    std::vector<std::pair<std::string, std::string>> opts{{"mode", "1777"}};
    size_t start = 0;
    while (start < t.options.size()) {
      auto comma = t.options.find(',', start);
      std::string kv = t.options.substr(start, comma - start);
      start = comma == std::string::npos ? t.options.size() : comma + 1;
      if (kv.empty()) continue;
      auto eq = kv.find('=');
      if (kv == "ro" || kv == "rw" || kv == "noexec" || kv == "exec" || kv == "nosuid" || kv == "nodev")
        continue;
      opts.push_back(eq == std::string::npos ? std::make_pair(kv, std::string())
                                             : std::make_pair(kv.substr(0, eq), kv.substr(eq + 1)));
    }
    unsigned attrs = kNoSuidDev;
    if (t.options.find("noexec") != std::string::npos) attrs |= MOUNT_ATTR_NOEXEC;
    if (t.options.find("ro") == 0 || t.options.find(",ro") != std::string::npos) attrs |= MOUNT_ATTR_RDONLY;
    UniqueFd target = make_dirs_in_root(rootfs_fd, t.target);
    UniqueFd fs = make_mount("tmpfs", opts, attrs, t.target);
    attach_mount(fs.get(), target.get(), t.target);
  }
}

}  // namespace tug
