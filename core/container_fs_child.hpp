// Working on a container's files from a forked child: the files belong to ids of the user
// namespace and a container's mounts exist only in its own mount namespace, so diff, commit, cp
// and export do their file work in a child that entered those namespaces, while the tug process
// itself stays on the host (to write host files as the user, or to pause and unpause).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "core/store_paths.hpp"
#include "util/fd.hpp"
#include "util/json.hpp"

namespace tug {

/// A forked child running `body`, talking to its parent in JSON messages over a socket pair, with
/// a second socket pair for bulk data. An Error thrown by the body reaches the parent as the same
/// message (from receive() or wait()); the child never returns into the caller's code.
class ChildTask {
 public:
  /// What the body gets: its ends of the two channels.
  struct Channel {
    int control;  ///< messages: send()/receive() below
    int data;     ///< raw bytes; shutdown(SHUT_WR) ends the stream
    void send(const Json& message) const;
    Json receive() const;
  };

  /// Forks (the caller must be single-threaded) and runs `body` in the child.
  explicit ChildTask(const std::function<void(Channel&)>& body);
  ~ChildTask();
  ChildTask(const ChildTask&) = delete;
  ChildTask& operator=(const ChildTask&) = delete;

  /// The next message from the child; throws the child's error, or when it ended without one.
  Json receive();
  void send(const Json& message);
  /// The parent's end of the data channel.
  int data() const { return data_.get(); }
  /// Ends the parent's data stream towards the child (the child reads EOF).
  void close_data();
  /// Closes the channels, waits for the child and throws its error if it failed.
  void wait();

 private:
  pid_t pid_ = -1;
  UniqueFd control_, data_;
};

/// Which part of a container's filesystem a child sees.
enum class ContainerView {
  kWithMounts,  ///< what the container's processes see: volumes and tug's /etc files included (cp)
  kRootOnly,    ///< the root filesystem alone, image layers plus the container's changes (export)
};

/// Inside a ChildTask body: enters the container's filesystem and returns an fd of its root.
/// A running container is joined (its user namespace, then PID 1's mount namespace, so a file
/// written is seen at once); a stopped one gets its rootfs mounted in a new user and mount
/// namespace, as its start would mount it. Every path below the root must be resolved with
/// RESOLVE_IN_ROOT (fs/in_root.hpp) or through fds: the root is not the process's "/" in general.
UniqueFd enter_container_filesystem(const StorePaths& paths, const std::string& id, ContainerView view);

/// True when the container's files live in a flattened copy (containers/<id>/rootfs, TUG_OVERLAY
/// copy) rather than in an overlay upper dir.
bool container_uses_copy(const StorePaths& paths, const std::string& id);

}  // namespace tug
