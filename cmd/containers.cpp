// Container management commands: rm, and inspect (containers or images).
#include <cstdio>

#include "cmd/cli.hpp"
#include "cmd/output.hpp"
#include "core/container_commands.hpp"
#include "core/container_store.hpp"
#include "core/image_commands.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

void add_rm_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    bool force = false, volumes = false;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_flag("-f,--force", f->force, "Force the removal of a running container (uses SIGKILL)");
  cmd->add_flag("-v,--volumes", f->volumes, "Remove anonymous volumes associated with the container");
  cmd->add_option("container", f->names, "Containers to remove")->required();
  cmd->callback([f, &globals] {
    for (const auto& n : remove_containers(globals.paths(), f->names, f->force, f->volumes))
      std::printf("%s\n", n.c_str());
  });
}

void add_inspect_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    std::string format, type;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("-f,--format", f->format, "Format output using a Go template");
  cmd->add_option("--type", f->type, "Return JSON for specified type (container, image)");
  cmd->add_option("name", f->names, "Containers or images")->required();
  cmd->callback([f, &globals] {
    StorePaths paths = globals.paths();
    ContainerStore containers(paths);
    ImageStore images(paths);
    std::vector<Json> objects;
    std::string errors;
    for (const auto& n : f->names) {
      if (f->type != "image") {
        if (auto id = containers.find(n)) {
          objects.push_back(container_inspect_json(paths, *id));
          continue;
        }
      }
      if (f->type != "container") {
        if (auto img = images.find(n)) {
          objects.push_back(image_inspect_json(*img));
          continue;
        }
      }
      errors += (errors.empty() ? "" : "\ntug: ") + std::string("No such object: ") + n;
    }
    print_inspect(f->format, objects);
    if (!errors.empty()) throw Error(errors);
  });
}

}  // namespace

void register_container_commands(CLI::App& app, const GlobalOptions& globals) {
  add_rm_command(app.add_subcommand("rm", "Remove one or more containers"), globals);
  add_inspect_command(app.add_subcommand("inspect", "Return low-level information on objects"), globals);
  auto container = app.add_subcommand("container", "Manage containers");
  container->require_subcommand(1);
  add_rm_command(container->add_subcommand("rm", "Remove one or more containers"), globals);
  add_inspect_command(container->add_subcommand("inspect", "Display detailed information on containers"),
                      globals);
}

}  // namespace tug
