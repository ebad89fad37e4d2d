// Docker seccomp profiles: the JSON format (--security-opt seccomp=FILE), docker's built-in default
// profile, and their compilation to a classic-BPF program with libseccomp. The program is loaded by the
// container setup in the child (raw seccomp(SECCOMP_SET_MODE_FILTER)); nothing here loads a filter.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tug {

/// What a rule (or the profile's default) does with a syscall; names are docker's SCMP_ACT_*.
enum class SeccompAction { kAllow, kErrno, kKillThread, kKillProcess, kTrap, kTrace, kLog };

/// Argument comparison, docker's SCMP_CMP_*. For kMaskedEq, `value` is the mask and `value_two` the
/// expected result: (arg & value) == value_two.
enum class SeccompOp { kNotEqual, kLessThan, kLessEqual, kEqual, kGreaterEqual, kGreaterThan, kMaskedEq };

/// One argument condition of a rule.
struct SeccompArg {
  unsigned index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  SeccompOp op = SeccompOp::kEqual;
};

/// When a rule applies: `caps` are capability names ("CAP_SYS_ADMIN"), `arches` Go-style arch names
/// ("amd64", "x32", "arm64") matched against the native one, `min_kernel` "major.minor".
struct SeccompCondition {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::string min_kernel;
};

/// One entry of "syscalls": the action for `names`, when all `args` match. Conditions on different
/// arguments must all hold; several conditions on the same argument each allow on their own (runc's rule).
struct SeccompRule {
  std::vector<std::string> names;
  SeccompAction action = SeccompAction::kAllow;
  std::optional<uint32_t> errno_ret;  // for kErrno (default EPERM) and kTrace
  std::vector<SeccompArg> args;
  SeccompCondition includes;  // applies only if every condition here holds
  SeccompCondition excludes;  // skipped if any condition here holds
};

/// "archMap" entry: when the native arch is `arch`, the filter also covers `sub_arches`.
struct SeccompArchMap {
  std::string arch;  // "SCMP_ARCH_X86_64"
  std::vector<std::string> sub_arches;
};

/// A parsed profile, the same structure for docker's default and for a user's file.
struct SeccompProfile {
  SeccompAction default_action = SeccompAction::kErrno;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_*"; empty means archMap (or native only)
  std::vector<SeccompArchMap> arch_map;
  std::vector<std::string> flags;  // "SECCOMP_FILTER_FLAG_*", for the loader
  std::vector<SeccompRule> syscalls;
};

/// Parses docker's profile JSON; `source` (the file name) is named in every error.
SeccompProfile parse_seccomp_profile(std::string_view json, std::string_view source);

/// Reads and parses a profile file (--security-opt seccomp=FILE).
SeccompProfile load_seccomp_profile(const std::string& path);

/// Docker's default profile as JSON text, and parsed.
std::string_view default_seccomp_profile_json();
SeccompProfile default_seccomp_profile();

/// A classic-BPF program ready for seccomp(SECCOMP_SET_MODE_FILTER, flags, &sock_fprog).
struct SeccompProgram {
  std::vector<struct sock_filter> filter;
};

/// What the compiled program depends on besides the profile and capabilities.
struct SeccompHost {
  int kernel_major = 0;  // for "minKernel"
  int kernel_minor = 0;
  /// The running kernel (uname).
  static SeccompHost current();
};

/// Compiles `profile` for a container whose capability set is `caps` ("CAP_SYS_ADMIN"...; case and
/// prefix as cap_names() gives them). Syscall names libseccomp does not know are skipped, as docker does,
/// except the newest x86 ones tug knows the numbers of. As runc does, syscalls newer than any the filter
/// knows return ENOSYS (not the default errno) so libc falls back to older ones.
SeccompProgram compile_seccomp(const SeccompProfile& profile, const std::vector<std::string>& caps);
SeccompProgram compile_seccomp(const SeccompProfile& profile, const std::vector<std::string>& caps,
                               const SeccompHost& host);

/// A cache key for a compiled program: sha256 hex over everything the output depends on (profile text,
/// capabilities, libseccomp version, kernel version, native arch).
std::string seccomp_cache_key(std::string_view profile_json, const std::vector<std::string>& caps);

/// Compact binary form of a program for an on-disk cache; deserialize throws Error on anything malformed.
std::string serialize(const SeccompProgram& program);
SeccompProgram deserialize(std::string_view data);

}  // namespace tug
