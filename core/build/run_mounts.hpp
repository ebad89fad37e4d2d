// `RUN --mount=...` (BuildKit's syntax: comma-separated key=value fields): which kinds tug
// supports and what each becomes on tug's run path. type=cache: a directory kept between builds
// under the store, bound read-write; type=bind: a context path (never through a symlink),
// bound read-only; type=tmpfs: a tmpfs. Secrets and ssh agents are refused by name.
#pragma once

#include <string>
#include <vector>

#include "core/build/build_context.hpp"

namespace tug::build {

struct RunMount {
  std::string type = "bind";  ///< bind, cache or tmpfs
  std::string target;         ///< absolute path in the container
  std::string source;         ///< bind: the context path ("" the context root)
  std::string id;             ///< cache: the cache's identity (default: the target)
};

/// Parses one --mount value. Throws "<file>:<line>: ..." for an unknown type or key, a missing
/// target, a secret or ssh mount, a bind from another stage or image.
RunMount parse_run_mount(const std::string& spec, const std::string& file, int line);

/// What the RUN container gets: `-v` values and `--tmpfs` values. `cache_root` holds the cache
/// directories (made here); bind sources must be directories or files of `context` (the
/// listing with .dockerignore applied), else "<file>:<line>: ... not found".
struct RunMountArgs {
  std::vector<std::string> volumes;
  std::vector<std::string> tmpfs;
};
RunMountArgs run_mount_args(const std::vector<RunMount>& mounts, const std::string& context_dir,
                            const std::vector<ContextEntry>& context, const std::string& cache_root,
                            const std::string& file, int line);

}  // namespace tug::build
