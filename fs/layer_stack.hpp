// An image's layer directories (overlay representation, see fs/flatten.hpp) merged the way an
// overlay mount would show them, read without mounting anything: what `diff` and `commit`
// compare a container's own files against.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "util/fd.hpp"

namespace tug {

class LayerStack {
 public:
  /// One directory of the merged view: the layer directories that show through at it, top first.
  class Dir {
   public:
    /// False when the merged view has no directory here.
    bool exists() const { return !layers_.empty(); }

   private:
    friend class LayerStack;
    std::vector<UniqueFd> layers_;
  };

  explicit LayerStack(std::vector<std::string> layer_dirs_bottom_to_top);

  /// The merged root.
  Dir root() const;

  /// The object `name` of `dir` as the merged view shows it: the stat from the topmost layer
  /// holding it; nullopt when no layer has it or a whiteout above hides it.
  std::optional<struct stat> lookup(const Dir& dir, const std::string& name) const;

  /// The directory `name` of `dir` (exists() false when the merged `name` is no directory).
  /// Layers below an opaque directory, a whiteout or a non-directory do not show through.
  Dir open(const Dir& dir, const std::string& name) const;

  /// The directory fd of the topmost layer whose `name` the merged `dir` shows (read or pack
  /// the object through it); -1 when the merged view has no `name`.
  int holder(const Dir& dir, const std::string& name) const;

  /// The names the merged `dir` holds, sorted bytewise.
  std::vector<std::string> list(const Dir& dir) const;

 private:
  std::vector<std::string> layers_;  // bottom to top
};

}  // namespace tug
