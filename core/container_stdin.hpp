// The way into a detached container's stdin without a socket API: a FIFO in the container's
// directory (containers/<id>/stdin). The monitor reads it and feeds PID 1's stdin (a pipe, or
// the pty's master with -t); `start -i` and `attach` write into it.
#pragma once

#include <string>

#include "util/fd.hpp"

namespace tug {

/// containers/<id>/stdin
std::string container_stdin_path(const std::string& container_dir);

/// The monitor's side, for a container created with -i (OpenStdin).
class StdinFifo {
 public:
  /// Makes the FIFO (replacing a stale one) and opens it for reading without blocking.
  explicit StdinFifo(std::string path);
  ~StdinFifo();
  StdinFifo(const StdinFifo&) = delete;
  StdinFifo& operator=(const StdinFifo&) = delete;

  /// The fd to poll for input (when wants_input()).
  int fd() const { return fd_.get(); }
  /// Not too much already waiting for PID 1 to read it.
  bool wants_input() const { return pending_.size() < kMaxPending; }
  /// Bytes wait for PID 1's stdin to take them (poll the target for POLLOUT).
  bool has_pending() const { return !pending_.empty(); }

  /// Reads what writers sent. Returns false when the writer closed (an attached client reached
  /// the end of its input); the FIFO is then reopened for the next one, since a FIFO whose
  /// writer left reports POLLHUP for ever.
  bool read_input();
  /// Writes what is pending into `target` (PID 1's stdin pipe or pty master, non-blocking), as
  /// much as it takes now. With a target that is gone (-1 or closed), pending bytes are dropped.
  void flush(int target);

 private:
  static constexpr size_t kMaxPending = 1 << 20;
  void open_for_reading();
  std::string path_;
  UniqueFd fd_;
  std::string pending_;
};

/// The client's side: opens the FIFO of a running container for writing; an empty fd when the
/// container has none (not created with -i) or nobody reads it.
UniqueFd open_container_stdin(const std::string& container_dir);

}  // namespace tug
