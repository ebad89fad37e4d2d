// Seccomp profiles: parsing docker's JSON, compiling to BPF, and what the programs decide. Decisions are
// checked two ways: a small BPF interpreter (any arch, any capability set) and the real kernel, loading
// the program in a forked child.
#include "core/security/seccomp_profile.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <functional>

#include "util/error.hpp"

using namespace tug;

namespace {

constexpr uint32_t kEperm = SECCOMP_RET_ERRNO | EPERM;
constexpr uint32_t kEnosys = SECCOMP_RET_ERRNO | ENOSYS;
constexpr uint32_t kX32 = 0x40000000;
const std::vector<std::string> kDefaultCaps = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

// Runs a classic-BPF seccomp program on one syscall, as the kernel would; unknown opcodes fail the test.
uint32_t run_bpf(const SeccompProgram& prog, uint32_t arch, uint32_t nr, std::array<uint64_t, 6> args = {}) {
  seccomp_data data{};
  data.nr = static_cast<int>(nr);
  data.arch = arch;
  for (int i = 0; i < 6; ++i) data.args[i] = args[i];
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  const auto& f = prog.filter;
  for (size_t pc = 0; pc < f.size(); ++pc) {
    const sock_filter& in = f[pc];
    uint32_t src = BPF_SRC(in.code) == BPF_X ? x : in.k;
    switch (BPF_CLASS(in.code)) {
      case BPF_LD:
        if (BPF_MODE(in.code) == BPF_ABS) {
          REQUIRE(in.k + 4 <= sizeof data);
          std::memcpy(&a, reinterpret_cast<const char*>(&data) + in.k, 4);
        } else if (BPF_MODE(in.code) == BPF_MEM) {
          a = mem[in.k];
        } else if (BPF_MODE(in.code) == BPF_IMM) {
          a = in.k;
        } else {
          FAIL("unsupported BPF load " << in.code);
        }
        break;
      case BPF_LDX:
        x = BPF_MODE(in.code) == BPF_MEM ? mem[in.k] : in.k;
        break;
      case BPF_ST:
        mem[in.k] = a;
        break;
      case BPF_STX:
        mem[in.k] = x;
        break;
      case BPF_ALU:
        switch (BPF_OP(in.code)) {
          case BPF_AND:
            a &= src;
            break;
          case BPF_OR:
            a |= src;
            break;
          case BPF_ADD:
            a += src;
            break;
          case BPF_SUB:
            a -= src;
            break;
          case BPF_RSH:
            a >>= src;
            break;
          case BPF_LSH:
            a <<= src;
            break;
          default:
            FAIL("unsupported BPF ALU op " << in.code);
        }
        break;
      case BPF_MISC:
        (BPF_MISCOP(in.code) == BPF_TAX) ? (x = a) : (a = x);
        break;
      case BPF_JMP: {
        bool taken = false;
        switch (BPF_OP(in.code)) {
          case BPF_JA:
            pc += in.k;
            continue;
          case BPF_JEQ:
            taken = a == src;
            break;
          case BPF_JGT:
            taken = a > src;
            break;
          case BPF_JGE:
            taken = a >= src;
            break;
          case BPF_JSET:
            taken = (a & src) != 0;
            break;
          default:
            FAIL("unsupported BPF jump " << in.code);
        }
        pc += taken ? in.jt : in.jf;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(in.code) == BPF_A ? a : in.k;
      default:
        FAIL("unsupported BPF class " << in.code);
    }
  }
  FAIL("BPF program fell off its end");
  return 0;
}

SeccompProgram default_program(const std::vector<std::string>& caps = kDefaultCaps) {
  return compile_seccomp(default_seccomp_profile(), caps);
}

// Loads `prog` in a forked child (after PR_SET_NO_NEW_PRIVS), runs `probe` there and returns the ints it
// filled in. The child uses raw syscalls only and reports through a pipe.
template <size_t N>
std::array<long, N> in_filtered_child(const SeccompProgram& prog, void (*probe)(std::array<long, N>&)) {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::array<long, N> out{};
    sock_fprog fprog{static_cast<unsigned short>(prog.filter.size()),
                     const_cast<sock_filter*>(prog.filter.data())};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
      _exit(3);
    }
    probe(out);
    _exit(write(fds[1], out.data(), sizeof out) == sizeof out ? 0 : 4);
  }
  close(fds[1]);
  std::array<long, N> out{};
  ssize_t n = read(fds[0], out.data(), sizeof out);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(n == static_cast<ssize_t>(sizeof out));
  return out;
}

// errno of a raw syscall that failed, 0 if it succeeded.
long err(long rc) { return rc < 0 ? errno : 0; }

std::string parse_error(std::string_view json, std::string_view source = "custom.json") {
  try {
    parse_seccomp_profile(json, source);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("docker's default profile parses") {
  SeccompProfile p = default_seccomp_profile();
  CHECK(p.default_action == SeccompAction::kErrno);
  CHECK(p.default_errno_ret == 1u);
  REQUIRE(!p.arch_map.empty());
  CHECK(p.arch_map[0].arch == "SCMP_ARCH_X86_64");
  CHECK(p.arch_map[0].sub_arches == std::vector<std::string>{"SCMP_ARCH_X86", "SCMP_ARCH_X32"});
  REQUIRE(p.syscalls.size() > 20);
  CHECK(p.syscalls[0].names.size() > 300);
  bool clone3_enosys = false;
  for (const auto& rule : p.syscalls) {
    if (rule.names == std::vector<std::string>{"clone3"} && rule.action == SeccompAction::kErrno) {
      clone3_enosys =
          rule.errno_ret == 38u && rule.excludes.caps == std::vector<std::string>{"CAP_SYS_ADMIN"};
    }
  }
  CHECK(clone3_enosys);
}

TEST_CASE("the default profile's decisions for a default container (x86_64)") {
  SeccompProgram prog = default_program();
  REQUIRE(prog.filter.size() > 100);
  auto x64 = [&](uint32_t nr, std::array<uint64_t, 6> args = {}) {
    return run_bpf(prog, AUDIT_ARCH_X86_64, nr, args);
  };
  CHECK(x64(SYS_getpid) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_read) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_arch_prctl) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_chroot) == SECCOMP_RET_ALLOW);  // CAP_SYS_CHROOT is a default capability
  CHECK(x64(SYS_ptrace) == SECCOMP_RET_ALLOW);  // kernel >= 4.8
  CHECK(x64(SYS_keyctl) == kEperm);
  CHECK(x64(SYS_add_key) == kEperm);
  CHECK(x64(SYS_bpf) == kEperm);
  CHECK(x64(SYS_mount) == kEperm);
  CHECK(x64(SYS_unshare) == kEperm);
  CHECK(x64(SYS_kexec_load) == kEperm);
  CHECK(x64(SYS_reboot) == kEperm);
  CHECK(x64(SYS_open_by_handle_at) == kEperm);
  CHECK(x64(SYS_clone3) == kEnosys);
  CHECK(x64(SYS_clone, {SIGCHLD}) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_clone, {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_THREAD | CLONE_SIGHAND}) ==
        SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_clone, {CLONE_NEWUSER | SIGCHLD}) == kEperm);
  CHECK(x64(SYS_clone, {CLONE_NEWNET}) == kEperm);
  CHECK(x64(SYS_socket, {AF_INET}) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_socket, {AF_VSOCK}) == kEperm);
  CHECK(x64(SYS_personality, {0}) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_personality, {0xffffffff}) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_personality, {0x0400000}) == kEperm);
  // Newer than libseccomp 2.5.4: allowed by tug's prefix; unknown newer ones get ENOSYS.
  CHECK(x64(457) == SECCOMP_RET_ALLOW);  // statmount
  CHECK(x64(462) == SECCOMP_RET_ALLOW);  // mseal
  CHECK(x64(335) == SECCOMP_RET_ALLOW);  // uretprobe
  CHECK(x64(460) == kEnosys);            // lsm_set_self_attr needs CAP_SYS_ADMIN
  CHECK(x64(467) == kEnosys);            // open_tree_attr, not in the profile
  CHECK(x64(1000) == kEnosys);
  // Another architecture is killed, as libseccomp does for arches outside the filter.
  CHECK(run_bpf(prog, AUDIT_ARCH_AARCH64, 172) == SECCOMP_RET_KILL_THREAD);
}

TEST_CASE("the default profile covers i386 and x32 too") {
  SeccompProgram prog = default_program();
  auto x86 = [&](uint32_t nr) { return run_bpf(prog, AUDIT_ARCH_I386, nr); };
  auto x32 = [&](uint32_t nr) { return run_bpf(prog, AUDIT_ARCH_X86_64, kX32 | nr); };
  CHECK(x86(20) == SECCOMP_RET_ALLOW);   // getpid
  CHECK(x86(102) == SECCOMP_RET_ALLOW);  // socketcall
  CHECK(x86(123) == SECCOMP_RET_ALLOW);  // modify_ldt
  CHECK(x86(288) == kEperm);             // keyctl
  CHECK(x86(435) == kEnosys);            // clone3
  CHECK(x86(457) == SECCOMP_RET_ALLOW);  // statmount
  CHECK(x86(467) == kEnosys);
  CHECK(x32(39) == SECCOMP_RET_ALLOW);  // getpid
  CHECK(x32(250) == kEperm);            // keyctl
  CHECK(x32(457) == SECCOMP_RET_ALLOW);
  CHECK(x32(335) == kEperm);             // uretprobe is x86_64-only: no such x32 syscall
  CHECK(x32(512) == SECCOMP_RET_ALLOW);  // x32's own rt_sigaction, above the shared table
}

TEST_CASE("capabilities switch the conditional rules") {
  std::vector<std::string> caps = kDefaultCaps;
  caps.push_back("CAP_SYS_ADMIN");
  caps.push_back("sys_ptrace");  // prefix and case as the caller likes
  SeccompProgram admin = default_program(caps);
  auto x64 = [&](uint32_t nr, std::array<uint64_t, 6> args = {}) {
    return run_bpf(admin, AUDIT_ARCH_X86_64, nr, args);
  };
  CHECK(x64(SYS_clone3) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_clone, {CLONE_NEWUSER}) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_unshare) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_mount) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_bpf) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_kcmp) == SECCOMP_RET_ALLOW);
  CHECK(x64(460) == SECCOMP_RET_ALLOW);  // lsm_set_self_attr
  CHECK(x64(SYS_keyctl) == kEperm);
  CHECK(x64(SYS_reboot) == kEperm);

  SeccompProgram no_chroot = default_program({"CAP_CHOWN"});
  CHECK(run_bpf(no_chroot, AUDIT_ARCH_X86_64, SYS_chroot) == kEperm);
  CHECK(run_bpf(no_chroot, AUDIT_ARCH_X86_64, SYS_kcmp) == kEperm);
}

TEST_CASE("minKernel is checked against the host kernel") {
  SeccompProfile p = default_seccomp_profile();
  CHECK(run_bpf(compile_seccomp(p, {}, {4, 8}), AUDIT_ARCH_X86_64, SYS_ptrace) == SECCOMP_RET_ALLOW);
  CHECK(run_bpf(compile_seccomp(p, {}, {4, 7}), AUDIT_ARCH_X86_64, SYS_ptrace) == kEperm);
  CHECK(run_bpf(compile_seccomp(p, {"CAP_SYS_PTRACE"}, {3, 10}), AUDIT_ARCH_X86_64, SYS_ptrace) ==
        SECCOMP_RET_ALLOW);
}

TEST_CASE("the kernel enforces the default program") {
  SeccompProgram prog = default_program();
  auto r = in_filtered_child<9>(prog, [](std::array<long, 9>& out) {
    out[0] = syscall(SYS_getpid) > 0;
    out[1] = err(syscall(SYS_keyctl, 0, 0, 0, 0, 0));
    out[2] = err(syscall(SYS_add_key, "user", "x", "y", 1, 0));
    out[3] = err(syscall(SYS_bpf, 0, nullptr, 0));
    out[4] = err(syscall(SYS_clone3, nullptr, 0));
    out[5] = err(syscall(SYS_unshare, CLONE_NEWUSER));
    out[6] = err(syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0));
    long fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    out[7] = fd >= 0;
    out[8] = err(syscall(467, -1, nullptr, 0));  // open_tree_attr: beyond the profile
  });
  CHECK(r[0] == 1);
  CHECK(r[1] == EPERM);
  CHECK(r[2] == EPERM);
  CHECK(r[3] == EPERM);
  CHECK(r[4] == ENOSYS);
  CHECK(r[5] == EPERM);
  CHECK(r[6] == EPERM);
  CHECK(r[7] == 1);
  CHECK(r[8] == ENOSYS);
}

#if defined(__x86_64__)
// A 32-bit syscall from a 64-bit process: the kernel reports it as AUDIT_ARCH_I386.
long int80(long nr, long arg1 = 0) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(arg1) : "memory");
  return ret;
}

// Kernels built or booted without IA32 emulation (ia32_emulation=0) answer int 0x80 with
// SIGSEGV, so the probe runs in a child.
bool kernel_runs_i386_syscalls() {
  pid_t pid = fork();
  if (pid == 0) {
    // doctest's crash handler would report the expected SIGSEGV as a failure from this child.
    signal(SIGSEGV, SIG_DFL);
    _exit(int80(20) == syscall(SYS_getpid) ? 0 : 1);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST_CASE("the kernel enforces the default program on i386 syscalls") {
  if (!kernel_runs_i386_syscalls()) {
    MESSAGE("skipped: the kernel runs without IA32 emulation");
    return;
  }
  auto r = in_filtered_child<4>(default_program(), [](std::array<long, 4>& out) {
    out[0] = int80(20) == syscall(SYS_getpid);  // getpid
    out[1] = int80(288);                        // keyctl
    out[2] = int80(435);                        // clone3
    out[3] = int80(467, -1);                    // open_tree_attr
  });
  CHECK(r[0] == 1);
  CHECK(r[1] == -EPERM);
  CHECK(r[2] == -ENOSYS);
  CHECK(r[3] == -ENOSYS);
}
#endif

TEST_CASE("a custom profile: allow by default, one errno rule") {
  SeccompProfile p = parse_seccomp_profile(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "syscalls": [
      {"names": ["getppid", "no_such_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42},
      {"name": "mseal", "action": "SCMP_ACT_ERRNO"}
    ]})",
                                           "custom.json");
  SeccompProgram prog = compile_seccomp(p, {});
  CHECK(run_bpf(prog, AUDIT_ARCH_X86_64, SYS_getppid) == (SECCOMP_RET_ERRNO | 42));
  CHECK(run_bpf(prog, AUDIT_ARCH_X86_64, 462) == kEperm);                         // mseal, past libseccomp
  CHECK(run_bpf(prog, AUDIT_ARCH_X86_64, 467) == SECCOMP_RET_ALLOW);              // no ENOSYS under allow
  CHECK(run_bpf(prog, AUDIT_ARCH_X86_64, kX32 | 39) == SECCOMP_RET_KILL_THREAD);  // x32 is not in the filter
  auto r = in_filtered_child<3>(prog, [](std::array<long, 3>& out) {
    out[0] = syscall(SYS_getpid) > 0;
    out[1] = err(syscall(SYS_getppid));
    out[2] = syscall(SYS_getuid) >= 0;
  });
  CHECK(r[0] == 1);
  CHECK(r[1] == 42);
  CHECK(r[2] == 1);
}

TEST_CASE("argument conditions: same index ORs, different indexes AND") {
  SeccompProfile p = parse_seccomp_profile(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [
      {"names": ["dup3"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
      {"names": ["dup2"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_GE"}, {"index": 1, "value": 10, "op": "SCMP_CMP_LT"}]},
      {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS",
       "args": [{"index": 1, "value": 255, "valueTwo": 9, "op": "SCMP_CMP_MASKED_EQ"}]}
    ]})",
                                           "args.json");
  SeccompProgram prog = compile_seccomp(p, {});
  auto x64 = [&](uint32_t nr, std::array<uint64_t, 6> args) {
    return run_bpf(prog, AUDIT_ARCH_X86_64, nr, args);
  };
  CHECK(x64(SYS_dup3, {1}) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_dup3, {2}) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_dup3, {3}) == kEperm);
  CHECK(x64(SYS_dup2, {5, 9}) == SECCOMP_RET_ALLOW);
  CHECK(x64(SYS_dup2, {5, 10}) == kEperm);
  CHECK(x64(SYS_dup2, {4, 9}) == kEperm);
  CHECK(x64(SYS_kill, {1, 0x109}) == SECCOMP_RET_KILL_PROCESS);
  CHECK(x64(SYS_kill, {1, 15}) == kEperm);
}

TEST_CASE("invalid profiles are errors that name the file") {
  CHECK(parse_error("{not json", "/tmp/p.json").find("/tmp/p.json") != std::string::npos);
  CHECK(parse_error(R"({"syscalls": []})").find("defaultAction") != std::string::npos);
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_NOTIFY"})").find("SCMP_ACT_NOTIFY") != std::string::npos);
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
      "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})")
            .find("index") != std::string::npos);
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
      "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]}]})")
            .find("SCMP_CMP_XX") != std::string::npos);
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
      "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]})") != "");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "read", "names": ["write"],
      "action": "SCMP_ACT_ERRNO"}]})") != "");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
      "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]})") != "");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
      "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "new"}}]})") != "");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],
      "action": "SCMP_ACT_ALLOW"}]})") == "");
  try {
    load_seccomp_profile("/nonexistent/profile.json");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("/nonexistent/profile.json") != std::string::npos);
  }
  SeccompProfile both = parse_seccomp_profile(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_X86"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})",
                                              "both.json");
  CHECK_THROWS_AS(compile_seccomp(both, {}), Error);
  SeccompProfile bad_arch = parse_seccomp_profile(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_Z80"]})",
                                                  "arch.json");
  CHECK_THROWS_AS(compile_seccomp(bad_arch, {}), Error);
}

TEST_CASE("compiled programs serialize for the on-disk cache") {
  SeccompProgram prog = default_program();
  std::string bytes = serialize(prog);
  SeccompProgram back = deserialize(bytes);
  REQUIRE(back.filter.size() == prog.filter.size());
  CHECK(std::memcmp(back.filter.data(), prog.filter.data(), prog.filter.size() * sizeof(sock_filter)) == 0);
  CHECK_THROWS_AS(deserialize("garbage"), Error);
  CHECK_THROWS_AS(deserialize(bytes.substr(0, bytes.size() - 3)), Error);
  CHECK_THROWS_AS(deserialize(bytes.substr(0, bytes.size() - prog.filter.size() * sizeof(sock_filter))),
                  Error);

  std::string json(default_seccomp_profile_json());
  std::string key = seccomp_cache_key(json, kDefaultCaps);
  CHECK(key.size() == 64);
  CHECK(seccomp_cache_key(json, {"CAP_SYS_ADMIN"}) != key);
  CHECK(seccomp_cache_key(json + " ", kDefaultCaps) != key);
  std::vector<std::string> reordered(kDefaultCaps.rbegin(), kDefaultCaps.rend());
  CHECK(seccomp_cache_key(json, reordered) == key);
}

TEST_CASE("compile time of the default profile") {
  using Clock = std::chrono::steady_clock;
  auto micros = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  };
  std::string json(default_seccomp_profile_json());
  constexpr int kRounds = 20;
  Clock::duration parse{}, compile{}, cache_hit{};
  size_t size = 0;
  for (int i = 0; i < kRounds; ++i) {
    auto t0 = Clock::now();
    SeccompProfile p = parse_seccomp_profile(json, "<default>");
    auto t1 = Clock::now();
    SeccompProgram prog = compile_seccomp(p, kDefaultCaps);
    auto t2 = Clock::now();
    std::string bytes = serialize(prog);
    // What a container start pays with a warm cache: the key, then the cached bytes back.
    auto t3 = Clock::now();
    std::string key = seccomp_cache_key(json, kDefaultCaps);
    SeccompProgram cached = deserialize(bytes);
    auto t4 = Clock::now();
    parse += t1 - t0;
    compile += t2 - t1;
    cache_hit += t4 - t3;
    size = cached.filter.size();
    CHECK(size == prog.filter.size());
  }
  MESSAGE("default seccomp profile: parse " << micros(parse) / kRounds << " us, compile "
                                            << micros(compile) / kRounds << " us, cache key + deserialize "
                                            << micros(cache_hit) / kRounds << " us, " << size
                                            << " BPF instructions");
}
