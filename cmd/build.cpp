// `tug build` (alias `builder build`): docker build's flags onto the builder.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "cmd/cli.hpp"
#include "cmd/transfer_printer.hpp"
#include "core/build/builder.hpp"
#include "registry/manifest.hpp"
#include "registry/reference.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

struct BuildFlags {
  build::BuildOptions options;
  std::string context;
  std::string iidfile;
  std::string platform;
  std::unique_ptr<TransferPrinter> printer;
};

void add_build_command(CLI::App* cmd, const GlobalOptions& globals) {
  auto f = std::make_shared<BuildFlags>();
  build::BuildOptions& o = f->options;
  cmd->add_option("-t,--tag", o.tags, "Name and optionally a tag in the \"name:tag\" format")
      ->allow_extra_args(false);
  cmd->add_option("-f,--file", o.dockerfile, "Name of the Dockerfile (Default is \"PATH/Dockerfile\")");
  cmd->add_option("--build-arg", o.build_args, "Set build-time variables")->allow_extra_args(false);
  cmd->add_option("--label", o.labels, "Set metadata for an image")->allow_extra_args(false);
  cmd->add_option("--target", o.target, "Set the target build stage to build");
  cmd->add_option("--network", o.network, "Set the networking mode for the RUN instructions during build");
  cmd->add_flag("--no-cache", o.no_cache, "Do not use cache when building the image");
  cmd->add_flag("--pull", o.pull, "Always attempt to pull a newer version of the image");
  cmd->add_flag("-q,--quiet", o.quiet, "Suppress the build output and print image ID on success");
  cmd->add_option("--iidfile", f->iidfile, "Write the image ID to the file");
  cmd->add_option("--platform", f->platform, "Set platform if server is multi-platform capable");
  cmd->add_option("context", f->context, "PATH | - (the Dockerfile from stdin, no context)");
  cmd->callback([cmd, f, &globals] {
    build::BuildOptions& o = f->options;
    if (f->context.empty()) fail("\"tug build\" requires exactly 1 argument.\nSee 'tug build --help'.");
    for (const auto& t : o.tags) {
      try {
        parse_reference(t);
      } catch (const Error&) {
        fail("invalid argument \"{}\" for \"-t, --tag\" flag: invalid reference format", t);
      }
    }
    if (!f->platform.empty() &&
        normalize_platform(parse_platform(f->platform)).str() != host_platform().str())
      fail("--platform {}: only the host's platform ({}) can be built", f->platform, host_platform().str());
    if (o.network != "default" && o.network != "none" && o.network != "host")
      fail("network mode \"{}\" not supported by buildkit", o.network);
    if (o.network == "default") o.network = "none";
    (void)cmd;

    std::string empty_context;
    if (f->context == "-" || o.dockerfile == "-") {
      o.dockerfile_text = std::string(std::istreambuf_iterator<char>(std::cin), {});
    }
    if (f->context == "-") {
      // No context: COPY finds nothing, as with `docker build - < Dockerfile`.
      std::string tmpl =
          (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : "/tmp") + "/tug-build-XXXXXX";
      if (!::mkdtemp(tmpl.data())) fail_errno("create an empty build context");
      empty_context = tmpl;
      o.context_dir = tmpl;
    } else {
      struct stat st {};
      if (::stat(f->context.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        fail("unable to prepare context: path \"{}\" not found", f->context);
      o.context_dir = f->context;
    }
    struct RemoveEmpty {
      std::string dir;
      ~RemoveEmpty() {
        if (!dir.empty()) ::rmdir(dir.c_str());
      }
    } remove_empty{empty_context};

    o.pull_options = pull_options_from_env();
    f->printer = std::make_unique<TransferPrinter>(stderr);
    o.pull_progress = f->printer.get();
    std::string id = build::build_image(globals.paths(), o);
    if (!f->iidfile.empty()) write_file_atomic(f->iidfile, id, 0644, false);
  });
}

}  // namespace

void register_build_commands(CLI::App& app, const GlobalOptions& globals) {
  add_build_command(app.add_subcommand("build", "Build an image from a Dockerfile"), globals);
  auto builder = app.add_subcommand("builder", "Manage builds");
  add_build_command(builder->add_subcommand("build", "Build an image from a Dockerfile"), globals);
}

}  // namespace tug
