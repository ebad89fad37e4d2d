// System facts for `tug info`. Overlay support is probed for real in a throwaway namespace
// rather than guessed from the kernel version.
#include "core/system_info.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/container_store.hpp"
#include "core/image_store.hpp"
#include "core/userns.hpp"
#include "fs/rootfs.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

Json system_info(const StorePaths& paths) {
  Json warnings = Json::array();
  IdMapping mapping = detect_id_mapping();
  std::string gid_text;
  for (const auto& r : mapping.gids)
    gid_text += fmt::format("{}{}:{}:{}", gid_text.empty() ? "" : ",", r.inside, r.outside, r.count);
  if (mapping.mode == IdMapping::Mode::kSingle) warnings.push_back(mapping.why_single);

  OverlayMode mode = preferred_overlay_mode();
  std::string reason;
  if (mode == OverlayMode::kNative) {
    std::string why;
    if (probe_native_overlay(paths.tmp(), why)) {
      reason = "kernel overlayfs inside the user namespace (userxattr)";
    } else {
      bool fuse = !find_system_program("fuse-overlayfs").empty() && ::access("/dev/fuse", R_OK | W_OK) == 0;
      mode = fuse ? OverlayMode::kFuse : OverlayMode::kCopy;
      reason = "native overlay refused: " + why;
      warnings.push_back(
          fuse ? "native overlayfs unavailable (" + why + "): using fuse-overlayfs"
               : "native overlayfs unavailable (" + why +
                     "): containers get a full copy of their image; fix: a kernel >= 5.11 with "
                     "overlayfs, or install fuse-overlayfs and make /dev/fuse readable (chmod 0666)");
    }
  } else {
    reason = "forced by TUG_OVERLAY";
  }

  std::string cg_version = "none";
  struct statfs sfs {};
  if (::statfs("/sys/fs/cgroup", &sfs) == 0) {
    if (sfs.f_type == CGROUP2_SUPER_MAGIC)
      cg_version = "v2";
    else if (sfs.f_type == TMPFS_MAGIC)
      cg_version = path_exists("/sys/fs/cgroup/unified") ? "hybrid" : "v1";
  }
  std::string own_cgroup;
  if (auto text = read_file_if_exists("/proc/self/cgroup")) {
    auto pos = text->find("0::");
    if (pos != std::string::npos) own_cgroup = text->substr(pos + 3, text->find('\n', pos) - pos - 3);
  }
  std::string cg_root = cg_version == "v2" ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  bool delegated = !own_cgroup.empty() &&
                   ::access((cg_root + own_cgroup + "/cgroup.procs").c_str(), W_OK) == 0 &&
                   ::access((cg_root + own_cgroup).c_str(), W_OK) == 0;
  if (!delegated)
    warnings.push_back(
        fmt::format("cgroups {} without delegation to this user: memory and I/O limits and stats are "
                    "unavailable; fix: boot with cgroup v2 and delegate a subtree (systemd: "
                    "Delegate=yes for user@.service)",
                    cg_version));

  struct utsname uts {};
  ::uname(&uts);
  ImageStore images(paths);
  ContainerStore containers(paths);
  return Json{
      {"Version", TUG_VERSION},
      {"Rootless", paths.rootless},
      {"Store", {{"Root", paths.root}, {"RunRoot", paths.runroot}}},
      {"IDMapping", {{"Mode", mapping.mode_name()}, {"UIDs", mapping.describe_uids()}, {"GIDs", gid_text}}},
      {"Overlay", {{"Mode", overlay_mode_name(mode)}, {"Reason", reason}}},
      {"Cgroups", {{"Version", cg_version}, {"Delegated", delegated}}},
      {"Seccomp", "docker default profile (libseccomp)"},
      {"Images", images.list().size()},
      {"Containers", containers.list_ids().size()},
      {"Kernel", std::string(uts.release)},
      {"Warnings", warnings}};
}

}  // namespace tug
