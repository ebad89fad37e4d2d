// ARG/ENV scoping for the builder (BuildKit's dockerfile2llb: meta args, dispatchArg, dispatchEnv).
#include "core/build/build_args.hpp"

#include <algorithm>
#include <array>

#include "util/error.hpp"

namespace tug::build {

namespace {

constexpr std::array<std::string_view, 10> kProxyArgs = {
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
    "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy",
};

std::string expand_at(const Dockerfile& dockerfile, int line, std::string_view text,
                      const VariableMap& variables) {
  LexOptions options;
  options.escape = dockerfile.escape;
  try {
    return expand_word(text, variables, options);
  } catch (const Error& e) {
    fail_at_line(dockerfile.file_name, line, e.what());
  }
}

}  // namespace

bool is_predefined_proxy_arg(std::string_view name) {
  return std::find(kProxyArgs.begin(), kProxyArgs.end(), name) != kProxyArgs.end();
}

std::string platform_string(const Platform& platform) {
  std::string out = platform.os + "/" + platform.architecture;
  if (!platform.variant.empty()) out += "/" + platform.variant;
  return out;
}

VariableMap automatic_platform_args(const Platform& build, const Platform& target) {
  return {
      {"BUILDPLATFORM", platform_string(build)},   {"BUILDOS", build.os},
      {"BUILDARCH", build.architecture},           {"BUILDVARIANT", build.variant},
      {"TARGETPLATFORM", platform_string(target)}, {"TARGETOS", target.os},
      {"TARGETARCH", target.architecture},         {"TARGETVARIANT", target.variant},
  };
}

VariableMap global_scope(const Dockerfile& dockerfile, const VariableMap& build_args,
                         const VariableMap& automatic) {
  VariableMap scope = automatic;
  for (const auto& instruction : dockerfile.global_args) {
    for (const auto& declaration : instruction.as<ArgInstruction>()->args) {
      if (auto given = build_args.find(declaration.name); given != build_args.end()) {
        scope[declaration.name] = given->second;
      } else if (declaration.default_value) {
        scope[declaration.name] =
            expand_at(dockerfile, instruction.lines.first, *declaration.default_value, scope);
      }
    }
  }
  return scope;
}

ExpandedFrom expand_from(const Dockerfile& dockerfile, const Stage& stage, const VariableMap& global) {
  ExpandedFrom from;
  from.image = expand_at(dockerfile, stage.lines.first, stage.base_image, global);
  if (!stage.platform.empty())
    from.platform = expand_at(dockerfile, stage.lines.first, stage.platform, global);
  return from;
}

StageScope::StageScope(const Dockerfile& dockerfile, VariableMap build_args, VariableMap global,
                       const std::vector<std::string>& image_env)
    : file_name_(dockerfile.file_name),
      escape_(dockerfile.escape),
      build_args_(std::move(build_args)),
      global_(std::move(global)) {
  for (const auto& entry : image_env) {
    size_t eq = entry.find('=');
    set_env(entry.substr(0, eq), eq == std::string::npos ? "" : entry.substr(eq + 1));
  }
}

void StageScope::apply(const Instruction& instruction) {
  if (const auto* arg = instruction.as<ArgInstruction>()) {
    for (const auto& declaration : arg->args) declare(declaration, instruction.lines.first);
  } else if (const auto* env = instruction.as<EnvInstruction>()) {
    // All pairs of one ENV line see the variables from before the line (docker's documented
    // `ENV abc=bye def=$abc` gives def the old abc).
    VariableMap before = variables();
    LexOptions options;
    options.escape = escape_;
    std::vector<std::pair<std::string, std::string>> expanded;
    for (const auto& pair : env->variables) {
      try {
        expanded.emplace_back(expand_word(pair.key, before, options),
                              expand_word(pair.value, before, options));
      } catch (const Error& e) {
        fail_at_line(file_name_, instruction.lines.first, e.what());
      }
    }
    for (const auto& [key, value] : expanded) set_env(key, value);
  }
}

void StageScope::declare(const ArgDeclaration& declaration, int line) {
  std::optional<std::string> value;
  if (auto given = build_args_.find(declaration.name); given != build_args_.end()) {
    value = given->second;
  } else if (declaration.default_value) {
    // Each ARG of a line already sees the ones before it on the same line.
    LexOptions options;
    options.escape = escape_;
    try {
      value = expand_word(*declaration.default_value, variables(), options);
    } catch (const Error& e) {
      fail_at_line(file_name_, line, e.what());
    }
  } else if (auto global = global_.find(declaration.name); global != global_.end()) {
    value = global->second;
  }
  auto existing =
      std::find_if(args_.begin(), args_.end(), [&](const auto& a) { return a.first == declaration.name; });
  if (existing != args_.end()) {
    existing->second = value;
  } else {
    args_.emplace_back(declaration.name, value);
  }
}

void StageScope::set_env(const std::string& key, const std::string& value) {
  auto existing = std::find_if(env_.begin(), env_.end(), [&](const auto& e) { return e.first == key; });
  if (existing != env_.end()) {
    existing->second = value;
  } else {
    env_.emplace_back(key, value);
  }
}

VariableMap StageScope::variables() const {
  VariableMap out;
  for (const auto& [name, value] : args_) {
    if (value) out[name] = *value;
  }
  for (const auto& [key, value] : env_) out[key] = value;
  return out;
}

std::vector<std::string> StageScope::run_environment() const {
  std::vector<std::string> out;
  VariableMap seen;
  for (const auto& [key, value] : env_) {
    out.push_back(key + "=" + value);
    seen[key] = value;
  }
  for (const auto& [name, value] : args_) {
    if (value && !seen.contains(name)) {
      out.push_back(name + "=" + *value);
      seen[name] = *value;
    }
  }
  for (const auto& [name, value] : build_args_) {
    if (is_predefined_proxy_arg(name) && !seen.contains(name)) out.push_back(name + "=" + value);
  }
  return out;
}

std::vector<std::string> StageScope::image_env() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : env_) out.push_back(key + "=" + value);
  return out;
}

}  // namespace tug::build
