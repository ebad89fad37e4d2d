// Rootfs mounting. Native overlay uses one fsconfig "lowerdir+" per layer (Linux 6.8+) so the
// number of layers is not limited by the one-page option string of mount(2); older kernels
// get the classic colon-joined option.
#include "fs/rootfs.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

#include "fs/flatten.hpp"
#include "fs/mount_api.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

const char* overlay_mode_name(OverlayMode mode) {
  switch (mode) {
    case OverlayMode::kNative:
      return "native";
    case OverlayMode::kFuse:
      return "fuse";
    case OverlayMode::kCopy:
      return "copy";
  }
  return "?";
}

OverlayMode preferred_overlay_mode() {
  const char* env = std::getenv("TUG_OVERLAY");
  if (!env || !*env || std::strcmp(env, "native") == 0) return OverlayMode::kNative;
  if (std::strcmp(env, "fuse") == 0) return OverlayMode::kFuse;
  if (std::strcmp(env, "copy") == 0) return OverlayMode::kCopy;
  fail("TUG_OVERLAY={}: expected native, fuse or copy", env);
}

namespace {

// Overlay needs at least one lower dir; an image without layers gets an empty one.
std::vector<std::string> lowers_top_first(const RootfsLayout& layout) {
  std::vector<std::string> out(layout.lower_dirs.rbegin(), layout.lower_dirs.rend());
  if (out.empty()) {
    std::string empty = layout.work + "-empty";
    make_dirs(empty, 0755);
    out.push_back(empty);
  }
  return out;
}

void mount_native(const RootfsLayout& layout) {
  auto lowers = lowers_top_first(layout);
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) fail_errno("overlay");
  auto set = [&](const char* key, const std::string& value) {
    return ::fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) == 0;
  };
  set("source", "overlay");
  bool per_layer = true;
  for (const auto& l : lowers) {
    if (!set("lowerdir+", l)) {
      per_layer = false;
      break;
    }
  }
  if (!per_layer) {
    // Pre-6.8 kernel: reopen and pass the joined form.
    fs.reset(::fsopen("overlay", FSOPEN_CLOEXEC));
    if (!fs) fail_errno("overlay");
    set("source", "overlay");
    std::string joined;
    for (const auto& l : lowers) joined += (joined.empty() ? "" : ":") + l;
    if (!set("lowerdir", joined)) fail_errno("overlay lowerdir ({} layers)", lowers.size());
  }
  if (!set("upperdir", layout.upper) || !set("workdir", layout.work)) fail_errno("overlay upperdir/workdir");
  // A writable layer that is deleted on exit needs no syncs: "volatile" also makes the
  // unmount at exit skip syncing the upper filesystem (3+ ms per container here).
  if (layout.volatile_upper) ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0);
  // In a user namespace overlay keeps its whiteout/opaque markers in user.overlay.* xattrs.
  if (::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, 0) != 0) fail_errno("overlay userxattr");
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) fail_errno("overlay mount");
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) fail_errno("overlay fsmount");
  if (::move_mount(mnt.get(), "", AT_FDCWD, layout.merged.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    fail_errno("overlay attach at {}", layout.merged);
}

void mount_fuse(const RootfsLayout& layout) {
  std::string prog = find_system_program("fuse-overlayfs");
  if (prog.empty()) fail("fuse-overlayfs is not installed");
  if (::access("/dev/fuse", R_OK | W_OK) != 0) fail_errno("/dev/fuse");
  auto lowers = lowers_top_first(layout);
  std::string joined;
  for (const auto& l : lowers) joined += (joined.empty() ? "" : ":") + l;
  std::string opts = "lowerdir=" + joined + ",upperdir=" + layout.upper + ",workdir=" + layout.work;
  std::vector<std::string> args{prog, "-f", "-o", opts, layout.merged};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  struct stat before;
  if (::stat(layout.merged.c_str(), &before) != 0) fail_errno("stat {}", layout.merged);
  // Kept in the foreground as our child: it serves the mount for as long as tug holds the
  // container, and dies with tug (PDEATHSIG), which ends the mount namespace with it.
  pid_t pid = ::fork();
  if (pid < 0) fail_errno("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 500; ++i) {
    struct stat now;
    if (::stat(layout.merged.c_str(), &now) == 0 && now.st_dev != before.st_dev) return;
    int status;
    if (::waitpid(pid, &status, WNOHANG) == pid) fail("fuse-overlayfs exited (status {})", status);
    ::usleep(10000);
  }
  ::kill(pid, SIGKILL);
  fail("fuse-overlayfs did not mount {} within 5 s", layout.merged);
}

void mount_copy(const RootfsLayout& layout) {
  if (!path_exists(layout.copy_dir + "/.complete")) {
    std::string tmp = layout.copy_dir + ".tmp";
    remove_tree(tmp);
    make_dirs(tmp, 0755);
    flatten_layers(layout.lower_dirs, tmp);
    write_file_atomic(tmp + "/.complete", "", 0600, false);
    remove_tree(layout.copy_dir);
    if (::rename(tmp.c_str(), layout.copy_dir.c_str()) != 0) fail_errno("rename {}", tmp);
  }
  UniqueFd tree = clone_tree(layout.copy_dir, true, false);
  if (::move_mount(tree.get(), "", AT_FDCWD, layout.merged.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    fail_errno("bind {} at {}", layout.copy_dir, layout.merged);
}

}  // namespace

OverlayMode mount_rootfs(const RootfsLayout& layout, OverlayMode preferred, std::string& note) {
  if (preferred == OverlayMode::kNative) {
    try {
      mount_native(layout);
      return OverlayMode::kNative;
    } catch (const Error& e) {
      note = std::string("native overlay refused: ") + e.what();
    }
    preferred = OverlayMode::kFuse;
  }
  if (preferred == OverlayMode::kFuse) {
    try {
      mount_fuse(layout);
      return OverlayMode::kFuse;
    } catch (const Error& e) {
      note += (note.empty() ? "" : "; ") + std::string(e.what());
    }
  }
  mount_copy(layout);
  return OverlayMode::kCopy;
}

bool probe_native_overlay(const std::string& scratch_dir, std::string& why) {
  std::string base = scratch_dir + "/overlay-probe-" + std::to_string(::getpid());
  for (const char* d : {"/lower", "/upper", "/work", "/merged"}) make_dirs(base + d, 0755);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  pid_t pid = ::fork();
  if (pid < 0) fail_errno("fork");
  if (pid == 0) {
    rd.reset();
    int err = 0;
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      err = errno;
    } else {
      auto put = [](const char* path, const std::string& text) {
        int fd = ::open(path, O_WRONLY);
        if (fd < 0) return;
        (void)!::write(fd, text.data(), text.size());
        ::close(fd);
      };
      put("/proc/self/setgroups", "deny");
      put("/proc/self/uid_map", fmt::format("0 {} 1", uid));
      put("/proc/self/gid_map", fmt::format("0 {} 1", gid));
      RootfsLayout l{{base + "/lower"}, base + "/upper", base + "/work", base + "/merged", ""};
      try {
        mount_native(l);
      } catch (const Error& e) {
        (void)!::write(wr.get(), e.what(), std::strlen(e.what()));
        ::_exit(1);
      }
    }
    if (err) {
      std::string msg = std::string("cannot create a user namespace: ") + std::strerror(err);
      (void)!::write(wr.get(), msg.data(), msg.size());
      ::_exit(1);
    }
    ::_exit(0);
  }
  wr.reset();
  char buf[512];
  ssize_t n = ::read(rd.get(), buf, sizeof buf);
  int status = 0;
  ::waitpid(pid, &status, 0);
  remove_tree(base);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  why = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "overlay mount failed";
  return false;
}

}  // namespace tug
