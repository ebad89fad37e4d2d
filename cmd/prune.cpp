// `container prune`, `image prune`, `builder prune` and `system prune`: docker's prompts, lines
// and "Total reclaimed space".
#include <cstdio>
#include <iostream>
#include <string>

#include "cmd/cli.hpp"
#include "core/build/build_cache.hpp"
#include "core/container_commands.hpp"
#include "core/format/human_units.hpp"
#include "core/image_commands.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

// docker's confirmation: anything but y or Y declines (also end of input).
bool confirmed(const char* warning, bool force) {
  if (force) return true;
  std::printf("%s\nAre you sure you want to continue? [y/N] ", warning);
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y";
}

void print_section(const char* title, const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  std::printf("%s\n", title);
  for (const auto& l : lines) std::printf("%s\n", l.c_str());
  std::printf("\n");
}

void print_total(int64_t bytes) {
  std::printf("Total reclaimed space: %s\n", human_size(static_cast<double>(bytes)).c_str());
}

struct PruneFlags {
  bool force = false;
  bool all = false;
  std::vector<std::string> filters;
};

CLI::App* prune_command(CLI::App* parent, const char* help, const std::shared_ptr<PruneFlags>& f,
                        bool with_all, const char* all_help = "") {
  CLI::App* cmd = parent->add_subcommand("prune", help);
  cmd->add_flag("-f,--force", f->force, "Do not prompt for confirmation");
  if (with_all) cmd->add_flag("-a,--all", f->all, all_help);
  cmd->add_option("--filter", f->filters, "Provide filter values (not supported yet)")
      ->allow_extra_args(false);
  return cmd;
}

void refuse_filters(const PruneFlags& f) {
  if (!f.filters.empty()) fail("prune --filter is not supported yet");
}

}  // namespace

void register_prune_commands(CLI::App& app, const GlobalOptions& globals) {
  auto containers = std::make_shared<PruneFlags>();
  prune_command(app.get_subcommand("container"), "Remove all stopped containers", containers, false)
      ->callback([containers, &globals] {
        refuse_filters(*containers);
        if (!confirmed("WARNING! This will remove all stopped containers.", containers->force)) return;
        int64_t reclaimed = 0;
        print_section("Deleted Containers:", prune_containers(globals.paths(), reclaimed));
        print_total(reclaimed);
      });

  auto images = std::make_shared<PruneFlags>();
  prune_command(app.get_subcommand("image"), "Remove unused images", images, true,
                "Remove all unused images, not just dangling ones")
      ->callback([images, &globals] {
        refuse_filters(*images);
        const char* warning = images->all
                                  ? "WARNING! This will remove all images without at least one container "
                                    "associated to them."
                                  : "WARNING! This will remove all dangling images.";
        if (!confirmed(warning, images->force)) return;
        int64_t reclaimed = 0;
        print_section("Deleted Images:",
                      prune_images(globals.paths(), images->all ? ImagePrune::kUnused : ImagePrune::kDangling,
                                   reclaimed));
        print_total(reclaimed);
      });

  auto builder = std::make_shared<PruneFlags>();
  prune_command(app.get_subcommand("builder"), "Remove build cache", builder, true,
                "Remove all unused build cache")
      ->callback([builder, &globals] {
        refuse_filters(*builder);
        if (!confirmed("WARNING! This will remove all dangling build cache.", builder->force)) return;
        int64_t reclaimed = 0;
        print_section("Deleted build cache objects:", build::prune_build_cache(globals.paths(), reclaimed));
        std::printf("Total:\t%s\n", human_size(static_cast<double>(reclaimed)).c_str());
      });

  auto system = std::make_shared<PruneFlags>();
  // `system` holds only prune for now (info and version are top-level commands).
  CLI::App* system_cmd = app.add_subcommand("system", "Manage tug");
  prune_command(system_cmd, "Remove unused data", system, true,
                "Remove all unused images not just dangling ones")
      ->callback([system, &globals] {
        refuse_filters(*system);
        std::string warning =
            std::string("WARNING! This will remove:\n  - all stopped containers\n") +
            (system->all ? "  - all images without at least one container associated to them\n"
                         : "  - all dangling images\n") +
            "  - all build cache\n";
        if (!confirmed(warning.c_str(), system->force)) return;
        int64_t total = 0, part = 0;
        print_section("Deleted Containers:", prune_containers(globals.paths(), part));
        total += part;
        // Images first, then the build cache: a removed final image frees its steps' images.
        print_section(
            "Deleted Images:",
            prune_images(globals.paths(), system->all ? ImagePrune::kUnused : ImagePrune::kDangling, part));
        total += part;
        print_section("Deleted build cache objects:", build::prune_build_cache(globals.paths(), part));
        total += part;
        print_total(total);
      });
}

}  // namespace tug
