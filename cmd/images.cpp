// Image commands: images (image ls), import, rmi (image rm), tag, image inspect.
#include <cstdio>

#include "cmd/cli.hpp"
#include "cmd/output.hpp"
#include "core/image_commands.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

const std::map<std::string, std::string> kImageHeaders = {{"Repository", "REPOSITORY"},
                                                          {"Tag", "TAG"},
                                                          {"ID", "IMAGE ID"},
                                                          {"CreatedSince", "CREATED"},
                                                          {"CreatedAt", "CREATED AT"},
                                                          {"Size", "SIZE"},
                                                          {"Digest", "DIGEST"},
                                                          {"Containers", "CONTAINERS"},
                                                          {"SharedSize", "SHARED SIZE"},
                                                          {"UniqueSize", "UNIQUE SIZE"},
                                                          {"VirtualSize", "VIRTUAL SIZE"}};

void add_images_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    bool quiet = false, no_trunc = false, all = false, digests = false;
    std::string format;
    std::vector<std::string> repo;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_flag("-q,--quiet", f->quiet, "Only show image IDs");
  cmd->add_flag("--no-trunc", f->no_trunc, "Don't truncate output");
  cmd->add_flag("-a,--all", f->all, "Show all images");
  cmd->add_flag("--digests", f->digests, "Show digests");
  cmd->add_option("--format", f->format, "Format output using a Go template");
  cmd->add_option("repository", f->repo, "Only show images of this repository[:tag]");
  cmd->callback([f, &globals] {
    auto rows = image_list_rows(globals.paths(), f->no_trunc, f->all);
    if (!f->repo.empty()) {
      std::string want = f->repo.front();
      std::vector<Json> kept;
      for (auto& r : rows) {
        std::string repo = r["Repository"], tag = r["Tag"];
        if (want == repo || want == repo + ":" + tag) kept.push_back(r);
      }
      rows = kept;
    }
    if (f->quiet) {
      std::vector<std::string> seen;
      for (const auto& r : rows) {
        std::string id = r["ID"];
        if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
        seen.push_back(id);
        std::printf("%s\n", id.c_str());
      }
      return;
    }
    std::string def =
        f->digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                   : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    print_listing(f->format, def, rows, kImageHeaders);
  });
}

void add_rmi_command(CLI::App* cmd, const GlobalOptions& globals) {
  auto force = std::make_shared<bool>(false);
  auto names = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("-f,--force", *force, "Force removal of the image");
  auto no_prune = std::make_shared<bool>(false);
  cmd->add_flag("--no-prune", *no_prune, "Do not delete untagged parents (accepted for compatibility)");
  cmd->add_option("image", *names, "Images to remove")->required();
  cmd->callback([force, names, no_prune, &globals] {
    for (const auto& line : remove_images(globals.paths(), *names, *force)) std::printf("%s\n", line.c_str());
  });
}

void add_tag_command(CLI::App* cmd, const GlobalOptions& globals) {
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  cmd->add_option("source", *src, "SOURCE_IMAGE[:TAG]")->required();
  cmd->add_option("target", *dst, "TARGET_IMAGE[:TAG]")->required();
  cmd->callback([src, dst, &globals] { tag_image(globals.paths(), *src, *dst); });
}

void add_import_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    std::string source, ref, message, platform;
    std::vector<std::string> changes;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("-c,--change", f->changes, "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", f->message, "Set commit message for imported image");
  cmd->add_option("--platform", f->platform, "Set platform if server is multi-platform capable");
  cmd->add_option("file", f->source, "FILE|- (a rootfs tarball, optionally compressed)")->required();
  cmd->add_option("reference", f->ref, "REPOSITORY[:TAG]");
  cmd->callback([f, &globals] {
    std::string id = import_image(globals.paths(), f->source, f->ref, f->changes, f->message);
    std::printf("%s\n", id.c_str());
  });
}

void add_image_inspect_command(CLI::App* cmd, const GlobalOptions& globals) {
  auto format = std::make_shared<std::string>();
  auto names = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-f,--format", *format, "Format output using a Go template");
  cmd->add_option("image", *names, "Images to inspect")->required();
  cmd->callback([format, names, &globals] {
    ImageStore store(globals.paths());
    std::vector<Json> objects;
    std::string missing;
    for (const auto& n : *names) {
      auto img = store.find(n);
      if (!img) {
        missing += (missing.empty() ? "" : "\n") + std::string("Error: No such image: ") + n;
        continue;
      }
      objects.push_back(image_inspect_json(*img));
    }
    print_inspect(*format, objects);
    if (!missing.empty()) throw Error(missing.substr(7));
  });
}

}  // namespace

void register_image_commands(CLI::App& app, const GlobalOptions& globals) {
  add_images_command(app.add_subcommand("images", "List images"), globals);
  add_rmi_command(app.add_subcommand("rmi", "Remove one or more images"), globals);
  add_tag_command(app.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"),
                  globals);
  add_import_command(
      app.add_subcommand("import", "Import the contents from a tarball to create a filesystem image"),
      globals);
  auto image = app.add_subcommand("image", "Manage images");
  image->require_subcommand(1);
  add_images_command(image->add_subcommand("ls", "List images")->alias("list"), globals);
  add_rmi_command(image->add_subcommand("rm", "Remove one or more images")->alias("remove"), globals);
  add_tag_command(image->add_subcommand("tag", "Create a tag"), globals);
  add_import_command(image->add_subcommand("import", "Import a tarball"), globals);
  add_image_inspect_command(
      image->add_subcommand("inspect", "Display detailed information on one or more images"), globals);
}

}  // namespace tug
