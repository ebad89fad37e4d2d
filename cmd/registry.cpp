// Registry commands: pull, push, login, logout.
#include "cmd/cli.hpp"

namespace tug {

void register_registry_commands(CLI::App&, const GlobalOptions&) {}

}  // namespace tug
