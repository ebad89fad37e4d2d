// Variable expansion of instructions and docker's ARG/ENV scoping, as the builder will use them.
#include "core/build/build_args.hpp"

#include <doctest/doctest.h>

#include "core/build/instruction_expand.hpp"
#include "util/error.hpp"

namespace tug::build {
namespace {

using Strings = std::vector<std::string>;

const Platform kAmd64{"linux", "amd64", ""};
const Platform kArm{"linux", "arm", "v7"};

/// Runs a stage's instructions through a scope the way the builder will, returning the scope.
StageScope walk_stage(const Dockerfile& df, size_t stage, const VariableMap& build_args,
                      const Strings& image_env = {}) {
  VariableMap global = global_scope(df, build_args, automatic_platform_args(kAmd64, kArm));
  StageScope scope(df, build_args, global, image_env);
  for (const auto& instruction : df.stages[stage].instructions) scope.apply(instruction);
  return scope;
}

template <typename T>
T expanded_as(const Dockerfile& df, size_t index, const VariableMap& variables) {
  Instruction expanded = expand_instruction(df, df.stages[0].instructions[index], variables);
  REQUIRE(expanded.as<T>());
  return *expanded.as<T>();
}

TEST_CASE("dockerfile automatic platform args") {
  VariableMap args = automatic_platform_args(kAmd64, kArm);
  CHECK(args["BUILDPLATFORM"] == "linux/amd64");
  CHECK(args["BUILDOS"] == "linux");
  CHECK(args["BUILDARCH"] == "amd64");
  CHECK(args["BUILDVARIANT"].empty());
  CHECK(args["TARGETPLATFORM"] == "linux/arm/v7");
  CHECK(args["TARGETARCH"] == "arm");
  CHECK(args["TARGETVARIANT"] == "v7");
  CHECK(is_predefined_proxy_arg("HTTP_PROXY"));
  CHECK(is_predefined_proxy_arg("no_proxy"));
  CHECK_FALSE(is_predefined_proxy_arg("Http_Proxy"));
  CHECK_FALSE(is_predefined_proxy_arg("PATH"));
}

TEST_CASE("dockerfile global ARGs are what FROM lines see") {
  Dockerfile df = parse_dockerfile(
      "ARG BASE=alpine\n"
      "ARG TAG=${BASE}-3\n"
      "ARG UNSET\n"
      "FROM --platform=$BUILDPLATFORM $BASE:$TAG AS build\n"
      "FROM ${BASE}:${UNSET:-latest}\n");
  VariableMap automatic = automatic_platform_args(kAmd64, kArm);
  VariableMap global = global_scope(df, {}, automatic);
  CHECK(global["BASE"] == "alpine");
  CHECK(global["TAG"] == "alpine-3");
  CHECK_FALSE(global.contains("UNSET"));
  CHECK(global["TARGETARCH"] == "arm");

  ExpandedFrom first = expand_from(df, df.stages[0], global);
  CHECK(first.image == "alpine:alpine-3");
  CHECK(first.platform == "linux/amd64");
  CHECK(expand_from(df, df.stages[1], global).image == "alpine:latest");

  // --build-arg replaces a default, and later defaults see the replacement.
  VariableMap overridden = global_scope(df, {{"BASE", "debian"}, {"UNSET", "given"}}, automatic);
  CHECK(overridden["TAG"] == "debian-3");
  CHECK(overridden["UNSET"] == "given");
  CHECK(expand_from(df, df.stages[1], overridden).image == "debian:given");
}

TEST_CASE("dockerfile a global ARG is invisible in a stage until re-declared") {
  Dockerfile df = parse_dockerfile(
      "ARG G=global\n"
      "FROM x\n"
      "RUN echo $G\n"
      "ARG G\n"
      "ARG L=local-$G OTHER=$L\n"
      "ENV E=env-$L\n"
      "ARG E=arg-value\n");
  VariableMap global = global_scope(df, {}, automatic_platform_args(kAmd64, kAmd64));
  StageScope scope(df, {}, global, {"PATH=/usr/bin"});
  const auto& steps = df.stages[0].instructions;

  scope.apply(steps[0]);  // RUN: nothing changes, and G is not visible yet
  CHECK_FALSE(scope.variables().contains("G"));
  CHECK(scope.variables().at("PATH") == "/usr/bin");
  scope.apply(steps[1]);  // ARG G
  CHECK(scope.variables().at("G") == "global");
  scope.apply(steps[2]);  // ARG L=local-$G OTHER=$L: each sees the ones before it
  CHECK(scope.variables().at("L") == "local-global");
  CHECK(scope.variables().at("OTHER") == "local-global");
  scope.apply(steps[3]);  // ENV E=env-$L
  scope.apply(steps[4]);  // ARG E: ENV wins over an ARG of the same name
  CHECK(scope.variables().at("E") == "env-local-global");

  CHECK(scope.run_environment() ==
        Strings{"PATH=/usr/bin", "E=env-local-global", "G=global", "L=local-global", "OTHER=local-global"});
  CHECK(scope.image_env() == Strings{"PATH=/usr/bin", "E=env-local-global"});  // ARGs are not persisted
}

TEST_CASE("dockerfile --build-arg values, undeclared args and proxies") {
  Dockerfile df = parse_dockerfile("FROM x\nARG A=default B C\nARG TARGETARCH\n");
  StageScope scope = walk_stage(
      df, 0, {{"A", "$not_expanded"}, {"B", "given"}, {"UNDECLARED", "u"}, {"HTTP_PROXY", "http://p:3128"}});
  VariableMap variables = scope.variables();
  CHECK(variables.at("A") == "$not_expanded");  // a --build-arg value is taken literally
  CHECK(variables.at("B") == "given");
  CHECK_FALSE(variables.contains("C"));  // declared without value
  CHECK_FALSE(variables.contains("UNDECLARED"));
  CHECK_FALSE(variables.contains("HTTP_PROXY"));  // usable by RUN, not by expansion
  CHECK(variables.at("TARGETARCH") == "arm");     // automatic args come from the global scope
  CHECK(scope.run_environment() ==
        Strings{"A=$not_expanded", "B=given", "TARGETARCH=arm", "HTTP_PROXY=http://p:3128"});
}

TEST_CASE("dockerfile ENV expands against the variables before the line") {
  Dockerfile df =
      parse_dockerfile("FROM x\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\nENV PATH=/app:$PATH\n");
  StageScope scope = walk_stage(df, 0, {}, {"PATH=/bin", "HOME=/root"});
  VariableMap variables = scope.variables();
  CHECK(variables.at("def") == "hello");
  CHECK(variables.at("ghi") == "bye");
  // A redefined variable keeps its place in the image's Env.
  CHECK(scope.image_env() == Strings{"PATH=/app:/bin", "HOME=/root", "abc=bye", "def=hello", "ghi=bye"});
}

TEST_CASE("dockerfile scope errors carry the instruction's line") {
  Dockerfile df = parse_dockerfile("FROM x\nRUN true\nARG REQUIRED=${MISSING:?required}\n");
  try {
    walk_stage(df, 0, {});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "Dockerfile:3: failed to process \"${MISSING:?required}\": MISSING: required");
  }
  // A --build-arg makes the default irrelevant: it is not even expanded.
  CHECK(walk_stage(df, 0, {{"REQUIRED", "x"}}).variables().at("REQUIRED") == "x");
}

TEST_CASE("dockerfile expand_instruction: the fields docker expands") {
  Dockerfile df = parse_dockerfile(
      "FROM x\n"
      "COPY --from=$STAGE --chown=$U:$G --chmod=$MODE --exclude=$IGNORE $SRC \"$SPACED\" ${DEST}/\n"
      "ADD --checksum=$SUM $URL /d/\n"
      "ENV \"$K\"=\"$V and more\" plain=$U\n"
      "LABEL \"a b\"=\"c $V\"\n"
      "WORKDIR $HOME/app\n"
      "USER $U:$G\n"
      "STOPSIGNAL $SIG\n"
      "VOLUME $HOME/data \"$SPACED\"\n"
      "EXPOSE $PORTS 9000/$PROTO\n"
      "RUN echo $HOME\n"
      "CMD echo $HOME\n"
      "ONBUILD RUN echo $HOME\n");
  VariableMap vars = {
      {"STAGE", "build"}, {"U", "app"},      {"G", "staff"},    {"MODE", "0755"},     {"IGNORE", "*.tmp"},
      {"SRC", "src dir"}, {"SPACED", "a b"}, {"DEST", "/opt"},  {"SUM", "sha256:00"}, {"URL", "http://x/y"},
      {"K", "key"},       {"V", "value"},    {"HOME", "/root"}, {"SIG", "SIGINT"},    {"PORTS", "80 443/tcp"},
      {"PROTO", "udp"}};

  auto copy = expanded_as<CopyInstruction>(df, 0, vars);
  CHECK(copy.from == "build");
  CHECK(copy.chown == "app:staff");
  CHECK(copy.chmod == "0755");
  CHECK(copy.excludes == Strings{"*.tmp"});
  CHECK(copy.sources == Strings{"src dir", "a b"});  // one word each: a value never splits a path
  CHECK(copy.destination == "/opt/");
  auto add = expanded_as<AddInstruction>(df, 1, vars);
  CHECK(add.checksum == "sha256:00");
  CHECK(add.sources == Strings{"http://x/y"});

  auto env = expanded_as<EnvInstruction>(df, 2, vars);
  CHECK(env.variables[0].key == "key");
  CHECK(env.variables[0].value == "value and more");
  CHECK(env.variables[1].value == "app");
  auto label = expanded_as<LabelInstruction>(df, 3, vars);
  CHECK(label.labels[0].key == "a b");
  CHECK(label.labels[0].value == "c value");

  CHECK(expanded_as<WorkdirInstruction>(df, 4, vars).path == "/root/app");
  CHECK(expanded_as<UserInstruction>(df, 5, vars).user == "app:staff");
  CHECK(expanded_as<StopsignalInstruction>(df, 6, vars).signal == "SIGINT");
  CHECK(expanded_as<VolumeInstruction>(df, 7, vars).paths == Strings{"/root/data", "a b"});
  // EXPOSE alone splits an expanded value into several ports.
  CHECK(expanded_as<ExposeInstruction>(df, 8, vars).ports == Strings{"80", "443/tcp", "9000/udp"});

  // RUN, CMD and ONBUILD are left to the shell and the child build.
  CHECK(expanded_as<RunInstruction>(df, 9, vars).command.args == Strings{"echo $HOME"});
  CHECK(expanded_as<CmdInstruction>(df, 10, vars).command.args == Strings{"echo $HOME"});
  CHECK(expanded_as<OnbuildInstruction>(df, 11, vars).trigger == "RUN echo $HOME");
}

TEST_CASE("dockerfile expand_instruction: COPY heredoc bodies") {
  Dockerfile df = parse_dockerfile(
      "FROM x\n"
      "COPY <<EOF /greeting\nhello $name \"quoted\" \\$kept\nEOF\n"
      "COPY <<'EOF' /literal\nhello $name\nEOF\n");
  VariableMap vars = {{"name", "world"}};
  CHECK(expanded_as<CopyInstruction>(df, 0, vars).inline_sources[0].content ==
        "hello world \"quoted\" $kept\n");
  CHECK(expanded_as<CopyInstruction>(df, 1, vars).inline_sources[0].content == "hello $name\n");
}

TEST_CASE("dockerfile expand_instruction: escape directive and errors") {
  Dockerfile windows = parse_dockerfile("# escape=`\nFROM x\nWORKDIR c:\\$DIR\\`$literal\n");
  CHECK(expanded_as<WorkdirInstruction>(windows, 0, {{"DIR", "app"}}).path == "c:\\app\\$literal");

  Dockerfile df = parse_dockerfile("FROM x\nRUN true\nWORKDIR ${x\n");
  try {
    expand_instruction(df, df.stages[0].instructions[1], {});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "Dockerfile:3: failed to process \"${x\": syntax error: missing '}'");
  }
}

}  // namespace
}  // namespace tug::build
