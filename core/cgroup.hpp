// A container's own memory cgroup: `--memory` / `--memory-swap` limits, the OOM-kill count
// behind State.OOMKilled, and memory usage. Created below the cgroup tug runs in (the cgroup v1
// memory controller's hierarchy, else cgroup v2), which works as root and wherever that cgroup
// was delegated to the user; elsewhere tug runs without it and says why in one line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "util/fd.hpp"

namespace tug {

struct MemoryLimits {
  int64_t memory = 0;  ///< bytes; 0: no limit (then no cgroup is made)
  int64_t swap = 0;    ///< memory + swap in bytes (docker's MemorySwap); 0 or -1: not limited
};

class ContainerCgroup {
 public:
  /// Makes (or takes over, after a crash) the cgroup `tug-<id>` with `limits`. nullopt when
  /// no cgroup can be made here: `why_not` then holds one line saying what is missing and how
  /// to fix it.
  static std::optional<ContainerCgroup> create(const std::string& id, const MemoryLimits& limits,
                                               std::string& why_not);
  /// The container's existing cgroup (`tug exec` joins it), when there is one.
  static std::optional<ContainerCgroup> find(const std::string& id);

  ContainerCgroup(ContainerCgroup&&) = default;
  ContainerCgroup& operator=(ContainerCgroup&&) = default;

  const std::string& path() const { return dir_; }
  /// cgroup.procs, opened for writing: a child writes "0" to it to join before it execs.
  int procs_fd() const { return procs_.get(); }
  /// How many processes the kernel OOM-killed in this cgroup so far.
  uint64_t oom_kills() const;
  /// Bytes of memory charged to the cgroup now.
  int64_t memory_usage() const;
  /// Removes the cgroup once its processes are gone (waits for them up to a second).
  void remove();

 private:
  ContainerCgroup(std::string dir, int version);
  std::string dir_;
  int version_ = 1;
  UniqueFd procs_;
};

/// Removes a container's leftover cgroup (a monitor killed before it could); no-op if none.
void remove_container_cgroup(const std::string& id);

}  // namespace tug
