// Docker seccomp profiles: parse the JSON, pick the rules that apply to this container (capabilities,
// arch, kernel), compile them with libseccomp and export classic BPF. Runs in the parent before fork;
// the child only loads the finished program.
#include "core/security/seccomp_profile.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_util.hpp"
#include "util/json.hpp"
#include "util/sha256.hpp"

namespace tug {
namespace {

// ---- parsing ---------------------------------------------------------------------------------------

// Throws Error naming the profile; every parse failure goes through here.
template <typename... Args>
[[noreturn]] void bad_profile(std::string_view source, fmt::format_string<Args...> f, Args&&... args) {
  fail("invalid seccomp profile {}: {}", source, fmt::format(f, std::forward<Args>(args)...));
}

// Looks `name` up in a table of docker's constant names.
template <typename T, size_t N>
T lookup(std::string_view source, const std::pair<std::string_view, T> (&table)[N], const std::string& name,
         std::string_view what) {
  for (const auto& [key, value] : table) {
    if (key == name) return value;
  }
  bad_profile(source, "unsupported {} \"{}\"", what, name);
}

constexpr std::pair<std::string_view, SeccompAction> kActions[] = {
    {"SCMP_ACT_ALLOW", SeccompAction::kAllow},
    {"SCMP_ACT_ERRNO", SeccompAction::kErrno},
    {"SCMP_ACT_KILL", SeccompAction::kKillThread},
    {"SCMP_ACT_KILL_THREAD", SeccompAction::kKillThread},
    {"SCMP_ACT_KILL_PROCESS", SeccompAction::kKillProcess},
    {"SCMP_ACT_TRAP", SeccompAction::kTrap},
    {"SCMP_ACT_TRACE", SeccompAction::kTrace},
    {"SCMP_ACT_LOG", SeccompAction::kLog},
};

// In SeccompOp's order, with libseccomp's value for each.
constexpr std::pair<std::string_view, SeccompOp> kOps[] = {
    {"SCMP_CMP_NE", SeccompOp::kNotEqual},        {"SCMP_CMP_LT", SeccompOp::kLessThan},
    {"SCMP_CMP_LE", SeccompOp::kLessEqual},       {"SCMP_CMP_EQ", SeccompOp::kEqual},
    {"SCMP_CMP_GE", SeccompOp::kGreaterEqual},    {"SCMP_CMP_GT", SeccompOp::kGreaterThan},
    {"SCMP_CMP_MASKED_EQ", SeccompOp::kMaskedEq},
};
constexpr scmp_compare kScmpOps[] = {SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE,       SCMP_CMP_EQ,
                                     SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ};

// "4.8" -> {4, 8}; nullopt when malformed.
std::optional<std::pair<int, int>> parse_kernel_version(const std::string& text) {
  int major = 0, minor = 0;
  if (std::sscanf(text.c_str(), "%d.%d", &major, &minor) != 2 || major < 0 || minor < 0) return std::nullopt;
  return std::pair{major, minor};
}

const Json* member(const Json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::vector<std::string> string_list(std::string_view source, const Json& object, const char* key) {
  std::vector<std::string> out;
  const Json* list = member(object, key);
  if (!list) return out;
  if (!list->is_array()) bad_profile(source, "\"{}\" must be a list of strings", key);
  for (const auto& item : *list) {
    if (!item.is_string()) bad_profile(source, "\"{}\" must be a list of strings", key);
    out.push_back(item.get<std::string>());
  }
  return out;
}

uint64_t unsigned_value(std::string_view source, const Json& value, const char* key) {
  bool negative = value.is_number_integer() && !value.is_number_unsigned() && value.get<int64_t>() < 0;
  if (!value.is_number_integer() || negative)
    bad_profile(source, "\"{}\" must be a non-negative integer", key);
  return value.get<uint64_t>();
}

std::optional<uint32_t> errno_value(std::string_view source, const Json& object, const char* key) {
  const Json* value = member(object, key);
  if (!value) return std::nullopt;
  uint64_t n = unsigned_value(source, *value, key);
  if (n > 0xffff) bad_profile(source, "\"{}\" {} is out of range", key, n);
  return static_cast<uint32_t>(n);
}

SeccompCondition parse_condition(std::string_view source, const Json& rule, const char* key) {
  SeccompCondition cond;
  const Json* object = member(rule, key);
  if (!object) return cond;
  if (!object->is_object()) bad_profile(source, "\"{}\" must be an object", key);
  cond.caps = string_list(source, *object, "caps");
  cond.arches = string_list(source, *object, "arches");
  if (const Json* min = member(*object, "minKernel")) {
    if (!min->is_string() || !parse_kernel_version(min->get<std::string>())) {
      bad_profile(source, "invalid minKernel {}", min->dump());
    }
    cond.min_kernel = min->get<std::string>();
  }
  return cond;
}

SeccompRule parse_rule(std::string_view source, const Json& json) {
  if (!json.is_object()) bad_profile(source, "each entry of \"syscalls\" must be an object");
  SeccompRule rule;
  rule.names = string_list(source, json, "names");
  if (const Json* name = member(json, "name")) {  // docker's older single-name form
    if (!rule.names.empty()) bad_profile(source, "use either \"name\" or \"names\", not both");
    if (!name->is_string()) bad_profile(source, "\"name\" must be a string");
    rule.names.push_back(name->get<std::string>());
  }
  const Json* action = member(json, "action");
  if (!action || !action->is_string()) bad_profile(source, "syscall entry without an \"action\"");
  rule.action = lookup(source, kActions, action->get<std::string>(), "action");
  rule.errno_ret = errno_value(source, json, "errnoRet");
  if (rule.errno_ret && rule.action != SeccompAction::kErrno && rule.action != SeccompAction::kTrace) {
    bad_profile(source, "\"errnoRet\" is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
  }
  if (const Json* args = member(json, "args")) {
    if (!args->is_array()) bad_profile(source, "\"args\" must be a list");
    for (const auto& a : *args) {
      if (!a.is_object()) bad_profile(source, "each entry of \"args\" must be an object");
      SeccompArg arg;
      const Json* op = member(a, "op");
      if (!op || !op->is_string()) bad_profile(source, "argument condition without an \"op\"");
      arg.op = lookup(source, kOps, op->get<std::string>(), "operator");
      if (const Json* v = member(a, "index"))
        arg.index = static_cast<unsigned>(unsigned_value(source, *v, "index"));
      if (arg.index > 5) bad_profile(source, "argument index {} is out of range (0-5)", arg.index);
      if (const Json* v = member(a, "value")) arg.value = unsigned_value(source, *v, "value");
      if (const Json* v = member(a, "valueTwo")) arg.value_two = unsigned_value(source, *v, "valueTwo");
      rule.args.push_back(arg);
    }
  }
  rule.includes = parse_condition(source, json, "includes");
  rule.excludes = parse_condition(source, json, "excludes");
  return rule;
}

// ---- compilation -----------------------------------------------------------------------------------

// libseccomp's arch token, docker's name for it as a native arch ("includes.arches"), and the
// SCMP_ARCH_* name profiles use.
struct ArchName {
  uint32_t token;
  std::string_view docker;
  std::string_view scmp;
};
constexpr ArchName kArches[] = {
    {SCMP_ARCH_X86_64, "amd64", "SCMP_ARCH_X86_64"},
    {SCMP_ARCH_X86, "x86", "SCMP_ARCH_X86"},
    {SCMP_ARCH_X32, "x32", "SCMP_ARCH_X32"},
    {SCMP_ARCH_AARCH64, "arm64", "SCMP_ARCH_AARCH64"},
    {SCMP_ARCH_ARM, "arm", "SCMP_ARCH_ARM"},
    {SCMP_ARCH_MIPS, "mips", "SCMP_ARCH_MIPS"},
    {SCMP_ARCH_MIPSEL, "mipsel", "SCMP_ARCH_MIPSEL"},
    {SCMP_ARCH_MIPS64, "mips64", "SCMP_ARCH_MIPS64"},
    {SCMP_ARCH_MIPSEL64, "mipsel64", "SCMP_ARCH_MIPSEL64"},
    {SCMP_ARCH_MIPS64N32, "mips64n32", "SCMP_ARCH_MIPS64N32"},
    {SCMP_ARCH_MIPSEL64N32, "mipsel64n32", "SCMP_ARCH_MIPSEL64N32"},
    {SCMP_ARCH_PPC, "ppc", "SCMP_ARCH_PPC"},
    {SCMP_ARCH_PPC64, "ppc64", "SCMP_ARCH_PPC64"},
    {SCMP_ARCH_PPC64LE, "ppc64le", "SCMP_ARCH_PPC64LE"},
    {SCMP_ARCH_S390, "s390", "SCMP_ARCH_S390"},
    {SCMP_ARCH_S390X, "s390x", "SCMP_ARCH_S390X"},
    {SCMP_ARCH_PARISC, "parisc", "SCMP_ARCH_PARISC"},
    {SCMP_ARCH_PARISC64, "parisc64", "SCMP_ARCH_PARISC64"},
    {SCMP_ARCH_RISCV64, "riscv64", "SCMP_ARCH_RISCV64"},
};

const ArchName& native_arch() {
  uint32_t token = seccomp_arch_native();
  for (const auto& arch : kArches) {
    if (arch.token == token) return arch;
  }
  fail("seccomp: unsupported native architecture 0x{:x}", token);
}

uint32_t arch_token(const std::string& name) {
  for (const auto& arch : kArches) {
    if (arch.scmp == name) return arch.token;
  }
  fail("seccomp: unknown architecture \"{}\"", name);
}

// The arches the filter covers: "architectures", or the native entry of "archMap" (docker's rule).
std::vector<uint32_t> filter_arches(const SeccompProfile& profile, const ArchName& native) {
  if (!profile.architectures.empty() && !profile.arch_map.empty()) {
    fail("seccomp profile specifies both \"architectures\" and \"archMap\"; use one of them");
  }
  std::vector<std::string> names = profile.architectures;
  for (const auto& entry : profile.arch_map) {
    if (entry.arch != native.scmp) continue;
    names.push_back(entry.arch);
    names.insert(names.end(), entry.sub_arches.begin(), entry.sub_arches.end());
  }
  std::vector<uint32_t> tokens{native.token};
  for (const auto& name : names) {
    uint32_t token = arch_token(name);
    if (std::find(tokens.begin(), tokens.end(), token) == tokens.end()) tokens.push_back(token);
  }
  return tokens;
}

std::string normalize_cap(std::string_view cap) {
  std::string out;
  for (char c : cap) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out.starts_with("CAP_") ? out : "CAP_" + out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool kernel_at_least(const SeccompHost& host, const std::string& min) {
  auto v = parse_kernel_version(min);
  return v && std::pair{host.kernel_major, host.kernel_minor} >= *v;
}

// docker's setupSeccomp: excludes win over includes; include caps must all be held.
bool rule_applies(const SeccompRule& rule, std::string_view arch, const std::vector<std::string>& caps,
                  const SeccompHost& host) {
  const auto& ex = rule.excludes;
  if (contains(ex.arches, arch)) return false;
  for (const auto& cap : ex.caps) {
    if (contains(caps, normalize_cap(cap))) return false;
  }
  if (!ex.min_kernel.empty() && kernel_at_least(host, ex.min_kernel)) return false;
  const auto& in = rule.includes;
  if (!in.arches.empty() && !contains(in.arches, arch)) return false;
  for (const auto& cap : in.caps) {
    if (!contains(caps, normalize_cap(cap))) return false;
  }
  if (!in.min_kernel.empty() && !kernel_at_least(host, in.min_kernel)) return false;
  return true;
}

// libseccomp's action values are the kernel's SECCOMP_RET_* values, so one number serves both the
// libseccomp rules and the hand-written BPF below.
uint32_t action_value(SeccompAction action, std::optional<uint32_t> errno_ret) {
  switch (action) {
    case SeccompAction::kAllow:
      return SCMP_ACT_ALLOW;
    case SeccompAction::kErrno:
      return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
    case SeccompAction::kKillThread:
      return SCMP_ACT_KILL_THREAD;
    case SeccompAction::kKillProcess:
      return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::kTrap:
      return SCMP_ACT_TRAP;
    case SeccompAction::kTrace:
      return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
    case SeccompAction::kLog:
      return SCMP_ACT_LOG;
  }
  return SCMP_ACT_KILL_PROCESS;
}

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using ContextPtr = std::unique_ptr<void, ContextDeleter>;

void add_rule(void* ctx, const std::string& name, int nr, uint32_t action, const SeccompRule& rule) {
  std::vector<scmp_arg_cmp> conds;
  bool repeated_index = false;
  for (const auto& arg : rule.args) {
    for (const auto& c : conds) repeated_index |= c.arg == arg.index;
    conds.push_back({arg.index, kScmpOps[static_cast<int>(arg.op)], arg.value, arg.value_two});
  }
  auto add = [&](unsigned count, const scmp_arg_cmp* array) {
    int rc = seccomp_rule_add_array(ctx, action, nr, count, array);
    if (rc < 0) fail("seccomp: cannot add the rule for syscall {}: {}", name, std::strerror(-rc));
  };
  // libseccomp cannot AND two conditions on one argument; runc then adds each as its own rule (an OR).
  if (repeated_index) {
    for (const auto& c : conds) add(1, &c);
  } else {
    add(static_cast<unsigned>(conds.size()), conds.data());
  }
}

// ---- syscalls newer than libseccomp ----------------------------------------------------------------
//
// libseccomp only knows the syscalls of its release; the profile names newer ones, which are skipped
// (docker leaves them to runc's ENOSYS stub). For x86 we know their numbers: from
// 424 on every x86 ABI shares the number (x32 with its 0x40000000 bit). A few BPF instructions in front
// of libseccomp's program apply the profile's arg-less rules for those, and, like runc, answer ENOSYS
// for any syscall above the highest one libseccomp knows, so libc falls back to the older call.

struct NewSyscall {
  std::string_view name;
  uint32_t nr;
  bool x86_64_only;
};
constexpr NewSyscall kNewX86Syscalls[] = {
    {"uretprobe", 335, true},
    {"statmount", 457, false},
    {"listmount", 458, false},
    {"lsm_get_self_attr", 459, false},
    {"lsm_set_self_attr", 460, false},
    {"lsm_list_modules", 461, false},
    {"mseal", 462, false},
    {"setxattrat", 463, false},
    {"getxattrat", 464, false},
    {"listxattrat", 465, false},
    {"removexattrat", 466, false},
};
constexpr uint32_t kX32Bit = 0x40000000;
constexpr uint32_t kX32CompatFirst = 512;  // x32's own syscalls 512..547 sit above the shared table

struct ExtraRule {
  const NewSyscall* syscall;
  uint32_t action;
};

// Highest syscall number (below 512, x32 bit included) libseccomp can name for an arch.
uint32_t highest_known(uint32_t arch, uint32_t base) {
  for (uint32_t nr = base + kX32CompatFirst - 1; nr > base; --nr) {
    if (char* name = seccomp_syscall_resolve_num_arch(arch, static_cast<int>(nr))) {
      std::free(name);
      return nr;
    }
  }
  return base;
}

// Tiny BPF assembler with forward labels; jump offsets are resolved by finish().
class BpfBuilder {
 public:
  int label() {
    targets_.push_back(-1);
    return static_cast<int>(targets_.size()) - 1;
  }
  void bind(int label) { targets_[label] = static_cast<int>(code_.size()); }
  void stmt(uint16_t code, uint32_t k) { code_.push_back({{code, 0, 0, k}, -1, -1}); }
  // jt/jf: label to jump to, -1 for the next instruction.
  void jump(uint16_t code, uint32_t k, int jt, int jf) { code_.push_back({{code, 0, 0, k}, jt, jf}); }
  void jump_to(int target) { code_.push_back({{BPF_JMP | BPF_JA, 0, 0, 0}, target, -2}); }
  std::vector<sock_filter> finish() {
    std::vector<sock_filter> out;
    for (size_t i = 0; i < code_.size(); ++i) {
      auto [insn, jt, jf] = code_[i];
      auto offset = [&](int target) {
        int off = target < 0 ? 0 : targets_[target] - static_cast<int>(i) - 1;
        if (off < 0 || off > 255) fail("seccomp: internal BPF jump out of range");
        return static_cast<uint8_t>(off);
      };
      if (jf == -2) {
        insn.k = offset(jt);  // BPF_JA takes its offset in k
      } else if (BPF_CLASS(insn.code) == BPF_JMP) {
        insn.jt = offset(jt);
        insn.jf = offset(jf);
      }
      out.push_back(insn);
    }
    return out;
  }

 private:
  struct Insn {
    sock_filter insn;
    int jt, jf;
  };
  std::vector<Insn> code_;
  std::vector<int> targets_;
};

// The instructions to put in front of libseccomp's program; empty when there is nothing to add.
std::vector<sock_filter> new_syscall_prefix(const std::vector<uint32_t>& arches,
                                            const std::vector<ExtraRule>& extras, bool enosys) {
  auto has = [&](uint32_t arch) { return std::find(arches.begin(), arches.end(), arch) != arches.end(); };
  bool x64 = has(SCMP_ARCH_X86_64), x32 = has(SCMP_ARCH_X32), x86 = has(SCMP_ARCH_X86);
  if ((extras.empty() && !enosys) || !(x64 || x32 || x86)) return {};

  BpfBuilder b;
  int original = b.label(), at_x64 = b.label(), at_x32 = b.label(), at_x86 = b.label();
  int ret_enosys = b.label();
  std::map<uint32_t, int> returns;  // action value -> label of its RET
  auto ret = [&](uint32_t action) {
    auto [it, added] = returns.emplace(action, 0);
    if (added) it->second = b.label();
    return it->second;
  };
  // One ABI: the extra rules, then ENOSYS above libseccomp's highest number (below `top`).
  auto abi = [&](uint32_t base, bool is_x86_64, uint32_t arch, uint32_t top) {
    for (const auto& extra : extras) {
      if (extra.syscall->x86_64_only && !is_x86_64) continue;
      b.jump(BPF_JMP | BPF_JEQ | BPF_K, base + extra.syscall->nr, ret(extra.action), -1);
    }
    if (!enosys) return b.jump_to(original);
    int in_range = b.label();
    b.jump(BPF_JMP | BPF_JGT | BPF_K, highest_known(arch, base), in_range, original);
    b.bind(in_range);
    b.jump(BPF_JMP | BPF_JGE | BPF_K, top, original, ret_enosys);
  };

  b.stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  b.jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, x64 || x32 ? at_x64 : original, -1);
  b.jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, x86 ? at_x86 : original, original);
  b.bind(at_x64);
  b.stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  b.jump(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, x32 ? at_x32 : original, x64 ? -1 : original);
  if (x64) abi(0, true, SCMP_ARCH_X86_64, kX32Bit);
  b.bind(at_x32);
  if (x32) abi(kX32Bit, false, SCMP_ARCH_X32, kX32Bit + kX32CompatFirst);
  b.bind(at_x86);
  if (x86) {
    b.stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
    abi(0, false, SCMP_ARCH_X86, UINT32_MAX);
  }
  b.bind(ret_enosys);
  b.stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  for (auto [action, label] : returns) {
    b.bind(label);
    b.stmt(BPF_RET | BPF_K, action);
  }
  b.bind(original);
  return b.finish();
}

std::vector<sock_filter> export_bpf(void* ctx) {
  UniqueFd fd(memfd_create("tug-seccomp", MFD_CLOEXEC));
  if (!fd) fail_errno("seccomp: memfd_create");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) fail("seccomp: cannot export the BPF program: {}", std::strerror(-rc));
  struct stat st {};
  if (fstat(fd.get(), &st) < 0) fail_errno("seccomp: fstat of the BPF program");
  std::vector<sock_filter> filter(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  size_t want = filter.size() * sizeof(sock_filter);
  if (pread(fd.get(), filter.data(), want, 0) != static_cast<ssize_t>(want)) {
    fail_errno("seccomp: reading back the BPF program");
  }
  return filter;
}

constexpr std::string_view kSerialMagic = "tug-seccomp-bpf-2\n";

}  // namespace

SeccompProfile parse_seccomp_profile(std::string_view json, std::string_view source) {
  Json doc;
  try {
    doc = Json::parse(json);
  } catch (const Json::exception& e) {
    bad_profile(source, "{}", e.what());
  }
  if (!doc.is_object()) bad_profile(source, "the top level must be an object");
  try {
    SeccompProfile profile;
    const Json* action = member(doc, "defaultAction");
    if (!action || !action->is_string()) bad_profile(source, "\"defaultAction\" is missing");
    profile.default_action = lookup(source, kActions, action->get<std::string>(), "action");
    profile.default_errno_ret = errno_value(source, doc, "defaultErrnoRet");
    profile.architectures = string_list(source, doc, "architectures");
    profile.flags = string_list(source, doc, "flags");
    if (const Json* map = member(doc, "archMap")) {
      if (!map->is_array()) bad_profile(source, "\"archMap\" must be a list");
      for (const auto& entry : *map) {
        const Json* arch = entry.is_object() ? member(entry, "architecture") : nullptr;
        if (!arch || !arch->is_string()) bad_profile(source, "\"archMap\" entry without \"architecture\"");
        profile.arch_map.push_back(
            {arch->get<std::string>(), string_list(source, entry, "subArchitectures")});
      }
    }
    if (const Json* syscalls = member(doc, "syscalls")) {
      if (!syscalls->is_array()) bad_profile(source, "\"syscalls\" must be a list");
      for (const auto& rule : *syscalls) profile.syscalls.push_back(parse_rule(source, rule));
    }
    return profile;
  } catch (const Json::exception& e) {
    bad_profile(source, "{}", e.what());
  }
}

SeccompProfile load_seccomp_profile(const std::string& path) {
  return parse_seccomp_profile(read_file(path), path);
}

SeccompHost SeccompHost::current() {
  SeccompHost host;
  struct utsname uts {};
  if (uname(&uts) == 0) std::sscanf(uts.release, "%d.%d", &host.kernel_major, &host.kernel_minor);
  return host;
}

SeccompProgram compile_seccomp(const SeccompProfile& profile, const std::vector<std::string>& caps) {
  return compile_seccomp(profile, caps, SeccompHost::current());
}

SeccompProgram compile_seccomp(const SeccompProfile& profile, const std::vector<std::string>& caps,
                               const SeccompHost& host) {
  const ArchName& native = native_arch();
  std::vector<std::string> held;
  for (const auto& cap : caps) held.push_back(normalize_cap(cap));

  uint32_t default_action = action_value(profile.default_action, profile.default_errno_ret);
  ContextPtr ctx(seccomp_init(default_action));
  if (!ctx) fail("seccomp: cannot initialise a filter (default action {:#x})", default_action);
  // The child sets no_new_privs itself when the container asks for it; the filter must not imply it.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0) {
    fail("seccomp: cannot clear the no_new_privs attribute: {}", std::strerror(-rc));
  }
  // A binary tree over syscall numbers instead of libseccomp's default linear list: at load
  // the kernel emulates the filter once per syscall number to build its allow cache, and on
  // a ~1000-instruction linear filter that alone took ~1.8 ms of every container start.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); rc < 0) {
    fail("seccomp: cannot select the binary-tree filter layout: {}", std::strerror(-rc));
  }
  std::vector<uint32_t> arches = filter_arches(profile, native);
  for (uint32_t arch : arches) {
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc < 0 && rc != -EEXIST) fail("seccomp: cannot add architecture {:#x}: {}", arch, std::strerror(-rc));
  }

  std::vector<ExtraRule> extras;
  for (const auto& rule : profile.syscalls) {
    if (!rule_applies(rule, native.docker, held, host)) continue;
    uint32_t action = action_value(rule.action, rule.errno_ret);
    if (action == default_action) continue;  // libseccomp refuses such rules; they change nothing
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr != __NR_SCMP_ERROR) {
        add_rule(ctx.get(), name, nr, action, rule);
        continue;
      }
      for (const auto& known : kNewX86Syscalls) {
        bool seen = std::any_of(extras.begin(), extras.end(), [&](auto& e) { return e.syscall == &known; });
        if (known.name == name && rule.args.empty() && !seen) extras.push_back({&known, action});
      }
    }
  }

  bool enosys =
      profile.default_action != SeccompAction::kAllow && profile.default_action != SeccompAction::kLog;
  SeccompProgram program{new_syscall_prefix(arches, extras, enosys)};
  std::vector<sock_filter> body = export_bpf(ctx.get());
  program.filter.insert(program.filter.end(), body.begin(), body.end());
  if (program.filter.size() > BPF_MAXINSNS) {
    fail("seccomp: the profile compiles to {} BPF instructions, more than the kernel's {}",
         program.filter.size(), BPF_MAXINSNS);
  }
  return program;
}

std::string seccomp_cache_key(std::string_view profile_json, const std::vector<std::string>& caps) {
  std::vector<std::string> held;
  for (const auto& cap : caps) held.push_back(normalize_cap(cap));
  std::sort(held.begin(), held.end());
  held.erase(std::unique(held.begin(), held.end()), held.end());
  const scmp_version* v = seccomp_version();
  SeccompHost host = SeccompHost::current();
  Sha256 hash;
  hash.update(kSerialMagic);
  hash.update(fmt::format("libseccomp {}.{}.{} kernel {}.{} arch {:#x}\n", v->major, v->minor, v->micro,
                          host.kernel_major, host.kernel_minor, seccomp_arch_native()));
  for (const auto& cap : held) hash.update(cap + "\n");
  hash.update(profile_json);
  return hash.hex();
}

std::string serialize(const SeccompProgram& program) {
  std::string out(kSerialMagic);
  out.append(reinterpret_cast<const char*>(program.filter.data()),
             program.filter.size() * sizeof(sock_filter));
  return out;
}

SeccompProgram deserialize(std::string_view data) {
  if (!data.starts_with(kSerialMagic)) fail("seccomp: cached BPF program has an unknown format");
  data.remove_prefix(kSerialMagic.size());
  size_t count = data.size() / sizeof(sock_filter);
  if (data.size() % sizeof(sock_filter) != 0 || count == 0 || count > BPF_MAXINSNS) {
    fail("seccomp: cached BPF program is truncated or too long ({} bytes)", data.size());
  }
  SeccompProgram program;
  program.filter.resize(count);
  std::memcpy(program.filter.data(), data.data(), data.size());
  return program;
}

}  // namespace tug
