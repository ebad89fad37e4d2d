// The build context a Dockerfile's COPY and ADD can see: which ignore file applies and which
// paths of the context directory are sent, walked without following symlinks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/build/dockerignore.hpp"

namespace tug::build {

/// The ignore file for a build, first found of: `<dockerfile>.dockerignore` (BuildKit's
/// per-Dockerfile file, next to the Dockerfile), `<dockerfile>.containerignore` (podman's name),
/// then `.dockerignore` and `.containerignore` at the context root. `dockerfile_path` is the
/// Dockerfile as the user named it ("" when it comes from stdin). nullopt when none exists.
std::optional<std::string> find_ignore_file(const std::string& context_dir,
                                            const std::string& dockerfile_path);

/// One path of the context, relative to its root ("src/main.go").
struct ContextEntry {
  enum class Type { kFile, kDirectory, kSymlink, kOther };
  std::string path;
  Type type = Type::kFile;
  bool operator==(const ContextEntry&) const = default;
};

/// The entries of `context_dir` the matcher does not exclude, sorted by path. Symlinks are
/// listed as symlinks and never followed (every directory is opened O_NOFOLLOW relative to its
/// parent); the directories above a re-included file are listed too, since it cannot be sent
/// without them. Throws Error naming the path that cannot be read.
std::vector<ContextEntry> list_context(const std::string& context_dir, const IgnoreMatcher& matcher);

/// find_ignore_file + read_ignore_patterns + list_context. Errors in the ignore file name it.
std::vector<ContextEntry> list_build_context(const std::string& context_dir,
                                             const std::string& dockerfile_path);

}  // namespace tug::build
