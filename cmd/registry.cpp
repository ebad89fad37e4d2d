// Registry commands: pull, push, login, logout, with docker's flags and output.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cmd/cli.hpp"
#include "cmd/transfer_printer.hpp"
#include "core/login.hpp"
#include "core/pull.hpp"
#include "core/push.hpp"
#include "util/error.hpp"

namespace tug {

namespace {

/// --tls-verify[=false]: podman's flag; false also allows plain http.
void add_tls_verify_flag(CLI::App* cmd, bool& tls_verify) {
  cmd->add_flag("--tls-verify{true}", tls_verify,
                "Require HTTPS and verify certificates (false also allows plain http)")
      ->default_val(true);
}

void add_pull_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    bool quiet = false, all_tags = false, tls_verify = true;
    std::string platform, name;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_flag("-q,--quiet", f->quiet, "Suppress verbose output");
  cmd->add_flag("-a,--all-tags", f->all_tags, "Download all tagged images in the repository");
  cmd->add_option("--platform", f->platform, "Set platform if server is multi-platform capable");
  add_tls_verify_flag(cmd, f->tls_verify);
  cmd->add_option("name", f->name, "NAME[:TAG|@DIGEST]")->required();
  cmd->callback([f, &globals] {
    if (f->all_tags) fail("--all-tags is not supported yet: pull the tags one by one");
    PullOptions options = pull_options_from_env();
    options.platform = f->platform;
    options.registry.tls_verify = f->tls_verify;
    SilentObserver silent;
    TransferPrinter printer(stdout);
    TransferObserver& progress = f->quiet ? static_cast<TransferObserver&>(silent) : printer;
    PullResult result = pull_image(globals.paths(), f->name, options, progress);
    std::printf("%s\n", result.reference.c_str());
  });
}

void add_push_command(CLI::App* cmd, const GlobalOptions& globals) {
  struct Flags {
    bool quiet = false, tls_verify = true;
    std::string name;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_flag("-q,--quiet", f->quiet, "Suppress verbose output");
  add_tls_verify_flag(cmd, f->tls_verify);
  cmd->add_option("name", f->name, "NAME[:TAG]")->required();
  cmd->callback([f, &globals] {
    PushOptions options = push_options_from_env();
    options.registry.tls_verify = f->tls_verify;
    SilentObserver silent;
    TransferPrinter printer(stdout);
    TransferObserver& progress = f->quiet ? static_cast<TransferObserver&>(silent) : printer;
    push_image(globals.paths(), f->name, options, progress);
    if (f->quiet) std::printf("%s\n", f->name.c_str());
  });
}

/// Reads one line from the terminal, without echo when `secret`.
std::string prompt(const char* question, bool secret) {
  if (!::isatty(STDIN_FILENO)) fail("Cannot perform an interactive login from a non TTY device");
  std::fprintf(stderr, "%s", question);
  std::fflush(stderr);
  termios saved{};
  bool restore = secret && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (restore) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fprintf(stderr, "\n");
  }
  return line;
}

void add_login_command(CLI::App* cmd) {
  struct Flags {
    std::string username, password, server;
    bool password_stdin = false, tls_verify = true;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("-u,--username", f->username, "Username");
  cmd->add_option("-p,--password", f->password, "Password");
  cmd->add_flag("--password-stdin", f->password_stdin, "Take the password from stdin");
  add_tls_verify_flag(cmd, f->tls_verify);
  cmd->add_option("server", f->server, "SERVER");
  cmd->callback([cmd, f] {
    if (f->password_stdin) {
      if (cmd->count("--password")) fail("--password and --password-stdin are mutually exclusive");
      if (f->username.empty()) fail("Must provide --username with --password-stdin");
      std::string all, line;
      while (std::getline(std::cin, line)) all += line + "\n";
      while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
      f->password = all;
    } else if (cmd->count("--password")) {
      std::fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    }
    if (f->username.empty()) f->username = prompt("Username: ", false);
    if (f->username.empty()) fail("Error: Non-null Username Required");
    if (f->password.empty()) f->password = prompt("Password: ", true);
    if (f->password.empty()) fail("Error: Non-null Password Required");
    RegistryOptions options = registry_options_from_env();
    options.tls_verify = f->tls_verify;
    Credentials credentials;
    credentials.username = f->username;
    credentials.password = f->password;
    login(login_registry(f->server), credentials, options);
    std::printf("Login Succeeded\n");
  });
}

void add_logout_command(CLI::App* cmd) {
  auto server = std::make_shared<std::string>();
  cmd->add_option("server", *server, "SERVER");
  cmd->callback([server] {
    std::string registry = login_registry(*server);
    std::string shown = server->empty() ? credential_key(registry) : registry;
    if (logout(registry))
      std::printf("Removing login credentials for %s\n", shown.c_str());
    else
      std::printf("Not logged in to %s\n", shown.c_str());
  });
}

}  // namespace

void register_registry_commands(CLI::App& app, const GlobalOptions& globals) {
  add_pull_command(app.add_subcommand("pull", "Download an image from a registry"), globals);
  add_push_command(app.add_subcommand("push", "Upload an image to a registry"), globals);
  add_login_command(app.add_subcommand("login", "Log in to a registry"));
  add_logout_command(app.add_subcommand("logout", "Log out from a registry"));
  CLI::App* image = app.get_subcommand("image");  // made by register_image_commands, called first
  add_pull_command(image->add_subcommand("pull", "Download an image from a registry"), globals);
  add_push_command(image->add_subcommand("push", "Upload an image to a registry"), globals);
}

}  // namespace tug
