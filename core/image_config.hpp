// The rules docker applies to an image's config when it runs or changes it: Entrypoint/Cmd
// combination, environment merging, user lookup in the image's passwd/group files, and the
// Dockerfile-style `--change` instructions of import and commit.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace tug {

/// argv = entrypoint + cmd, with docker's overrides: a given --entrypoint drops the image's
/// Cmd unless a command is given too; a given command replaces the image's Cmd.
std::vector<std::string> combine_command(const Json& image_config,
                                         const std::optional<std::string>& entrypoint_flag,
                                         const std::vector<std::string>& cmd_args);

/// Image Env with `overrides` ("K=V" replaces K, bare "K" takes the caller's environment
/// value and is dropped when unset), order kept as docker keeps it.
std::vector<std::string> merge_env(const std::vector<std::string>& image_env,
                                   const std::vector<std::string>& overrides);

/// Parses an env file (K=V lines, # comments, bare K taken from the caller's environment).
std::vector<std::string> read_env_file(const std::string& path);

/// The value of K in a K=V list.
std::optional<std::string> env_value(const std::vector<std::string>& env, const std::string& key);

/// A resolved container user.
struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string home = "/";
};

/// Resolves "name", "uid", "name:group", "uid:gid" against the image's /etc/passwd and
/// /etc/group contents (either may be empty when the image has none).
ResolvedUser resolve_user(const std::string& spec, const std::string& passwd, const std::string& group);

/// Applies one Dockerfile-style instruction (CMD, ENTRYPOINT, ENV, WORKDIR, EXPOSE, USER,
/// LABEL, VOLUME, STOPSIGNAL) to an image config's "config" object.
void apply_change(Json& container_config, const std::string& instruction);

/// A Dockerfile command argument: JSON array form, or shell form wrapped in /bin/sh -c.
std::vector<std::string> parse_command_form(const std::string& text);

}  // namespace tug
