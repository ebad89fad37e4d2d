// Joining the namespaces of a running container from another tug process (stop, kill, exec,
// rm -f): the container lives in a user namespace only its creator's processes can act in.
#pragma once

#include <sys/types.h>

namespace tug {

/// Joins the user namespace `pid` lives in, unless it is already ours. The calling process must
/// be single-threaded; afterwards it holds every capability over the container's processes
/// (signals to ids of a subordinate range included). Throws when the process is gone.
void join_user_namespace_of(pid_t pid);

}  // namespace tug
