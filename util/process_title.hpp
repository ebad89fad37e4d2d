// What `ps` shows for a process of ours that never execs (the --init PID 1): its command line
// is tug's own, which would show the host's paths inside the container. The kernel reads
// /proc/PID/cmdline from the memory of the original argv, so rewriting that memory renames it.
#pragma once

namespace tug {

/// Call from main: remembers where the argv strings lie.
void remember_command_line(int argc, char** argv);

/// Rewrites the command line to `first` followed by `rest` (nullptr-terminated, may be null),
/// NUL-separated, cut to the space tug's own arguments had. Memory writes only: safe between
/// fork and exec.
void rewrite_command_line(const char* first, const char* const* rest);

}  // namespace tug
