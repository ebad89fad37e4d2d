// Container commands: exec.
#include "cmd/cli.hpp"

namespace tug {

void register_exec_commands(CLI::App& app, const GlobalOptions& globals) {
  (void)app;
  (void)globals;
}

}  // namespace tug
