// Store housekeeping that `tug run` must not wait for: collecting what killed tugs left, and
// deleting an --rm container's files after it exited.
#pragma once

#include <string>

namespace tug {

class ContainerStore;

/// A child process, forked at construction, that runs ContainerStore::collect_garbage() at
/// once and then deletes the one directory handed to it by delete_later(), if any, after
/// which it exits. Construct it inside the user namespace (it deletes files owned by mapped
/// ids) and before creating the container's PID namespace: once that namespace's init has
/// exited, fork() fails. It holds no fd of ours, so pipes and `$(tug run ...)` see EOF as
/// soon as tug exits. A janitor that dies half-way leaves only what the next one collects.
class BackgroundJanitor {
 public:
  explicit BackgroundJanitor(ContainerStore& store);
  /// Lets the janitor go: it finishes its work and exits. Never waits for it.
  ~BackgroundJanitor();
  BackgroundJanitor(const BackgroundJanitor&) = delete;
  BackgroundJanitor& operator=(const BackgroundJanitor&) = delete;

  /// Hands `path` over for deletion (at most once). Without a janitor (fork failed), deletes
  /// it here and now.
  void delete_later(const std::string& path);

 private:
  int socket_fd_ = -1;  ///< our end; the janitor reads the path until EOF
};

}  // namespace tug
