// System commands: info and version.
#include <cstdio>

#include "cmd/cli.hpp"
#include "cmd/output.hpp"
#include "core/system_info.hpp"
#include "core/userns.hpp"

namespace tug {

void register_system_commands(CLI::App& app, const GlobalOptions& globals) {
  auto info = app.add_subcommand("info", "Display system-wide information");
  auto format = std::make_shared<std::string>();
  info->add_option("-f,--format", *format, "Format output using a Go template");
  info->callback([format, &globals] {
    Json i = system_info(globals.paths());
    if (!format->empty()) {
      print_inspect(*format, {i});
      return;
    }
    std::printf("Version:     %s\n", i["Version"].get<std::string>().c_str());
    std::printf("Rootless:    %s\n", i["Rootless"].get<bool>() ? "true" : "false");
    std::printf("Store:       %s\n", i["Store"]["Root"].get<std::string>().c_str());
    std::printf("Run root:    %s\n", i["Store"]["RunRoot"].get<std::string>().c_str());
    std::printf("ID mapping:  %s (uids %s, gids %s)\n", i["IDMapping"]["Mode"].get<std::string>().c_str(),
                i["IDMapping"]["UIDs"].get<std::string>().c_str(),
                i["IDMapping"]["GIDs"].get<std::string>().c_str());
    std::printf("Overlay:     %s (%s)\n", i["Overlay"]["Mode"].get<std::string>().c_str(),
                i["Overlay"]["Reason"].get<std::string>().c_str());
    std::printf("Cgroups:     %s%s\n", i["Cgroups"]["Version"].get<std::string>().c_str(),
                i["Cgroups"]["Delegated"].get<bool>() ? " (delegated)" : " (not delegated)");
    std::printf("Seccomp:     %s\n", i["Seccomp"].get<std::string>().c_str());
    std::printf("Images:      %zu\n", i["Images"].get<size_t>());
    std::printf("Containers:  %zu\n", i["Containers"].get<size_t>());
    std::printf("Kernel:      %s\n", i["Kernel"].get<std::string>().c_str());
    for (const auto& w : i["Warnings"]) std::printf("WARNING: %s\n", w.get<std::string>().c_str());
  });

  auto version = app.add_subcommand("version", "Show the tug version information");
  version->callback([] {
    std::printf("tug version %s\n", TUG_VERSION);
    std::printf(" Built:      %s %s (static, C++20)\n", __DATE__, __TIME__);
    std::printf(" OS/Arch:    linux/amd64\n");
  });
}

}  // namespace tug
