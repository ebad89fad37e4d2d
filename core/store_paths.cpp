// Store root resolution: --root/--runroot, TUG_ROOT, XDG_DATA_HOME / XDG_RUNTIME_DIR, HOME.
#include "core/store_paths.hpp"

#include <unistd.h>

#include <cstdlib>

#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

static std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

StorePaths resolve_store_paths(const std::string& root_flag, const std::string& runroot_flag) {
  StorePaths p;
  uid_t uid = ::getuid();
  p.rootless = uid != 0;
  std::string env_root = env_or_empty("TUG_ROOT");
  if (!root_flag.empty()) {
    p.root = root_flag;
  } else if (!env_root.empty()) {
    p.root = env_root;
  } else if (!p.rootless) {
    p.root = "/var/lib/tug";
  } else if (auto xdg = env_or_empty("XDG_DATA_HOME"); !xdg.empty()) {
    p.root = xdg + "/tug";
  } else if (auto home = env_or_empty("HOME"); !home.empty()) {
    p.root = home + "/.local/share/tug";
  } else {
    fail("cannot find a store directory: set HOME, XDG_DATA_HOME or TUG_ROOT");
  }
  if (!runroot_flag.empty()) {
    p.runroot = runroot_flag;
  } else if (!p.rootless) {
    p.runroot = "/run/tug";
  } else if (auto xdg = env_or_empty("XDG_RUNTIME_DIR"); !xdg.empty()) {
    p.runroot = xdg + "/tug";
  } else {
    p.runroot = "/tmp/tug-" + std::to_string(uid);
  }
  if (p.root.front() != '/' || p.runroot.front() != '/')
    fail("store paths must be absolute: {} {}", p.root, p.runroot);
  int mode = p.rootless ? 0700 : 0711;
  for (const auto& dir : {p.root, p.runroot, p.blobs(), p.layers(), p.images(), p.containers(), p.names(),
                          p.volumes(), p.tmp()}) {
    make_dirs(dir, mode);
  }
  return p;
}

}  // namespace tug
