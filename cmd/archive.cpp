// Image archives: save, load, image history.
#include "cmd/cli.hpp"

namespace tug {

void register_archive_commands(CLI::App&, const GlobalOptions&) {}

}  // namespace tug
