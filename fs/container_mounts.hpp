// Everything mounted into a container's rootfs before it starts, except /proc (which must be
// mounted from inside the new pid namespace): /dev, /sys, cgroup, volumes, tmpfs and the
// files tug provides (/etc/hosts, /etc/hostname, /etc/resolv.conf).
#pragma once

#include <string>
#include <vector>

namespace tug {

/// A host path bound into the container.
struct BindMount {
  std::string source;  ///< host path (absolute)
  std::string target;  ///< path inside the container
  bool read_only = false;
};

/// A tmpfs mounted into the container (`--tmpfs /path[:options]`).
struct TmpfsMount {
  std::string target;
  std::string options;  ///< extra fsconfig options, "size=64m,mode=1777"
};

/// What to mount, prepared by core from the container's config.
struct ContainerMounts {
  std::vector<BindMount> binds;
  std::vector<TmpfsMount> tmpfs;
  bool gid5_mapped = false;  ///< whether devpts may use the tty group (gid 5)
  bool mount_sysfs = true;   ///< a private network namespace allows a fresh sysfs
};

/// Mounts /dev, /sys, cgroup2, binds and tmpfs into the rootfs open at `rootfs_fd`.
/// The caller is root in the container's user namespace, inside its mount namespace.
void mount_container_filesystems(int rootfs_fd, const ContainerMounts& mounts);

/// Paths docker masks or makes read-only inside /proc and /sys (applied after pivot_root).
extern const char* const kMaskedPaths[];
extern const char* const kReadOnlyPaths[];

}  // namespace tug
