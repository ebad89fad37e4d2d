// Runs credential helpers the way docker does: a child process per lookup, the server URL on its
// stdin, its answer (or its error message) on stdout.
#include "registry/credential_helper.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_util.hpp"
#include "util/json.hpp"

extern char** environ;

namespace tug {
namespace {

/// The helper in PATH, as exec would find it; "" when there is none.
std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    size_t colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    std::string candidate = join_path(dir.empty() ? "." : dir, name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return "";
    dirs.remove_prefix(colon + 1);
  }
}

/// A spawned child, waited for exactly once: by wait(), or by the destructor on error paths.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) wait();
  }
  /// The wait status.
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) start++;
  return s.substr(start);
}

}  // namespace

Credentials parse_credential_helper_output(std::string_view output, const std::string& helper) {
  Json doc = Json::parse(output, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("Secret") || !doc["Secret"].is_string())
    fail("error getting credentials - err: docker-credential-{} returned an invalid answer", helper);
  Credentials credentials;
  std::string username =
      doc.contains("Username") && doc["Username"].is_string() ? doc["Username"].get<std::string>() : "";
  if (username == "<token>") {
    credentials.identity_token = doc["Secret"].get<std::string>();
  } else {
    credentials.username = username;
    credentials.password = doc["Secret"].get<std::string>();
  }
  return credentials;
}

std::optional<Credentials> credential_helper_get(const std::string& helper, const std::string& server_url) {
  std::string program = "docker-credential-" + helper;
  std::string path = find_in_path(program);
  if (path.empty())
    fail("error getting credentials - err: exec: \"{}\": executable file not found in $PATH", program);

  // The URL is written before the child starts: it fits in the pipe, so the helper exiting
  // without reading it can never raise SIGPIPE here.
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) fail_errno("running {}: pipe", program);
  UniqueFd stdin_read(in[0]), stdin_write(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) fail_errno("running {}: pipe", program);
  UniqueFd stdout_read(out[0]), stdout_write(out[1]);
  std::string input = server_url + "\n";
  if (::write(stdin_write.get(), input.data(), input.size()) != static_cast<ssize_t>(input.size()))
    fail_errno("running {}: writing its input", program);
  stdin_write.reset();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stdout_write.get(), STDOUT_FILENO);
  char* argv[] = {program.data(), const_cast<char*>("get"), nullptr};
  pid_t pid = -1;
  int spawn_error = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    errno = spawn_error;
    fail_errno("error getting credentials - err: exec: \"{}\"", program);
  }
  ChildProcess child(pid);
  stdin_read.reset();
  stdout_write.reset();

  std::string output;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(stdout_read.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("reading the answer of {}", program);
    if (n == 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  int status = child.wait();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return parse_credential_helper_output(output, helper);
  if (output.find("credentials not found") != std::string::npos) return std::nullopt;
  std::string reason = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                         : fmt::format("killed by signal {}", WTERMSIG(status));
  fail("error getting credentials - err: {} ({}), out: `{}`", program, reason, trim(output));
}

}  // namespace tug
