// flock-based FileLock.
#include "util/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "util/error.hpp"

namespace tug {

static UniqueFd open_lock_file(const std::string& path, bool create = true) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600));
  if (!fd && !(errno == ENOENT && !create)) fail_errno("open lock {}", path);
  return fd;
}

FileLock::FileLock(const std::string& path, Mode mode) : fd_(open_lock_file(path)) {
  int op = mode == Mode::kShared ? LOCK_SH : LOCK_EX;
  while (::flock(fd_.get(), op) != 0) {
    if (errno != EINTR) fail_errno("lock {}", path);
  }
}

FileLock FileLock::try_lock(const std::string& path, Mode mode, bool create) {
  FileLock lock;
  UniqueFd fd = open_lock_file(path, create);
  if (!fd) return lock;
  int op = (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB;
  if (::flock(fd.get(), op) == 0) {
    lock.fd_ = std::move(fd);
  } else if (errno != EWOULDBLOCK) {
    fail_errno("lock {}", path);
  }
  return lock;
}

}  // namespace tug
