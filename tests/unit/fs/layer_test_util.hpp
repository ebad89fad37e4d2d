// Layer directories for tests that need an image's layers on disk: a TarBuilder archive
// extracted by fs/layer_unpack, whiteouts and opaque directories in overlay representation.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <string>

#include "fs/layer_unpack.hpp"
#include "tests/unit/fs/fs_test_util.hpp"

namespace tug::test {

/// Extracts `tar` into the new directory `name` of `dir`; returns its path.
inline std::string make_layer(const TempDir& dir, const std::string& name, const TarBuilder& tar) {
  std::string path = dir / name;
  REQUIRE(::mkdir(path.c_str(), 0755) == 0);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  std::string bytes = tar.finish();
  MemorySource src(bytes);
  unpack_layer(src, fd.get(), {});
  return path;
}

}  // namespace tug::test
