// Container commands: diff, commit, cp, export (also under `tug container`).
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cmd/cli.hpp"
#include "core/container_changes.hpp"
#include "core/container_commit.hpp"
#include "core/container_copy.hpp"
#include "core/container_export.hpp"
#include "core/container_store.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

void add_diff(CLI::App* cmd, const GlobalOptions& globals) {
  auto name = std::make_shared<std::string>();
  cmd->add_option("container", *name, "Container")->required();
  cmd->callback([name, &globals] {
    StorePaths paths = globals.paths();
    std::string id = ContainerStore(paths).resolve(*name);
    for (const auto& c : container_changes(paths, id))
      std::printf("%s %s\n", change_letter(c.kind), c.path.c_str());
  });
}

void add_commit(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    std::string container, pause = "true";
    CommitOptions options;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("-a,--author", f->options.author,
                  "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
  cmd->add_option("-c,--change", f->options.changes, "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", f->options.message, "Commit message");
  // An option rather than a flag so that docker's `-p=false` / `--pause=false` work.
  cmd->add_option("-p,--pause", f->pause, "Pause container during commit (default true)")->expected(0, 1);
  cmd->add_option("container", f->container, "Container")->required();
  cmd->add_option("repository", f->options.reference, "REPOSITORY[:TAG]");
  cmd->callback([f, &globals] {
    std::string pause = f->pause.starts_with('=') ? f->pause.substr(1) : f->pause;
    if (pause.empty() || pause == "true" || pause == "1") {
      f->options.pause = true;
    } else if (pause == "false" || pause == "0") {
      f->options.pause = false;
    } else if (!f->pause.starts_with('=') && f->options.reference.empty()) {
      // A bare `-p` took the container as its value (`commit -p c img`): shift the positionals.
      f->options.reference = f->container;
      f->container = f->pause;
      f->options.pause = true;
    } else {
      fail(
          "invalid argument \"{}\" for \"-p, --pause\" flag: strconv.ParseBool: parsing \"{}\": invalid "
          "syntax",
          pause, pause);
    }
    StorePaths paths = globals.paths();
    std::string id = ContainerStore(paths).resolve(f->container);
    std::printf("%s\n", commit_container(paths, id, f->options).c_str());
  });
}

void add_cp(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    std::string src, dst;
    bool quiet = false;
    CopyOptions options;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_flag("-a,--archive", f->options.archive, "Archive mode (copy all uid/gid information)");
  cmd->add_flag("-L,--follow-link", f->options.follow_link, "Always follow symbol link in SRC_PATH");
  // tug prints no progress; accepted for docker's scripts.
  cmd->add_flag("-q,--quiet", f->quiet, "Suppress progress output during copy");
  cmd->add_option("src", f->src, "CONTAINER:SRC_PATH or SRC_PATH|-")->required();
  cmd->add_option("dst", f->dst, "DEST_PATH|- or CONTAINER:DEST_PATH")->required();
  cmd->callback([f, &globals] {
    if (f->src.empty()) fail("source can not be empty");
    if (f->dst.empty()) fail("destination can not be empty");
    auto [src_container, src_path] = split_cp_arg(f->src);
    auto [dst_container, dst_path] = split_cp_arg(f->dst);
    if (!src_container.empty() && !dst_container.empty()) fail("copying between containers is not supported");
    if (src_container.empty() && dst_container.empty()) fail("must specify at least one container source");
    StorePaths paths = globals.paths();
    ContainerStore store(paths);
    if (!src_container.empty()) {
      copy_from_container(paths, src_container, store.resolve(src_container), src_path, dst_path, f->options);
    } else {
      copy_to_container(paths, dst_container, store.resolve(dst_container), src_path, dst_path, f->options);
    }
  });
}

void add_export(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    std::string container, output;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("-o,--output", f->output, "Write to a file, instead of STDOUT");
  cmd->add_option("container", f->container, "Container")->required();
  cmd->callback([f, &globals] {
    StorePaths paths = globals.paths();
    std::string id = ContainerStore(paths).resolve(f->container);
    if (!f->output.empty()) return export_container_to_file(paths, id, f->output);
    if (::isatty(STDOUT_FILENO)) fail("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    std::fflush(stdout);
    export_container(paths, id, STDOUT_FILENO);
  });
}

void add_all(CLI::App& parent, const GlobalOptions& globals) {
  add_diff(
      parent.add_subcommand("diff", "Inspect changes to files or directories on a container's filesystem"),
      globals);
  add_commit(parent.add_subcommand("commit", "Create a new image from a container's changes"), globals);
  add_cp(parent.add_subcommand("cp", "Copy files/folders between a container and the local filesystem"),
         globals);
  add_export(parent.add_subcommand("export", "Export a container's filesystem as a tar archive"), globals);
}

}  // namespace

void register_container_fs_commands(CLI::App& app, const GlobalOptions& globals) {
  add_all(app, globals);
  try {
    if (CLI::App* container = app.get_subcommand("container")) add_all(*container, globals);
  } catch (const CLI::OptionNotFound&) {
    // `container` is registered by cmd/containers.cpp; without it there is no group to join.
  }
}

}  // namespace tug
