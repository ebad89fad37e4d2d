// Which variables a Dockerfile instruction sees: docker's ARG and ENV scoping.
//
// - ARGs before the first FROM form the global scope, which only FROM lines see; a stage sees a
//   global ARG only after re-declaring it (`ARG NAME` without a value takes the global value).
// - The automatic platform args (BUILDPLATFORM, TARGETARCH...) start in the global scope.
// - A --build-arg value replaces an ARG's default; an ARG that is never declared gets nothing,
//   except the predefined proxy args (HTTP_PROXY...), which reach RUN without a declaration.
// - ENV, including the base image's, overrides an ARG of the same name (docker's reference:
//   "Environment variables defined using the ENV instruction always override an ARG instruction
//   of the same name"). ARGs are not written to the image's environment.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/build/dockerfile.hpp"
#include "core/build/shell_lexer.hpp"

namespace tug::build {

/// HTTP_PROXY, https_proxy, NO_PROXY, ALL_PROXY... (both cases): usable by RUN from --build-arg
/// without an ARG line, and left out of the image history like docker does.
bool is_predefined_proxy_arg(std::string_view name);

/// An OCI platform: os, architecture and optional variant ("linux", "arm64", "v8").
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
};

/// "os/arch" or "os/arch/variant".
std::string platform_string(const Platform& platform);

/// BUILDPLATFORM BUILDOS BUILDARCH BUILDVARIANT TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT
/// (variants "" when there is none), the args docker defines in the global scope.
VariableMap automatic_platform_args(const Platform& build, const Platform& target);

/// The global scope FROM lines see: `automatic` (the platform args), then each ARG before the
/// first FROM in order: its --build-arg value, else its default expanded with the scope so far,
/// else left as it was. Throws "<file>:<line>: failed to process ..." for a bad default.
VariableMap global_scope(const Dockerfile& dockerfile, const VariableMap& build_args,
                         const VariableMap& automatic);

/// A stage's FROM with the global scope expanded: the image to pull (or stage to start from)
/// and its --platform.
struct ExpandedFrom {
  std::string image;
  std::string platform;
};
ExpandedFrom expand_from(const Dockerfile& dockerfile, const Stage& stage, const VariableMap& global);

/// The variables of one stage while its instructions are built, in order. Per instruction the
/// builder calls expand_instruction(dockerfile, instruction, scope.variables()) and then
/// scope.apply(instruction) so ARG and ENV take effect for the instructions after it.
class StageScope {
 public:
  /// `image_env` is the base image's Env ("K=V"), `global` the result of global_scope().
  StageScope(const Dockerfile& dockerfile, VariableMap build_args, VariableMap global,
             const std::vector<std::string>& image_env);

  /// ARG: declares each name (--build-arg value, else the default expanded now, else the
  /// global ARG's value, else declared without value). ENV: expands and records the values.
  /// Other instructions change nothing. Throws "<file>:<line>: failed to process ...".
  void apply(const Instruction& instruction);

  /// What the next instruction expands with: declared ARGs that have a value, then ENV over them.
  VariableMap variables() const;

  /// The environment of a RUN ("K=V"): ENV in image order, then ARGs ENV does not shadow, then
  /// proxy --build-args that no ARG declared.
  std::vector<std::string> run_environment() const;

  /// The image's Env after this stage ("K=V", docker's order: replaced in place, new appended).
  std::vector<std::string> image_env() const;

 private:
  void declare(const ArgDeclaration& declaration, int line);
  void set_env(const std::string& key, const std::string& value);

  std::string file_name_;
  char escape_;
  VariableMap build_args_;
  VariableMap global_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::vector<std::pair<std::string, std::optional<std::string>>> args_;
};

}  // namespace tug::build
