// `tug top`: the host's `ps` output cut down to a container's processes, as docker's daemon
// does it (run `ps ARGS`, keep the rows whose PID belongs to the container).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/store_paths.hpp"

namespace tug {

/// docker's ContainerTopOKBody: ps's column titles and the kept rows, one cell per title (the
/// last cell takes the rest of the line: the command with its spaces).
struct ProcessTable {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> processes;
};

/// Host PIDs of every process in the PID namespace whose init is `pid1` (PID 1 of a container).
/// Reading another id's /proc/<pid>/ns links takes that id's user namespace: the scan runs in
/// a forked child that joined it, so the caller must be single-threaded and stays outside.
std::vector<pid_t> container_pids(pid_t pid1);

/// docker's parsePSOutput: finds the PID column in the header and keeps the rows of `pids`
/// (and the thread rows, PID "-", that follow a kept row). Throws when there is no PID column.
ProcessTable parse_ps_output(std::string_view output, const std::vector<pid_t>& pids);

/// `tug top NAME [ps options]`: runs the host's ps with `ps_args` (default "-ef") and keeps the
/// container's processes. Throws "container <id> is not running" for a stopped container.
ProcessTable container_top(const StorePaths& paths, const std::string& name,
                           const std::vector<std::string>& ps_args);

/// The table as docker's CLI prints it: tab-separated cells through a tabwriter with minimum
/// width 20 and padding 3.
std::string format_process_table(const ProcessTable& table);

}  // namespace tug
