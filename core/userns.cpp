// Entering a user namespace. With subuid ranges the mapping must be written by the setuid
// helpers newuidmap/newgidmap from *outside* the namespace: a holder child creates the
// namespace, two mapper children run the helpers against it, and we join it with setns() once
// it is mapped — meanwhile the caller goes on working.
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
  PendingUserNamespace pending(mapping);
  pending.enter();
}

PendingUserNamespace::PendingUserNamespace(const IdMapping& mapping, int also_create)
    : mapping_(mapping), also_create_(also_create & kJoinable) {
  // One own id needs no helper: enter() maps it itself.
  if (g_entered || mapping.mode == IdMapping::Mode::kSingle) return;

  // Wider maps must be written from the parent namespace: by newuidmap/newgidmap (setuid)
  // for a normal user, or directly by a mapper that keeps root's CAP_SETUID there. The
  // namespace is created by a holder child rather than by us, so that we can go on working
  // in the parent namespace (creating files as ourselves) while the mappers run.
  // Prepare every argument before fork: the children only call raw syscalls and exec.
  int ready[2], release[2], created[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd ready_read(ready[0]), ready_write(ready[1]);
  if (::pipe2(release, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd release_read(release[0]), release_write(release[1]);
  if (::pipe2(created, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd created_read(created[0]), created_write(created[1]);
  int flags = also_create_;

  holder_ = ::fork();
  if (holder_ < 0) fail_errno("fork");
  if (holder_ == 0) {
    ::close(ready[0]);
    ::close(release[1]);
    ::close(created[0]);
    unsigned char err = ::unshare(CLONE_NEWUSER) == 0 ? 0 : static_cast<unsigned char>(errno);
    unsigned char both[2] = {err, err};  // one byte for each mapper
    (void)!::write(ready[1], both, 2);
    ::close(ready[1]);
    if (err != 0) ::_exit(1);
    // Full capabilities in the new namespace come with it, mapped or not yet.
    err = flags == 0 || ::unshare(flags) == 0 ? 0 : static_cast<unsigned char>(errno);
    (void)!::write(created[1], &err, 1);
    ::close(created[1]);
    char byte;
    (void)!::read(release[0], &byte, 1);  // returns at EOF: released, or the parent died
    ::_exit(0);
  }

  std::string pid = std::to_string(holder_);
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

  // One mapper per map, running at once: they are independent and each costs an exec.
  for (int which = 0; which < 2; ++which) {
    mappers_[which] = ::fork();
    if (mappers_[which] < 0) {
      int fork_errno = errno;
      release_write.reset();
      ready_write.reset();
      reap();
      errno = fork_errno;
      fail_errno("fork");
    }
    if (mappers_[which] != 0) continue;
    ::close(ready[1]);
    ::close(release[0]);
    ::close(release[1]);
    ::close(created[0]);
    ::close(created[1]);
    unsigned char err = 255;
    if (::read(ready[0], &err, 1) != 1 || err != 0) ::_exit(err == 255 ? 4 : 100 + err % 150);
    if (direct) {
      const std::string& path = which == 0 ? uid_map_path : gid_map_path;
      const std::string& text = which == 0 ? uid_text : gid_text;
      int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      ::_exit(ok ? 0 : 2);
    }
    char** argv = which == 0 ? uid_argv.data() : gid_argv.data();
    ::execve(argv[0], argv, empty_env);
    ::_exit(127);
  }
  release_fd_ = release_write.release();
  created_fd_ = created_read.release();
}

void PendingUserNamespace::reap() {
  for (int* fd : {&release_fd_, &created_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  for (pid_t* pid : {&mappers_[0], &mappers_[1], &holder_}) {
    if (*pid <= 0) continue;
    while (::waitpid(*pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    *pid = -1;
  }
}

PendingUserNamespace::~PendingUserNamespace() { reap(); }

void PendingUserNamespace::enter() {
  if (g_entered) {
    if (also_create_ != 0 && ::unshare(also_create_) != 0) fail_errno("create container namespaces");
    return;
  }
  if (mapping_.mode == IdMapping::Mode::kSingle) {
    // Mapping one's own id is the one thing an unprivileged process may do by itself.
    if (::unshare(CLONE_NEWUSER) != 0)
      fail_errno("cannot create a user namespace (is user.max_user_namespaces 0?)");
    write_proc_file("/proc/self/setgroups", "deny");
    write_proc_file("/proc/self/uid_map", map_text(mapping_.uids));
    write_proc_file("/proc/self/gid_map", map_text(mapping_.gids));
    g_entered = true;
    if (also_create_ != 0 && ::unshare(also_create_) != 0) fail_errno("create container namespaces");
    return;
  }

  int codes[2];
  for (int which = 0; which < 2; ++which) {
    int status = 0;
    while (::waitpid(mappers_[which], &status, 0) < 0 && errno == EINTR) {
    }
    mappers_[which] = -1;
    codes[which] = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  if (codes[0] != 0 || codes[1] != 0) {
    reap();
    int code = codes[0] != 0 ? codes[0] : codes[1];
    if (code >= 100) {
      errno = code - 100;
      fail_errno("cannot create a user namespace (is user.max_user_namespaces 0?)");
    }
    if (code == 4) fail("cannot create a user namespace: the helper process died");
    bool gid = codes[0] == 0;
    if (mapping_.mode == IdMapping::Mode::kIdentity)
      fail("cannot write the {} map of the user namespace", gid ? "gid" : "uid");
    fail(
        "{} failed to map ids {} for this user: check /etc/subuid and /etc/subgid (and that the helpers are "
        "setuid)",
        gid ? mapping_.newgidmap : mapping_.newuidmap, mapping_.describe_uids());
  }
  unsigned char create_errno = 255;
  if (::read(created_fd_, &create_errno, 1) != 1 || create_errno != 0) {
    reap();
    if (create_errno == 255) fail("cannot create container namespaces: the helper process died");
    errno = create_errno;
    fail_errno("create container namespaces");
  }
  // Its creator's euid owns the namespace, which gives us every capability in it: enough
  // for setns. The holder is still alive (it waits for release), so the paths are its own.
  auto join = [&](const char* name, int type) {
    UniqueFd ns(::open(fmt::format("/proc/{}/ns/{}", holder_, name).c_str(), O_RDONLY | O_CLOEXEC));
    return !ns ? errno : ::setns(ns.get(), type) == 0 ? 0 : errno;
  };
  int join_errno = join("user", CLONE_NEWUSER);
  const std::pair<const char*, int> joinable[] = {
      {"net", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}};
  for (const auto& [name, type] : joinable)
    if (join_errno == 0 && (also_create_ & type)) join_errno = join(name, type);
  reap();
  if (join_errno != 0) {
    errno = join_errno;
    fail_errno("cannot join the new namespaces");
  }
  g_entered = true;
}

}  // namespace tug
