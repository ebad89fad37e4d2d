// Capability names, docker's default set and its --cap-add/--cap-drop/--privileged rules, as bit masks.
// The numbers are the kernel's ABI (<linux/capability.h>), so a mask goes straight into capset(2).
#include "core/security/capabilities.hpp"

#include <array>
#include <cctype>
#include <cstdlib>

#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {
namespace {

// Indexed by capability number.
constexpr std::array<std::string_view, kLastKnownCap + 1> kCapNames = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

constexpr CapMask bit(int cap) { return CapMask{1} << cap; }

// Docker's name normalisation: upper case, "CAP_" prefixed unless it is "ALL".
std::string normalize(std::string_view name) {
  std::string upper;
  upper.reserve(name.size() + 4);
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "ALL" || upper.starts_with("CAP_")) return upper;
  return "CAP_" + upper;
}

// Validates every name first, as docker does before looking at --privileged.
struct CapList {
  bool all = false;
  CapMask mask = 0;
};
CapList parse_list(const std::vector<std::string>& names) {
  CapList out;
  for (const auto& name : names) {
    std::string norm = normalize(name);
    if (norm == "ALL") {
      out.all = true;
      continue;
    }
    auto cap = cap_from_name(norm);
    if (!cap) fail("unknown capability: \"{}\"", norm);
    out.mask |= bit(*cap);
  }
  return out;
}

}  // namespace

std::optional<int> cap_from_name(std::string_view name) {
  std::string norm = normalize(name);
  for (size_t i = 0; i < kCapNames.size(); ++i) {
    if (kCapNames[i] == norm) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string cap_name(int cap) {
  if (cap >= 0 && cap <= kLastKnownCap) return std::string(kCapNames[cap]);
  return fmt::format("CAP_{}", cap);
}

std::vector<std::string> cap_names(CapMask mask) {
  std::vector<std::string> out;
  for (int cap = 0; cap < 64; ++cap) {
    if (mask & bit(cap)) out.push_back(cap_name(cap));
  }
  return out;
}

CapMask cap_mask(const std::vector<std::string>& names) {
  CapMask mask = 0;
  for (const auto& name : names) {
    auto cap = cap_from_name(name);
    if (!cap) fail("unknown capability: \"{}\"", normalize(name));
    mask |= bit(*cap);
  }
  return mask;
}

CapMask default_caps() {
  static constexpr int kDefault[] = {
      CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
      CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
      CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
      CAP_KILL,    CAP_AUDIT_WRITE,
  };
  CapMask mask = 0;
  for (int cap : kDefault) mask |= bit(cap);
  return mask;
}

CapMask kernel_caps() {
  // Read once: the kernel's capability count cannot change while we run.
  static const CapMask mask = [] {
    int last = kLastKnownCap;
    if (auto text = read_file_if_exists("/proc/sys/kernel/cap_last_cap")) {
      char* end = nullptr;
      long value = std::strtol(text->c_str(), &end, 10);
      if (end != text->c_str() && value >= 0 && value < 64) last = static_cast<int>(value);
    }
    return last == 63 ? ~CapMask{0} : bit(last + 1) - 1;
  }();
  return mask;
}

CapMask resolve_caps(const std::vector<std::string>& cap_add, const std::vector<std::string>& cap_drop,
                     bool privileged, CapMask base) {
  CapList add = parse_list(cap_add);
  CapList drop = parse_list(cap_drop);
  CapMask all = kernel_caps();
  if (privileged) return all;
  // The order of these cases is docker's: "--cap-add ALL --cap-drop ALL" is every capability.
  if (add.all) return all & ~drop.mask;
  if (drop.all) return add.mask & all;
  return ((base & ~drop.mask) | add.mask) & all;
}

CapsetArgs make_capset_args(CapMask effective, CapMask permitted, CapMask inheritable) {
  CapsetArgs args{};
  args.header.version = _LINUX_CAPABILITY_VERSION_3;
  args.header.pid = 0;
  for (int half = 0; half < 2; ++half) {
    int shift = 32 * half;
    args.data[half].effective = static_cast<uint32_t>(effective >> shift);
    args.data[half].permitted = static_cast<uint32_t>(permitted >> shift);
    args.data[half].inheritable = static_cast<uint32_t>(inheritable >> shift);
  }
  return args;
}

}  // namespace tug
