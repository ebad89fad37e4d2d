// User namespaces: which id mapping this user can have (full subuid range through
// newuidmap/newgidmap, or a single id), and entering a new user namespace with it.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace tug {

/// One line of /proc/PID/uid_map: `inside outside count`.
struct IdRange {
  uint32_t inside = 0;
  uint32_t outside = 0;
  uint32_t count = 0;
};

/// The mapping a container (and every store operation on layer files) runs with.
struct IdMapping {
  enum class Mode { kIdentity, kSubuid, kSingle };
  Mode mode = Mode::kSingle;
  std::vector<IdRange> uids;
  std::vector<IdRange> gids;
  std::string newuidmap, newgidmap;  ///< helper paths when mode == kSubuid
  std::string why_single;            ///< what is missing when mode == kSingle (one line)

  /// "identity", "subuid" or "single", as `tug info` prints it.
  const char* mode_name() const;
  /// "0:1000:1,1:100000:65536"
  std::string describe_uids() const;
  /// Highest container uid that maps to something (squash owners above it).
  uint32_t max_uid() const;
};

/// Finds the best mapping for the calling user: root maps identity; others get their
/// /etc/subuid and /etc/subgid ranges when newuidmap/newgidmap are installed, else one id.
IdMapping detect_id_mapping();

/// Moves the calling (single-threaded) process into a new user namespace with `mapping`;
/// afterwards it is uid 0 there with a full capability set. Throws on failure.
void enter_user_namespace(const IdMapping& mapping);

/// enter_user_namespace() in two halves, so that the caller can work while the setuid
/// helpers (two execs, the costliest step of `tug run`) write the maps. The constructor forks
/// a holder that creates the namespace and a mapper that maps it, and returns at once;
/// enter() waits for the mapper and joins the holder's namespace with setns(). The holder
/// also creates the namespaces in `also_create` (CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS:
/// a network namespace costs most of a millisecond) while the mapper runs, and enter() joins
/// those too. The caller stays single-threaded and must not fork between the two halves.
class PendingUserNamespace {
 public:
  static constexpr int kJoinable = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;

  explicit PendingUserNamespace(const IdMapping& mapping, int also_create = 0);
  ~PendingUserNamespace();
  PendingUserNamespace(const PendingUserNamespace&) = delete;
  PendingUserNamespace& operator=(const PendingUserNamespace&) = delete;

  void enter();

 private:
  void reap();

  const IdMapping& mapping_;
  int also_create_;
  pid_t holder_ = -1;            ///< sits in the new namespaces until released
  int created_fd_ = -1;          ///< the holder reports there once also_create exists
  pid_t mappers_[2] = {-1, -1};  ///< newuidmap, newgidmap (or, as root, writers of the maps)
  int release_fd_ = -1;          ///< closing it lets the holder exit
};

/// Whether the process already entered a user namespace through enter_user_namespace().
bool in_tug_user_namespace();

}  // namespace tug
