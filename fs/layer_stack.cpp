// The merged view of read-only layers, as overlayfs computes it: per directory, walk the layers
// from the top; a whiteout or a non-directory ends the walk for that name, an opaque directory
// ends it below itself. Layers are the store's own trees, read with *at calls and O_NOFOLLOW.
#include "fs/layer_stack.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "fs/flatten.hpp"
#include "fs/safe_path.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// The object `name` in one layer directory, or nullopt when the layer does not have it.
std::optional<struct stat> stat_in(int dirfd, const std::string& name) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
  if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
  fail_errno("stat layer entry {}", name);
}

}  // namespace

LayerStack::LayerStack(std::vector<std::string> layer_dirs_bottom_to_top)
    : layers_(std::move(layer_dirs_bottom_to_top)) {}

LayerStack::Dir LayerStack::root() const {
  Dir out;
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) {
    UniqueFd fd(::open(it->c_str(), kDirFlags));
    if (!fd) fail_errno("open layer {}", *it);
    bool opaque = is_opaque_dir(fd.get());
    out.layers_.push_back(std::move(fd));
    if (opaque) break;
  }
  return out;
}

std::optional<struct stat> LayerStack::lookup(const Dir& dir, const std::string& name) const {
  for (const auto& layer : dir.layers_) {
    auto st = stat_in(layer.get(), name);
    if (!st) continue;
    if (is_whiteout(*st)) return std::nullopt;
    return st;
  }
  return std::nullopt;
}

int LayerStack::holder(const Dir& dir, const std::string& name) const {
  for (const auto& layer : dir.layers_) {
    auto st = stat_in(layer.get(), name);
    if (!st) continue;
    return is_whiteout(*st) ? -1 : layer.get();
  }
  return -1;
}

LayerStack::Dir LayerStack::open(const Dir& dir, const std::string& name) const {
  Dir out;
  for (const auto& layer : dir.layers_) {
    auto st = stat_in(layer.get(), name);
    if (!st) continue;
    if (!S_ISDIR(st->st_mode)) break;  // a whiteout or a file hides everything below
    UniqueFd fd(::openat(layer.get(), name.c_str(), kDirFlags));
    if (!fd) fail_errno("open layer directory {}", name);
    bool opaque = is_opaque_dir(fd.get());
    out.layers_.push_back(std::move(fd));
    if (opaque) break;
  }
  return out;
}

std::vector<std::string> LayerStack::list(const Dir& dir) const {
  std::set<std::string> seen;  // decided by a higher layer: shown, or hidden by a whiteout
  std::vector<std::string> out;
  for (const auto& layer : dir.layers_) {
    for (auto& name : list_dir(layer.get(), "layer directory")) {
      if (seen.count(name)) continue;
      auto st = stat_in(layer.get(), name);
      if (st && !is_whiteout(*st)) out.push_back(name);
      seen.insert(std::move(name));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tug
