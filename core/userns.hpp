// User namespaces: which id mapping this user can have (full subuid range through
// newuidmap/newgidmap, or a single id), and entering a new user namespace with it.
#pragma once

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

/// Whether the process already entered a user namespace through enter_user_namespace().
bool in_tug_user_namespace();

}  // namespace tug
