// Image archives: save, load (also under `tug image`), and image history (also `tug history`).
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "cmd/cli.hpp"
#include "cmd/output.hpp"
#include "core/image_archive.hpp"
#include "core/image_history.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

const std::map<std::string, std::string> kHistoryHeaders = {
    {"ID", "IMAGE"},  {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"}, {"CreatedBy", "CREATED BY"},
    {"Size", "SIZE"}, {"Comment", "COMMENT"}};

void add_save_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    std::string output;
    std::string format = "docker-archive";
    std::vector<std::string> images;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("-o,--output", f->output, "Write to a file, instead of STDOUT");
  cmd->add_option("--format", f->format, "Archive format: docker-archive (default) or oci-archive");
  cmd->add_option("image", f->images, "Images to save")->required();
  cmd->callback([f, &globals] {
    ArchiveFormat format = parse_archive_format(f->format);
    if (!f->output.empty()) return save_images_to_file(globals.paths(), f->images, format, f->output);
    if (::isatty(STDOUT_FILENO)) fail("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    std::fflush(stdout);
    FdSink out(STDOUT_FILENO, "stdout");
    save_images(globals.paths(), f->images, format, out);
  });
}

void add_load_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    std::string input;
    bool quiet = false;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("-i,--input", f->input, "Read from tar archive file, instead of STDIN");
  // docker's -q only hides the progress bars; tug has none, the "Loaded image" lines stay.
  cmd->add_flag("-q,--quiet", f->quiet, "Suppress the load output");
  cmd->callback([f, &globals] {
    if (f->input.empty() && ::isatty(STDIN_FILENO)) fail("requested load from stdin, but stdin is empty");
    for (const auto& line : load_images(globals.paths(), f->input)) std::printf("%s\n", line.c_str());
  });
}

void add_history_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    bool no_trunc = false, quiet = false;
    std::string human = "true", format, image;
  };
  auto f = std::make_shared<Flags>();
  // An option rather than a flag so that docker's `-H=false` works: CLI11 reads "-H=false" on a
  // flag as -H followed by the flags "=false". The required image is never taken as its value.
  cmd->add_option("-H,--human", f->human, "Print sizes and dates in human readable format (default true)")
      ->expected(0, 1);
  cmd->add_flag("--no-trunc", f->no_trunc, "Don't truncate output");
  cmd->add_flag("-q,--quiet", f->quiet, "Only show image IDs");
  cmd->add_option("--format", f->format, "Format output using a Go template");
  cmd->add_option("image", f->image, "Image")->required();
  cmd->callback([f, &globals] {
    std::string human = f->human.starts_with('=') ? f->human.substr(1) : f->human;
    if (human.empty()) human = "true";  // a bare -H
    if (human != "true" && human != "false" && human != "1" && human != "0")
      fail(
          "invalid argument \"{}\" for \"-H, --human\" flag: strconv.ParseBool: parsing \"{}\": invalid "
          "syntax",
          human, human);
    HistoryStyle style{f->no_trunc, human == "true" || human == "1",
                       static_cast<int64_t>(std::time(nullptr))};
    auto rows = image_history_rows(globals.paths(), f->image, style);
    std::string format = f->format;
    if ((format.empty() || format == "table") && f->quiet) format = "{{.ID}}";
    std::string def = style.human
                          ? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
                          : "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
    print_listing(format, def, rows, kHistoryHeaders);
  });
}

}  // namespace

void register_archive_commands(CLI::App& app, const GlobalOptions& globals) {
  add_save_command(
      app.add_subcommand("save", "Save one or more images to a tar archive (streamed to STDOUT by default)"),
      globals);
  add_load_command(app.add_subcommand("load", "Load an image from a tar archive or STDIN"), globals);
  add_history_command(app.add_subcommand("history", "Show the history of an image"), globals);
  // `tug image` is created by register_image_commands, which main() calls first.
  CLI::App* image = nullptr;
  try {
    image = app.get_subcommand("image");
  } catch (const CLI::OptionNotFound&) {
    image = app.add_subcommand("image", "Manage images");
  }
  add_save_command(image->add_subcommand("save", "Save one or more images to a tar archive"), globals);
  add_load_command(image->add_subcommand("load", "Load an image from a tar archive or STDIN"), globals);
  add_history_command(image->add_subcommand("history", "Show the history of an image"), globals);
}

}  // namespace tug
