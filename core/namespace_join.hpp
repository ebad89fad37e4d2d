// Joining the namespaces of a running container from another tug process (stop, kill, exec,
// rm -f): the container lives in a user namespace only its creator's processes can act in.
#pragma once

#include <sys/types.h>

namespace tug {

/// Joins the user namespace `pid` lives in, unless it is already ours. The calling process must
/// be single-threaded; afterwards it holds every capability over the container's processes
/// (signals to ids of a subordinate range included). Throws when the process is gone.
void join_user_namespace_of(pid_t pid);

/// Joins every namespace of the process `pidfd` refers to (`pid` as the host sees it): user,
/// mount, net, ipc, uts, cgroup, and pid for the children forked afterwards, in one setns(2),
/// so the kernel takes them in the right order and either all or none. Root and cwd become the
/// mount namespace's root (the container's "/"); the host's filesystem is out of reach from
/// then on. The calling process must be single-threaded. Throws when the process is gone.
void join_container_namespaces(pid_t pid, int pidfd);

}  // namespace tug
