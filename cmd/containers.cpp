// Container management commands: ps, rm, inspect (containers or images), rename, port, top,
// and their `tug container ...` forms (ls/list/ps, rm/remove, inspect, rename, port, top).
#include <cstdio>

#include "cmd/cli.hpp"
#include "cmd/output.hpp"
#include "core/container_commands.hpp"
#include "core/container_list.hpp"
#include "core/container_store.hpp"
#include "core/container_top.hpp"
#include "core/image_commands.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

const std::map<std::string, std::string> kContainerHeaders = {{"ID", "CONTAINER ID"},
                                                              {"Names", "NAMES"},
                                                              {"Image", "IMAGE"},
                                                              {"Command", "COMMAND"},
                                                              {"CreatedAt", "CREATED AT"},
                                                              {"RunningFor", "CREATED"},
                                                              {"Ports", "PORTS"},
                                                              {"State", "STATE"},
                                                              {"Status", "STATUS"},
                                                              {"Size", "SIZE"},
                                                              {"Labels", "LABELS"},
                                                              {"Mounts", "MOUNTS"},
                                                              {"LocalVolumes", "LOCAL VOLUMES"},
                                                              {"Networks", "NETWORKS"}};

constexpr const char* kDefaultPsFormat =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

void add_ps_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    bool quiet = false, latest = false;
    std::string format;
    ContainerListOptions list;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_flag("-a,--all", f->list.all, "Show all containers (default shows just running)");
  cmd->add_option("-f,--filter", f->list.filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->add_option("--format", f->format, "Format output using a custom template");
  cmd->add_option("-n,--last", f->list.last, "Show n last created containers (includes all states)");
  cmd->add_flag("-l,--latest", f->latest, "Show the latest created container (includes all states)");
  cmd->add_flag("--no-trunc", f->list.no_trunc, "Don't truncate output");
  cmd->add_flag("-q,--quiet", f->quiet, "Only display container IDs");
  cmd->add_flag("-s,--size", f->list.size, "Display total file sizes");
  cmd->callback([f, &globals] {
    ContainerListOptions options = f->list;
    if (f->latest && options.last == -1) options.last = 1;
    // docker asks for sizes when the template shows them, `{{json .}}` included.
    if (!f->quiet &&
        (f->format.find("Size") != std::string::npos || f->format.find("json") != std::string::npos))
      options.size = true;
    std::vector<Json> rows = container_list_rows(globals.paths(), options);
    if (f->quiet) {
      for (const auto& r : rows) std::printf("%s\n", r["ID"].get<std::string>().c_str());
      return;
    }
    std::string def = kDefaultPsFormat;
    if (f->list.size) def += "\t{{.Size}}";
    print_listing(f->format, def, rows, kContainerHeaders);
  });
}

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

void add_inspect_command(CLI::App* cmd, const GlobalOptions& globals, bool containers_only) {
  struct Flags {
    std::string format, type;
    bool size = false;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("-f,--format", f->format, "Format output using a Go template");
  cmd->add_flag("-s,--size", f->size, "Display total file sizes if the type is container");
  if (!containers_only)
    cmd->add_option("--type", f->type, "Return JSON for specified type (container, image)");
  cmd->add_option("name", f->names, "Containers or images")->required();
  cmd->callback([f, &globals, containers_only] {
    StorePaths paths = globals.paths();
    ContainerStore containers(paths);
    ImageStore images(paths);
    std::string type = containers_only ? "container" : f->type;
    std::vector<Json> objects;
    std::string errors;
    for (const auto& n : f->names) {
      if (type != "image") {
        if (auto id = containers.find(n)) {
          objects.push_back(container_inspect_json(paths, *id, f->size));
          continue;
        }
      }
      if (type != "container") {
        if (auto img = images.find(n)) {
          objects.push_back(image_inspect_json(*img));
          continue;
        }
      }
      if (!errors.empty()) errors += "\ntug: ";
      errors += containers_only ? "No such container: " : "No such object: ";
      errors += n;
    }
    print_inspect(f->format, objects);
    if (!errors.empty()) throw Error(errors);
  });
}

void add_rename_command(CLI::App* cmd, const GlobalOptions& globals) {
  auto names = std::make_shared<std::pair<std::string, std::string>>();
  cmd->add_option("container", names->first, "CONTAINER")->required();
  cmd->add_option("new_name", names->second, "NEW_NAME")->required();
  cmd->callback([names, &globals] { rename_container(globals.paths(), names->first, names->second); });
}

void add_port_command(CLI::App* cmd, const GlobalOptions& globals) {
  auto args = std::make_shared<std::pair<std::string, std::string>>();
  cmd->add_option("container", args->first, "CONTAINER")->required();
  cmd->add_option("port", args->second, "PRIVATE_PORT[/PROTO]");
  cmd->callback([args, &globals] {
    for (const auto& line : container_port_lines(globals.paths(), args->first, args->second))
      std::printf("%s\n", line.c_str());
  });
}

void add_top_command(CLI::App* cmd, const GlobalOptions& globals) {
  // Everything after the container's name is ps's options, never tug's flags.
  cmd->prefix_command();
  cmd->callback([cmd, &globals] {
    auto rest = cmd->remaining();
    if (rest.empty()) fail("\"top\" requires at least 1 argument.\nSee 'tug top --help'.");
    if (rest.front().size() > 1 && rest.front()[0] == '-')
      fail("unknown flag: {}\nSee 'tug top --help'.", rest.front());
    std::vector<std::string> ps_args(rest.begin() + 1, rest.end());
    std::string out = format_process_table(container_top(globals.paths(), rest.front(), ps_args));
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace

void register_container_commands(CLI::App& app, const GlobalOptions& globals) {
  add_ps_command(app.add_subcommand("ps", "List containers"), globals);
  add_rm_command(app.add_subcommand("rm", "Remove one or more containers"), globals);
  add_inspect_command(app.add_subcommand("inspect", "Return low-level information on objects"), globals,
                      false);
  add_rename_command(app.add_subcommand("rename", "Rename a container"), globals);
  add_port_command(app.add_subcommand("port", "List port mappings or a specific mapping for the container"),
                   globals);
  add_top_command(app.add_subcommand("top", "Display the running processes of a container"), globals);

  auto container = app.add_subcommand("container", "Manage containers");
  container->require_subcommand(1);
  add_ps_command(container->add_subcommand("ls", "List containers")->alias("list")->alias("ps"), globals);
  add_rm_command(container->add_subcommand("rm", "Remove one or more containers")->alias("remove"), globals);
  add_inspect_command(
      container->add_subcommand("inspect", "Display detailed information on one or more containers"), globals,
      true);
  add_rename_command(container->add_subcommand("rename", "Rename a container"), globals);
  add_port_command(
      container->add_subcommand("port", "List port mappings or a specific mapping for the container"),
      globals);
  add_top_command(container->add_subcommand("top", "Display the running processes of a container"), globals);
}

}  // namespace tug
