// `tug info`: what this machine and user give tug (mapping, overlay, cgroups), with the
// one-line fix for anything missing.
#pragma once

#include "core/store_paths.hpp"
#include "util/json.hpp"

namespace tug {

/// Fields: Version, Rootless, Store{Root,RunRoot}, IDMapping{Mode,UIDs,GIDs}, Overlay{Mode,
/// Reason}, Cgroups{Version,Delegated}, Seccomp, Images, Containers, Kernel, Warnings[].
Json system_info(const StorePaths& paths);

}  // namespace tug
