#include "core/container_stdin.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.hpp"

namespace tug {

std::string container_stdin_path(const std::string& container_dir) { return container_dir + "/stdin"; }

StdinFifo::StdinFifo(std::string path) : path_(std::move(path)) {
  ::unlink(path_.c_str());
  if (::mkfifo(path_.c_str(), 0600) != 0) fail_errno("create the container's stdin FIFO {}", path_);
  open_for_reading();
}

StdinFifo::~StdinFifo() {
  // Writers that come later must not block on a FIFO nobody reads.
  ::unlink(path_.c_str());
}

void StdinFifo::open_for_reading() {
  fd_.reset(::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd_) fail_errno("open the container's stdin FIFO {}", path_);
}

bool StdinFifo::read_input() {
  char buf[16384];
  while (wants_input()) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return true;  // EAGAIN: nothing more for now
    if (n == 0) {
      open_for_reading();
      return false;
    }
    pending_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

void StdinFifo::flush(int target) {
  while (!pending_.empty()) {
    ssize_t w = target >= 0 ? ::write(target, pending_.data(), pending_.size()) : -1;
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w < 0) {
      pending_.clear();  // PID 1 closed its stdin: what it does not read is dropped
      return;
    }
    pending_.erase(0, static_cast<size_t>(w));
  }
}

UniqueFd open_container_stdin(const std::string& container_dir) {
  // O_NONBLOCK: fails with ENXIO instead of blocking when no monitor reads it.
  UniqueFd fd(::open(container_stdin_path(container_dir).c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd) ::fcntl(fd.get(), F_SETFL, 0);
  return fd;
}

}  // namespace tug
