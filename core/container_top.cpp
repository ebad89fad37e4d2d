// `tug top`: which processes are the container's (a scan of /proc from inside its user
// namespace), then the host's ps, filtered by PID as moby's ContainerTop does.
#include "core/container_top.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/container_store.hpp"
#include "core/format/tabwriter.hpp"
#include "core/namespace_join.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_util.hpp"

extern char** environ;

namespace tug {

namespace {

/// Writes the PIDs of the PID namespace of `pid1` to `out` (int32 each). Runs in the child.
void write_namespace_pids(pid_t pid1, int out) {
  join_user_namespace_of(pid1);
  struct stat ns {};
  if (::stat(fmt::format("/proc/{}/ns/pid", pid1).c_str(), &ns) != 0)
    fail_errno("stat /proc/{}/ns/pid", pid1);
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) fail_errno("open /proc");
  std::vector<int32_t> pids;
  while (dirent* e = ::readdir(proc.get())) {
    char* end = nullptr;
    long p = std::strtol(e->d_name, &end, 10);
    if (*end || p <= 0) continue;
    struct stat st {};
    if (::stat(fmt::format("/proc/{}/ns/pid", p).c_str(), &st) == 0 && st.st_ino == ns.st_ino &&
        st.st_dev == ns.st_dev)
      pids.push_back(static_cast<int32_t>(p));
  }
  const char* data = reinterpret_cast<const char*>(pids.data());
  size_t left = pids.size() * sizeof(int32_t);
  while (left > 0) {
    ssize_t n = ::write(out, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_errno("write PIDs");
    data += n;
    left -= static_cast<size_t>(n);
  }
}

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string read_all(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

/// What a finished program printed.
struct ProgramResult {
  int status = 0;  ///< wait status
  std::string out, err;
};

/// Runs `path argv...` with stdout to a pipe and stderr to memory (no deadlock on either).
ProgramResult run_program(const std::string& path, const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd out_read(fds[0]), out_write(fds[1]);
  UniqueFd err_file(::memfd_create("ps-stderr", MFD_CLOEXEC));
  if (!err_file) fail_errno("memfd_create");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_file.get(), STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    fail_errno("ps: exec {}", path);
  }
  out_write.reset();
  ProgramResult result;
  result.out = read_all(out_read.get());
  result.status = wait_child(pid);
  ::lseek(err_file.get(), 0, SEEK_SET);
  result.err = read_all(err_file.get());
  return result;
}

/// Go's strings.Fields (ASCII whitespace).
std::vector<std::string> fields(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

/// appendProcess2ProcList: as many cells as titles, the overhanging fields joined into the last.
std::vector<std::string> fit_to_titles(const std::vector<std::string>& f, size_t titles) {
  if (titles == 0 || f.size() <= titles) return f;
  std::vector<std::string> out(f.begin(), f.begin() + static_cast<long>(titles) - 1);
  std::string last;
  for (size_t i = titles - 1; i < f.size(); ++i) {
    if (!last.empty()) last += ' ';
    last += f[i];
  }
  out.push_back(last);
  return out;
}

/// psPidsArg: "-q1,2,3", ps's quick selection by PID.
std::string pids_arg(const std::vector<pid_t>& pids) {
  std::string out = "-q";
  for (size_t i = 0; i < pids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(pids[i]);
  }
  return out;
}

}  // namespace

std::vector<pid_t> container_pids(pid_t pid1) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::fflush(stdout);
  pid_t child = ::fork();
  if (child < 0) fail_errno("fork");
  if (child == 0) {
    read_end.reset();
    int code = 0;
    try {
      write_namespace_pids(pid1, write_end.get());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tug: %s\n", e.what());
      code = 1;
    }
    ::_exit(code);
  }
  write_end.reset();
  std::string data = read_all(read_end.get());
  int status = wait_child(child);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("cannot list the processes of PID {}", pid1);
  std::vector<pid_t> out(data.size() / sizeof(int32_t));
  for (size_t i = 0; i < out.size(); ++i) {
    int32_t p;
    std::memcpy(&p, data.data() + i * sizeof p, sizeof p);
    out[i] = p;
  }
  std::sort(out.begin(), out.end());
  return out;
}

ProcessTable parse_ps_output(std::string_view output, const std::vector<pid_t>& pids) {
  ProcessTable table;
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= output.size();) {
    size_t nl = output.find('\n', start);
    if (nl == std::string_view::npos) nl = output.size();
    lines.push_back(output.substr(start, nl - start));
    start = nl + 1;
  }
  table.titles = fields(lines.empty() ? std::string_view() : lines.front());
  auto pid_col = std::find(table.titles.begin(), table.titles.end(), "PID");
  if (pid_col == table.titles.end()) fail("Couldn't find PID field in ps output");
  size_t pid_index = static_cast<size_t>(pid_col - table.titles.begin());
  bool after_kept = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::vector<std::string> f = fields(lines[i]);
    if (f.size() <= pid_index) continue;
    // With ps's thread options, a thread's row has "-" for the PID: it belongs to the row above.
    if (f[pid_index] == "-") {
      if (after_kept) table.processes.push_back(fit_to_titles(f, table.titles.size()));
      continue;
    }
    char* end = nullptr;
    long p = std::strtol(f[pid_index].c_str(), &end, 10);
    if (*end) fail("Unexpected pid '{}'", f[pid_index]);
    after_kept = std::binary_search(pids.begin(), pids.end(), static_cast<pid_t>(p));
    if (after_kept) table.processes.push_back(fit_to_titles(f, table.titles.size()));
  }
  return table;
}

ProcessTable container_top(const StorePaths& paths, const std::string& name,
                           const std::vector<std::string>& ps_args) {
  ContainerStore store(paths);
  std::string id = store.resolve(name);
  ContainerState state = store.live_state(id);
  if (!state.running() || state.pid <= 0) fail("container {} is not running", id);
  if (state.status == "restarting")
    fail("Container {} is restarting, wait until the container is running", id);
  std::vector<pid_t> pids = container_pids(state.pid);

  std::string ps = find_system_program("ps");
  if (ps.empty()) fail("ps: executable file not found in $PATH");
  std::vector<std::string> args = ps_args.empty() ? std::vector<std::string>{"-ef"} : ps_args;
  std::vector<std::string> quick = args;
  quick.push_back(pids_arg(pids));
  ProgramResult result = run_program(ps, quick);
  if (!WIFEXITED(result.status) || WEXITSTATUS(result.status) != 0) {
    // Some ps options (such as f) cannot be combined with -q: list everything instead.
    result = run_program(ps, args);
    if (!WIFEXITED(result.status) || WEXITSTATUS(result.status) != 0) {
      std::string why = result.err.substr(0, result.err.find('\n'));
      fail("ps: {}", why.empty() ? fmt::format("exit status {}", WEXITSTATUS(result.status)) : why);
    }
  }
  return parse_ps_output(result.out, pids);
}

std::string format_process_table(const ProcessTable& table) {
  Tabwriter w(20, 1, 3, ' ', 0);
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) text += '\t';
      text += cells[i];
    }
    text += '\n';
    w.write(text);
  };
  line(table.titles);
  for (const auto& p : table.processes) line(p);
  return w.flush();
}

}  // namespace tug
