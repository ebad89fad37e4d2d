// Linux capabilities as docker names and combines them: the default set, --cap-add/--cap-drop/--privileged,
// and the 64-bit masks the container setup hands to capset(2) and PR_CAPBSET_DROP.
#pragma once

#include <linux/capability.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tug {

/// A set of capabilities: bit N is capability number N (CAP_CHOWN is bit 0).
using CapMask = uint64_t;

/// Highest capability number tug knows by name (CAP_CHECKPOINT_RESTORE, Linux 5.9).
constexpr int kLastKnownCap = 40;

/// Capability number for "chown", "CAP_CHOWN", "Cap_Chown"...; nullopt for unknown names (and for "ALL").
std::optional<int> cap_from_name(std::string_view name);

/// "CAP_CHOWN" for 0; "CAP_<n>" for a number without a name.
std::string cap_name(int cap);

/// Names of every capability in `mask`, in number order (for inspect and for seccomp's includes/excludes).
std::vector<std::string> cap_names(CapMask mask);

/// Mask of the named capabilities; throws Error `unknown capability: "CAP_FOO"` like docker.
CapMask cap_mask(const std::vector<std::string>& names);

/// Docker's default capability set for a container.
CapMask default_caps();

/// Every capability the running kernel has (0..cap_last_cap), the set --privileged gets.
CapMask kernel_caps();

/// The container's capabilities from --cap-add, --cap-drop and --privileged, with docker's rules:
/// privileged gets every kernel capability; "ALL" in cap_add means every capability minus cap_drop;
/// "ALL" in cap_drop means only cap_add; otherwise base minus cap_drop plus cap_add.
/// Names are case-insensitive, with or without "CAP_". Capabilities the kernel lacks are left out
/// (as runc ignores them) so the mask is always valid for capset(2).
CapMask resolve_caps(const std::vector<std::string>& cap_add, const std::vector<std::string>& cap_drop,
                     bool privileged, CapMask base = default_caps());

/// Arguments for the raw capset(2) syscall, version 3: two 32-bit halves per set. Built before fork,
/// so the child only issues `syscall(SYS_capset, &c.header, c.data)`.
struct CapsetArgs {
  __user_cap_header_struct header;
  __user_cap_data_struct data[2];
};
CapsetArgs make_capset_args(CapMask effective, CapMask permitted, CapMask inheritable);

}  // namespace tug
