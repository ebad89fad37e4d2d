// COPY and ADD of the builder: which files go where (docker's rules for sources, wildcards and
// destinations), a digest of their content for the cache, and the layer that holds them. The
// layer is written directly as a tar (no container): the parent directories of each
// destination first, with the owner and mode the image already gives them, then the files,
// owned by root or --chown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/build/build_context.hpp"
#include "core/build/dockerfile.hpp"
#include "core/layer_import.hpp"
#include "core/store_paths.hpp"

namespace tug::build {

/// One object a step writes, under `archive_name` (relative to the image root).
struct CopyItem {
  std::string source;         ///< context-relative path ("" the context root), or an absolute path in
                              ///< the --from image
  std::string archive_name;   ///< "app/main.go"
  bool contents = false;      ///< a directory: what is below it goes below archive_name
  bool extract = false;       ///< ADD of a local tar (plain, gzip or zstd): its entries go below archive_name
  mode_t inline_mode = 0644;  ///< of an inline file (ADD of a URL makes it 0600, as docker does)
  std::optional<std::string> inline_content =
      std::nullopt;  ///< `COPY <<EOF`: the file's content (source is its name)
};

/// Where the files of one COPY/ADD come from and go.
struct CopyPlan {
  std::vector<CopyItem> items;
  std::vector<std::string> parents;      ///< directories written first, sorted (parents first)
  std::vector<std::string> from_layers;  ///< --from: the image's layer dirs, bottom to top; else empty
  std::string chown;                     ///< --chown as given (resolved with the image's /etc files)
  std::optional<mode_t> chmod;           ///< --chmod
};

/// What a step can see: the context (or nothing with --from) and the image built so far.
struct CopyInputs {
  std::string context_dir;
  const std::vector<ContextEntry>* context = nullptr;  ///< sorted, .dockerignore applied
  std::vector<std::string> image_layers;               ///< the current image's layer dirs
  std::vector<std::string> from_layers;                ///< --from image's layer dirs (empty: context)
  std::string workdir = "/";
};

/// Plans `copy` (already expanded). Throws "<file>:<line>: ..." with docker's messages for a
/// source outside the context, a missing source, several sources into a non-directory.
/// `is_add`: ADD, whose local tar archives are extracted into the destination.
CopyPlan plan_copy_step(const FileCopy& copy, const CopyInputs& inputs, const std::string& file, int line,
                        bool is_add = false);

/// sha256 over what the plan copies from the context (paths, types, modes, sizes, contents,
/// link targets) and where: equal digests mean an equal layer. --from steps hash the paths
/// only (the caller adds the source image's ID).
std::string copy_content_digest(const CopyPlan& plan, const CopyInputs& inputs);

/// Packs and imports the layer (in a child inside the user namespace). `mtime`: every entry's
/// time (SOURCE_DATE_EPOCH), else the files' own.
ImportedLayer write_copy_layer(const StorePaths& paths, const CopyPlan& plan, const CopyInputs& inputs,
                               std::optional<int64_t> mtime);

}  // namespace tug::build
