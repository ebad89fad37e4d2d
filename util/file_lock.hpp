// flock(2)-based locks. The kernel drops them when their holder dies, so a killed tug never
// leaves a lock behind: "stale lock" cannot happen, only a stale lock *file*, which is harmless.
#pragma once

#include <string>

#include "util/fd.hpp"

namespace tug {

/// Holds a shared or exclusive flock on a file (created if missing) until destroyed.
class FileLock {
 public:
  enum class Mode { kShared, kExclusive };

  /// Blocks until the lock is held.
  FileLock(const std::string& path, Mode mode);
  /// Returns an empty (not held) lock instead of blocking when someone else holds it.
  /// With `create` false a missing file also gives an empty lock: probing another
  /// process's lock must never recreate a file that process is deleting.
  static FileLock try_lock(const std::string& path, Mode mode, bool create = true);

  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;

  bool held() const { return static_cast<bool>(fd_); }
  int fd() const { return fd_.get(); }
  /// Hands the lock's fd over (e.g. to be inherited by a monitor process).
  UniqueFd release_fd() { return std::move(fd_); }

 private:
  FileLock() = default;
  UniqueFd fd_;
};

}  // namespace tug
