// The child side of diff, commit, cp and export. Messages are JSON lines on a socket pair (a
// string's newlines are escaped by the JSON encoding, so a line is a message); the child dies
// with its parent (PDEATHSIG), so a killed tug never leaves one working on a container's files.
#include "core/container_fs_child.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "core/container_store.hpp"
#include "core/image_store.hpp"
#include "core/namespace_join.hpp"
#include "core/userns.hpp"
#include "fs/in_root.hpp"
#include "fs/mount_api.hpp"
#include "fs/rootfs.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

void send_line(int fd, const Json& message) {
  // Paths are bytes, not always UTF-8: replace what JSON cannot carry rather than fail.
  std::string line = message.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::send(fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("send to the helper process");
    }
    done += static_cast<size_t>(n);
  }
}

// One line; nullopt at the end of the stream. Byte by byte: messages are few and short, and
// nothing after the newline may be consumed (the data that follows belongs to someone else).
std::optional<std::string> read_line(int fd) {
  std::string line;
  for (;;) {
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("read from the helper process");
    }
    if (n == 0) return line.empty() ? std::nullopt : std::optional<std::string>(line);
    if (c == '\n') return line;
    line += c;
  }
}

Json parse_message(const std::string& line) {
  Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded()) fail("malformed message from the helper process");
  return j;
}

[[noreturn]] void throw_child_error(const Json& message) {
  throw Error(message.value("error", std::string("the helper process failed")),
              message.value("code", kExitToolError));
}

// Read-only binds stay read-only, as in the container.
void bind_into(int root_fd, const std::string& source, const std::string& target, bool read_only) {
  struct stat st;
  if (::stat(source.c_str(), &st) != 0) fail_errno("bind source {}", source);
  UniqueFd tree = clone_tree(source, true, read_only);
  UniqueFd at = S_ISDIR(st.st_mode) ? make_dirs_in_root(root_fd, target) : make_file_in_root(root_fd, target);
  attach_mount(tree.get(), at.get(), target);
}

UniqueFd enter_running(const ContainerState& state, ContainerView view) {
  join_user_namespace_of(state.pid);
  std::string path = fmt::format("/proc/{}/ns/mnt", state.pid);
  UniqueFd mnt(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!mnt) fail_errno("open {}", path);
  // PID 1 pivot_root'ed in this namespace: joining it makes its root ours.
  if (::setns(mnt.get(), CLONE_NEWNS) != 0) fail_errno("join the mount namespace of process {}", state.pid);
  if (view == ContainerView::kRootOnly) return clone_tree("/", false, false);  // no submounts
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) fail_errno("open the container's root");
  return root;
}

UniqueFd enter_stopped(const StorePaths& paths, const std::string& id, ContainerView view) {
  ContainerStore store(paths);
  Json cfg = store.load_config(id);
  Image image = ImageStore(paths).resolve(cfg.value("Image", ""));
  enter_user_namespace(detect_id_mapping());
  if (::unshare(CLONE_NEWNS) != 0) fail_errno("create a mount namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail_errno("make / private");

  std::string dir = store.dir(id);
  RootfsLayout layout;
  ImageStore images(paths);
  for (const auto& d : image.diff_ids()) layout.lower_dirs.push_back(images.layer_diff_dir(d));
  layout.upper = dir + "/upper";
  layout.work = dir + "/work";
  layout.merged = dir + "/merged";
  layout.copy_dir = dir + "/rootfs";
  // A container that ran from a flattened copy keeps its files there, whatever TUG_OVERLAY says now.
  OverlayMode mode = container_uses_copy(paths, id) ? OverlayMode::kCopy : preferred_overlay_mode();
  std::string note;
  mount_rootfs(layout, mode, note);
  UniqueFd root(::open(layout.merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) fail_errno("open {}", layout.merged);
  if (view == ContainerView::kRootOnly) return root;

  const Json& host = cfg["HostConfig"];
  if (host.value("ReadonlyRootfs", false)) set_read_only(root.get(), false, "the container's rootfs");
  for (const auto& m : cfg.value("Mounts", Json::array()))
    bind_into(root.get(), m.value("Source", ""), m.value("Destination", ""), !m.value("RW", true));
  for (const char* f : {"hosts", "hostname", "resolv.conf"})
    if (path_exists(dir + "/" + f)) bind_into(root.get(), dir + "/" + f, std::string("/etc/") + f, false);
  return root;
}

}  // namespace

void ChildTask::Channel::send(const Json& message) const { send_line(control, message); }

Json ChildTask::Channel::receive() const {
  auto line = read_line(control);
  if (!line) fail("the tug process went away");
  return parse_message(*line);
}

ChildTask::ChildTask(const std::function<void(Channel&)>& body) {
  int control[2], data[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0) fail_errno("socketpair");
  control_.reset(control[0]);
  UniqueFd child_control(control[1]);
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, data) != 0) fail_errno("socketpair");
  data_.reset(data[0]);
  UniqueFd child_data(data[1]);
  std::fflush(nullptr);
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) fail_errno("fork");
  if (pid_ > 0) return;

  // The child. It never returns: its stack holds the caller's frames, which belong to the parent.
  control_.reset();
  data_.reset();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (::getppid() != parent) ::_exit(1);
  ::signal(SIGPIPE, SIG_IGN);  // a reader that went away is an EPIPE error, not a silent death
  Channel channel{child_control.get(), child_data.get()};
  int code = 0;
  try {
    body(channel);
  } catch (const Error& e) {
    code = 1;
    try {
      channel.send(Json{{"error", e.what()}, {"code", e.exit_code()}});
    } catch (...) {
    }
  } catch (const std::exception& e) {
    code = 1;
    try {
      channel.send(Json{{"error", e.what()}});
    } catch (...) {
    }
  }
  std::fflush(nullptr);
  ::_exit(code);
}

ChildTask::~ChildTask() {
  if (pid_ <= 0) return;
  control_.reset();
  data_.reset();
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

Json ChildTask::receive() {
  auto line = read_line(control_.get());
  if (!line) {
    wait();  // throws the reason the child ended early
    fail("the helper process ended early");
  }
  Json message = parse_message(*line);
  if (message.contains("error")) {
    try {
      wait();
    } catch (const Error&) {
      // The child's exit status only repeats the message it sent.
    }
    throw_child_error(message);
  }
  return message;
}

void ChildTask::send(const Json& message) { send_line(control_.get(), message); }

void ChildTask::close_data() { ::shutdown(data_.get(), SHUT_WR); }

void ChildTask::wait() {
  if (pid_ <= 0) return;
  data_.reset();
  Json error;
  if (control_) {
    while (auto line = read_line(control_.get())) {
      Json message = parse_message(*line);
      if (message.contains("error")) error = message;
    }
    control_.reset();
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (!error.is_null()) throw_child_error(error);
  if (WIFSIGNALED(status)) fail("the helper process was killed by signal {}", WTERMSIG(status));
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    fail("the helper process failed (exit status {})", WEXITSTATUS(status));
}

UniqueFd enter_container_filesystem(const StorePaths& paths, const std::string& id, ContainerView view) {
  ContainerState state = ContainerStore(paths).live_state(id);
  if (state.running() && state.pid > 0) return enter_running(state, view);
  return enter_stopped(paths, id, view);
}

bool container_uses_copy(const StorePaths& paths, const std::string& id) {
  return path_exists(ContainerStore(paths).dir(id) + "/rootfs/.complete");
}

}  // namespace tug
