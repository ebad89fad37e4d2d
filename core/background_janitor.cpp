#include "core/background_janitor.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/container_store.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

// tug is single-threaded when the janitor forks, so the child may allocate and throw.
[[noreturn]] void janitor_main(ContainerStore& store, int path_fd) {
  // Out of the terminal's process group (a ^C after the container exits must not cut a
  // deletion short), and holding none of the caller's fds.
  ::setsid();
  int keep = ::fcntl(path_fd, F_DUPFD_CLOEXEC, 10);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) ::dup3(null_fd, fd, 0);
  ::dup3(keep, 3, 0);
  ::close_range(4, ~0U, 0);
  try {
    store.collect_garbage();
  } catch (const std::exception&) {
  }
  std::string path;
  char buf[512];
  ssize_t n;
  while ((n = ::read(3, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) path.append(buf, static_cast<size_t>(n));
  if (!path.empty()) {
    try {
      remove_tree(path);
    } catch (const std::exception&) {
    }
  }
  ::_exit(0);
}

}  // namespace

BackgroundJanitor::BackgroundJanitor(ContainerStore& store) {
  // A socket rather than a pipe: send() with MSG_NOSIGNAL cannot kill us with SIGPIPE when
  // the janitor is already gone.
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[1]);
    janitor_main(store, fds[0]);
  }
  ::close(fds[0]);
  if (pid < 0) {
    ::close(fds[1]);
    return;
  }
  socket_fd_ = fds[1];
}

BackgroundJanitor::~BackgroundJanitor() {
  if (socket_fd_ >= 0) ::close(socket_fd_);
}

void BackgroundJanitor::delete_later(const std::string& path) {
  if (socket_fd_ < 0) {
    remove_tree(path);
    return;
  }
  // A path fits the socket buffer: one send, which never blocks.
  if (::send(socket_fd_, path.data(), path.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(path.size()))
    remove_tree(path);
  ::close(socket_fd_);
  socket_fd_ = -1;
}

}  // namespace tug
