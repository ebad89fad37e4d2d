// tug's entry point: global flags, subcommand dispatch, and the one place errors are turned
// into "tug: <message>" and docker's exit codes.
#include <gnu/libc-version.h>
#include <nss.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

#include "cmd/cli.hpp"
#include "util/error.hpp"
#include "util/process_title.hpp"

namespace {

// The subcommand word: the first argument that is neither a global flag nor its value.
std::string_view command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--root" || arg == "--runroot") {
      ++i;
      continue;
    }
    if (arg.rfind("--root=", 0) == 0 || arg.rfind("--runroot=", 0) == 0) continue;
    return arg;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  tug::remember_command_line(argc, argv);
  // A static glibc binary must not load NSS modules (systemd, sss...): it would crash.
  // Only "files" is ever consulted, and tug itself reads /etc/passwd directly.
  __nss_configure_lookup("passwd", "files");
  __nss_configure_lookup("group", "files");
  __nss_configure_lookup("hosts", "files dns");

  CLI::App app{"tug: daemonless, rootless containers", "tug"};
  app.require_subcommand(1);
  tug::GlobalOptions globals;
  app.add_option("--root", globals.root, "Store directory (images, layers, containers)");
  app.add_option("--runroot", globals.runroot, "Runtime state directory");
  app.set_version_flag("-v,--version", std::string("tug version ") + TUG_VERSION);

  tug::register_run_commands(app, globals);
  // Registering every other command's flags costs a quarter of a millisecond, 2% of a whole
  // `tug run --rm`: skip it on that hot path.
  if (command_word(argc, argv) != "run") {
    tug::register_image_commands(app, globals);
    tug::register_container_commands(app, globals);
    tug::register_create_commands(app, globals);
    tug::register_system_commands(app, globals);
    tug::register_registry_commands(app, globals);
    tug::register_archive_commands(app, globals);
    tug::register_lifecycle_commands(app, globals);
    tug::register_exec_commands(app, globals);
    tug::register_container_fs_commands(app, globals);
    tug::register_logs_commands(app, globals);
    tug::register_build_commands(app, globals);
    tug::register_prune_commands(app, globals);
  }

  try {
    app.parse(argc, argv);
    std::fflush(stdout);
    return tug::g_command_exit_code;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "tug: %s\nSee 'tug --help'.\n", e.what());
    return tug::kExitToolError;
  } catch (const tug::Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "tug: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "tug: %s\n", e.what());
    return tug::kExitToolError;
  }
}
