// Container commands: logs.
#include "cmd/cli.hpp"

namespace tug {

void register_logs_commands(CLI::App& app, const GlobalOptions& globals) {
  (void)app;
  (void)globals;
}

}  // namespace tug
