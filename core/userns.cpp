// Entering a user namespace. With subuid ranges the mapping must be written by the setuid
// helpers newuidmap/newgidmap from *outside* the namespace, so a helper child forked before
// unshare() waits for the parent to unshare, then runs them against the parent's pid.
#include "core/userns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

bool g_entered = false;

// The user's name from /etc/passwd, read directly: static glibc's NSS can crash.
std::string user_name_of(uid_t uid) {
  auto passwd = read_file_if_exists("/etc/passwd");
  if (!passwd) return {};
  std::istringstream in(*passwd);
  std::string line;
  while (std::getline(in, line)) {
    auto c1 = line.find(':');
    auto c2 = line.find(':', c1 + 1);
    auto c3 = line.find(':', c2 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos || c3 == std::string::npos) continue;
    if (line.substr(c2 + 1, c3 - c2 - 1) == std::to_string(uid)) return line.substr(0, c1);
  }
  return {};
}

// First range for `name` or `id` in /etc/subuid-style files.
bool find_subid_range(const char* file, const std::string& name, unsigned id, IdRange& out) {
  auto content = read_file_if_exists(file);
  if (!content) return false;
  std::istringstream in(*content);
  std::string line;
  while (std::getline(in, line)) {
    auto c1 = line.find(':');
    auto c2 = line.find(':', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    std::string who = line.substr(0, c1);
    if (who != name && who != std::to_string(id)) continue;
    unsigned long start = std::strtoul(line.c_str() + c1 + 1, nullptr, 10);
    unsigned long count = std::strtoul(line.c_str() + c2 + 1, nullptr, 10);
    if (count == 0) continue;
    out = IdRange{1, static_cast<uint32_t>(start), static_cast<uint32_t>(count)};
    return true;
  }
  return false;
}

std::string map_text(const std::vector<IdRange>& ranges) {
  std::string out;
  for (const auto& r : ranges) out += fmt::format("{} {} {}\n", r.inside, r.outside, r.count);
  return out;
}

void write_proc_file(const char* path, const std::string& text) {
  UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    fail_errno("write {}", path);
}

}  // namespace

const char* IdMapping::mode_name() const {
  switch (mode) {
    case Mode::kIdentity:
      return "identity";
    case Mode::kSubuid:
      return "subuid";
    case Mode::kSingle:
      return "single";
  }
  return "?";
}

std::string IdMapping::describe_uids() const {
  std::string out;
  for (const auto& r : uids)
    out += fmt::format("{}{}:{}:{}", out.empty() ? "" : ",", r.inside, r.outside, r.count);
  return out;
}

uint32_t IdMapping::max_uid() const {
  uint32_t top = 0;
  for (const auto& r : uids) top = std::max<uint32_t>(top, r.inside + r.count - 1);
  return top;
}

IdMapping detect_id_mapping() {
  IdMapping m;
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  if (uid == 0) {
    m.mode = IdMapping::Mode::kIdentity;
    m.uids = {{0, 0, 4294967295u}};
    m.gids = {{0, 0, 4294967295u}};
    return m;
  }
  m.uids = {{0, static_cast<uint32_t>(uid), 1}};
  m.gids = {{0, static_cast<uint32_t>(gid), 1}};
  std::string name = user_name_of(uid);
  IdRange sub_u, sub_g;
  bool has_u = find_subid_range("/etc/subuid", name, uid, sub_u);
  bool has_g = find_subid_range("/etc/subgid", name, uid, sub_g);
  m.newuidmap = find_system_program("newuidmap");
  m.newgidmap = find_system_program("newgidmap");
  const char* forced = std::getenv("TUG_IDMAP");
  if (forced && std::string_view(forced) == "single") {
    m.why_single = "TUG_IDMAP=single is set";
  } else if (!has_u || !has_g) {
    std::string who = name.empty() ? std::to_string(uid) : name;
    m.why_single = fmt::format(
        "no /etc/subuid and /etc/subgid range for {}: only one id is mapped and file owners in images are "
        "squashed; "
        "fix: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {}",
        who, who);
  } else if (m.newuidmap.empty() || m.newgidmap.empty()) {
    m.why_single = "newuidmap/newgidmap not found: only one id is mapped; fix: install the uidmap package";
  } else {
    m.mode = IdMapping::Mode::kSubuid;
    m.uids.push_back(sub_u);
    m.gids.push_back(sub_g);
  }
  return m;
}

bool in_tug_user_namespace() { return g_entered; }

void enter_user_namespace(const IdMapping& mapping) {
  if (g_entered) return;
  if (mapping.mode == IdMapping::Mode::kSingle) {
    // Mapping one's own id is the one thing an unprivileged process may do by itself.
    if (::unshare(CLONE_NEWUSER) != 0)
      fail_errno("cannot create a user namespace (is user.max_user_namespaces 0?)");
    write_proc_file("/proc/self/setgroups", "deny");
    write_proc_file("/proc/self/uid_map", map_text(mapping.uids));
    write_proc_file("/proc/self/gid_map", map_text(mapping.gids));
    g_entered = true;
    return;
  }

  // Wider maps must be written from the parent namespace: by newuidmap/newgidmap (setuid)
  // for a normal user, or directly by a helper that keeps root's CAP_SETUID there.
  // Prepare every argument before fork: the helper only calls raw syscalls and exec.
  std::string pid = std::to_string(::getpid());
  auto build_args = [&](const std::string& helper, const std::vector<IdRange>& ranges) {
    std::vector<std::string> args{helper, pid};
    for (const auto& r : ranges) {
      args.push_back(std::to_string(r.inside));
      args.push_back(std::to_string(r.outside));
      args.push_back(std::to_string(r.count));
    }
    return args;
  };
  auto uid_args = build_args(mapping.newuidmap, mapping.uids);
  auto gid_args = build_args(mapping.newgidmap, mapping.gids);
  auto to_argv = [](std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
  };
  auto uid_argv = to_argv(uid_args);
  auto gid_argv = to_argv(gid_args);
  char* empty_env[] = {nullptr};
  bool direct = mapping.mode == IdMapping::Mode::kIdentity;
  std::string uid_map_path = "/proc/" + pid + "/uid_map", gid_map_path = "/proc/" + pid + "/gid_map";
  std::string uid_text = map_text(mapping.uids), gid_text = map_text(mapping.gids);

  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd go_read(go[0]), go_write(go[1]);

  pid_t helper = ::fork();
  if (helper < 0) fail_errno("fork");
  if (helper == 0) {
    char byte;
    ::close(go[1]);
    if (::read(go[0], &byte, 1) != 1) ::_exit(1);
    if (direct) {
      auto put = [](const std::string& path, const std::string& text) {
        int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        if (fd >= 0) ::close(fd);
        return ok;
      };
      if (!put(uid_map_path, uid_text)) ::_exit(2);
      ::_exit(put(gid_map_path, gid_text) ? 0 : 3);
    }
    // Both helpers run at once: they are independent and each costs an exec.
    pid_t u = ::fork();
    if (u == 0) {
      ::execve(uid_argv[0], uid_argv.data(), empty_env);
      ::_exit(127);
    }
    pid_t g = ::fork();
    if (g == 0) {
      ::execve(gid_argv[0], gid_argv.data(), empty_env);
      ::_exit(127);
    }
    int su = 1, sg = 1;
    if (u > 0) ::waitpid(u, &su, 0);
    if (g > 0) ::waitpid(g, &sg, 0);
    bool uid_ok = u > 0 && WIFEXITED(su) && WEXITSTATUS(su) == 0;
    bool gid_ok = g > 0 && WIFEXITED(sg) && WEXITSTATUS(sg) == 0;
    ::_exit(uid_ok && gid_ok ? 0 : (!uid_ok ? 2 : 3));
  }
  go_read.reset();
  int unshare_errno = ::unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
  if (unshare_errno == 0) {
    char byte = 1;
    if (::write(go_write.get(), &byte, 1) != 1) unshare_errno = errno;
  }
  go_write.reset();
  int status = 0;
  while (::waitpid(helper, &status, 0) < 0 && errno == EINTR) {
  }
  if (unshare_errno != 0) {
    errno = unshare_errno;
    fail_errno("cannot create a user namespace");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    bool gid = WIFEXITED(status) && WEXITSTATUS(status) == 3;
    if (direct) fail("cannot write the {} map of the user namespace", gid ? "gid" : "uid");
    fail(
        "{} failed to map ids {} for this user: check /etc/subuid and /etc/subgid (and that the helpers are "
        "setuid)",
        gid ? mapping.newgidmap : mapping.newuidmap, mapping.describe_uids());
  }
  g_entered = true;
}

}  // namespace tug
