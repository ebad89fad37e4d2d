// What every command file shares: the global flags and the registration functions main()
// calls. Each cmd/*.cpp parses its flags with CLI11, calls core, and prints.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/store_paths.hpp"

namespace tug {

/// Flags that come before the subcommand (`tug --root DIR run ...`).
struct GlobalOptions {
  std::string root;
  std::string runroot;
  /// Resolves (and creates) the store directories on first use.
  StorePaths paths() const { return resolve_store_paths(root, runroot); }
};

/// The exit code a command asks main() to exit with (set by the command's callback).
inline int g_command_exit_code = 0;

void register_run_commands(CLI::App& app, const GlobalOptions& globals);
void register_create_commands(CLI::App& app, const GlobalOptions& globals);
void register_image_commands(CLI::App& app, const GlobalOptions& globals);
void register_container_commands(CLI::App& app, const GlobalOptions& globals);
void register_system_commands(CLI::App& app, const GlobalOptions& globals);
void register_registry_commands(CLI::App& app, const GlobalOptions& globals);
void register_archive_commands(CLI::App& app, const GlobalOptions& globals);
void register_lifecycle_commands(CLI::App& app, const GlobalOptions& globals);     // cmd/lifecycle.cpp
void register_exec_commands(CLI::App& app, const GlobalOptions& globals);          // cmd/exec.cpp
void register_container_fs_commands(CLI::App& app, const GlobalOptions& globals);  // cmd/container_fs.cpp
void register_logs_commands(CLI::App& app, const GlobalOptions& globals);          // cmd/logs.cpp
void register_build_commands(CLI::App& app, const GlobalOptions& globals);         // cmd/build.cpp
/// After the others: adds `prune` to the container, image, builder and system commands.
void register_prune_commands(CLI::App& app, const GlobalOptions& globals);  // cmd/prune.cpp

}  // namespace tug
