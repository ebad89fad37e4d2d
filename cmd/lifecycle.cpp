// Container commands: start, stop, kill, restart, wait, attach, pause, unpause.
#include "cmd/cli.hpp"

namespace tug {

void register_lifecycle_commands(CLI::App& app, const GlobalOptions& globals) {
  (void)app;
  (void)globals;
}

}  // namespace tug
