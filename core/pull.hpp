// `tug pull` and the implicit pull of `run`/`create`: manifest (or index → the platform's
// manifest), config, then the missing layers, several at once, each streamed from the registry
// through sha256 and decompression straight into its extraction, verified before it is published.
#pragma once

#include <string>
#include <string_view>

#include "core/image_store.hpp"
#include "core/transfer_progress.hpp"
#include "registry/registry_client.hpp"

namespace tug {

/// docker's --pull for run/create.
enum class PullPolicy { kMissing, kAlways, kNever };

/// "missing", "always", "never"; anything else is docker's error.
PullPolicy parse_pull_policy(std::string_view text);

struct PullOptions {
  std::string platform;  ///< "os/arch[/variant]"; empty: the host's
  RegistryOptions registry = registry_options_from_env();
  /// Layers transferred at once (env TUG_MAX_CONCURRENT_DOWNLOADS, default 3 as docker's).
  int max_concurrent = 3;
};

/// PullOptions with the environment's overrides.
PullOptions pull_options_from_env();

struct PullResult {
  std::string image_id;   ///< sha256 of the config
  std::string reference;  ///< the full reference pulled ("docker.io/library/nginx:latest")
  bool up_to_date = false;
};

/// Pulls `reference` into the store, tagging it (when it names a tag) and recording its repo
/// digest. Enters the user namespace (extraction needs the mapped owners), so the calling
/// process must be single-threaded and stays in it. On failure nothing half-written is visible:
/// layers fully verified before the failure stay (the next pull reuses them), no image or tag
/// is recorded.
PullResult pull_image(const StorePaths& paths, const std::string& reference, const PullOptions& options,
                      TransferObserver& progress);

/// pull_image in a child process, so the caller stays outside the user namespace (`run`
/// creates its own). The child's error comes back as this process's tug::Error.
PullResult pull_image_in_child(const StorePaths& paths, const std::string& reference,
                               const PullOptions& options, TransferObserver& progress);

/// The image `run`/`create` use for `name` under `policy`: the local one, or pulled first
/// (saying "Unable to find image '<ref>' locally" on stderr, as docker does). Throws docker's
/// "Unable to find image" error with --pull never.
Image image_for_container(const StorePaths& paths, const std::string& name, PullPolicy policy,
                          const PullOptions& options, TransferObserver& progress);

}  // namespace tug
