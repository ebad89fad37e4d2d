// Capability names and docker's --cap-add/--cap-drop/--privileged rules.
#include "core/security/capabilities.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "util/error.hpp"

using namespace tug;

namespace {
using Names = std::vector<std::string>;

bool has(CapMask mask, int cap) { return (mask >> cap) & 1; }

std::string error_of(const Names& add, const Names& drop, bool privileged = false) {
  try {
    resolve_caps(add, drop, privileged);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("capability names are case-insensitive, with or without CAP_") {
  CHECK(cap_from_name("chown") == CAP_CHOWN);
  CHECK(cap_from_name("CAP_CHOWN") == CAP_CHOWN);
  CHECK(cap_from_name("cap_Sys_Admin") == CAP_SYS_ADMIN);
  CHECK(cap_from_name("NET_BIND_SERVICE") == CAP_NET_BIND_SERVICE);
  CHECK(cap_from_name("checkpoint_restore") == 40);
  CHECK_FALSE(cap_from_name("ALL"));
  CHECK_FALSE(cap_from_name("FOO"));
  CHECK_FALSE(cap_from_name(""));
  CHECK(cap_name(CAP_SYS_PTRACE) == "CAP_SYS_PTRACE");
  CHECK(cap_name(55) == "CAP_55");
}

TEST_CASE("docker's default set") {
  CHECK(cap_names(default_caps()) == Names{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
                                           "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
                                           "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT",
                                           "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"});
  CHECK(resolve_caps({}, {}, false) == default_caps());
}

TEST_CASE("kernel_caps follows cap_last_cap") {
  CapMask all = kernel_caps();
  CHECK(has(all, 0));
  bool contiguous = (all & (all + 1)) == 0;  // bits 0..cap_last_cap
  CHECK(contiguous);
  CHECK(all >= (CapMask{1} << 37) * 2 - 1);  // any kernel tug runs on has CAP_AUDIT_READ (3.16)
}

TEST_CASE("cap-add and cap-drop on top of the default set") {
  CapMask m = resolve_caps({"sys_admin", "CAP_NET_ADMIN"}, {"net_raw", "Cap_Mknod"}, false);
  CHECK(has(m, CAP_SYS_ADMIN));
  CHECK(has(m, CAP_NET_ADMIN));
  CHECK_FALSE(has(m, CAP_NET_RAW));
  CHECK_FALSE(has(m, CAP_MKNOD));
  CHECK(has(m, CAP_CHOWN));
  // Adding and dropping the same capability keeps it: docker drops first, then adds.
  CHECK(resolve_caps({"CHOWN"}, {"CHOWN"}, false) == default_caps());
}

TEST_CASE("ALL in cap-drop keeps only cap-add; ALL in cap-add keeps all but cap-drop") {
  CHECK(resolve_caps({"chown", "kill"}, {"ALL"}, false) ==
        ((CapMask{1} << CAP_CHOWN) | (CapMask{1} << CAP_KILL)));
  CHECK(resolve_caps({}, {"all"}, false) == 0);
  CHECK(resolve_caps({"ALL"}, {}, false) == kernel_caps());
  CHECK(resolve_caps({"all"}, {"SYS_ADMIN"}, false) == (kernel_caps() & ~(CapMask{1} << CAP_SYS_ADMIN)));
  CHECK(resolve_caps({"ALL"}, {"ALL"}, false) == kernel_caps());
}

TEST_CASE("privileged gets every kernel capability") {
  CHECK(resolve_caps({}, {}, true) == kernel_caps());
  CHECK(resolve_caps({}, {"ALL"}, true) == kernel_caps());
}

TEST_CASE("unknown capabilities are rejected with docker's message") {
  CHECK(error_of({"FOO"}, {}) == "unknown capability: \"CAP_FOO\"");
  CHECK(error_of({}, {"cap_bar"}) == "unknown capability: \"CAP_BAR\"");
  CHECK(error_of({"CAP_ALL"}, {}) == "unknown capability: \"CAP_ALL\"");
  CHECK(error_of({"NOPE"}, {}, true) == "unknown capability: \"CAP_NOPE\"");
  CHECK(error_of({"chown"}, {"ALL"}).empty());
  CHECK_THROWS_AS(cap_mask({"CHOWN", "WHAT"}), Error);
  CHECK(cap_mask({"chown", "CAP_KILL"}) == ((CapMask{1} << CAP_CHOWN) | (CapMask{1} << CAP_KILL)));
}

TEST_CASE("capset arguments split the masks into two 32-bit halves") {
  CapMask eff = (CapMask{1} << CAP_CHOWN) | (CapMask{1} << 40);
  CapMask perm = eff | (CapMask{1} << CAP_SYSLOG);
  auto args = make_capset_args(eff, perm, 0);
  CHECK(args.header.version == _LINUX_CAPABILITY_VERSION_3);
  CHECK(args.header.pid == 0);
  CHECK(args.data[0].effective == 1u);
  CHECK(args.data[1].effective == (1u << 8));
  CHECK(args.data[1].permitted == ((1u << 8) | (1u << (CAP_SYSLOG - 32))));
  CHECK(args.data[0].inheritable == 0u);
  CHECK(args.data[1].inheritable == 0u);
}
