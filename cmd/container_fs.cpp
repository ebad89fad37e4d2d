// Container commands: diff, commit, cp, export.
#include "cmd/cli.hpp"

namespace tug {

void register_container_fs_commands(CLI::App& app, const GlobalOptions& globals) {
  (void)app;
  (void)globals;
}

}  // namespace tug
