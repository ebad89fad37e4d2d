// `tug exec`: a new process in a running container, with the container's namespaces, root,
// user, environment, capabilities and seccomp filter, as docker's exec gives it.
#pragma once

#include <string>
#include <vector>

#include "core/store_paths.hpp"

namespace tug {

/// docker exec's flags.
struct ExecOptions {
  std::string container;               ///< name, ID or unique ID prefix
  std::vector<std::string> command;    ///< argv; argv[0] looked up in the container's PATH
  bool interactive = false;            ///< -i: our stdin becomes the process's
  bool tty = false;                    ///< -t: a pty inside the container, proxied to ours
  bool detach = false;                 ///< -d: return once the command started, nothing attached
  bool privileged = false;             ///< --privileged: every capability, whatever the container has
  std::vector<std::string> env;        ///< -e K=V (K alone: our value), after the container's
  std::vector<std::string> env_files;  ///< --env-file, before -e
  std::string workdir;                 ///< -w; else the container's WorkingDir, else "/"
  std::string user;                    ///< -u USER[:GROUP]; else the container's User
};

/// Runs the command in the container. Returns its exit code (128+N when killed by signal N; 0
/// with detach, once it started). Throws Error: 125 for a container that is missing or not
/// running, 126/127 for a command that cannot run or is not found, as docker.
/// Changes the calling process's namespaces: call it last, from a single-threaded tug.
int exec_in_container(const StorePaths& paths, const ExecOptions& options);

}  // namespace tug
