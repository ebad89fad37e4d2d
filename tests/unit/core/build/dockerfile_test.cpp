// Dockerfile parsing: directives, line continuation, comments, stages and file-level errors.
#include "core/build/dockerfile.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

namespace tug::build {
namespace {

std::string parse_error(std::string_view text) {
  try {
    parse_dockerfile(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

/// The single instruction of the only stage.
Instruction only_instruction(std::string_view text) {
  Dockerfile df = parse_dockerfile(text);
  REQUIRE(df.stages.size() == 1);
  REQUIRE(df.stages[0].instructions.size() == 1);
  return df.stages[0].instructions[0];
}

std::string shell_command(std::string_view text) {
  Instruction run = only_instruction(text);
  REQUIRE(run.as<RunInstruction>());
  const auto& command = run.as<RunInstruction>()->command;
  REQUIRE(command.shell_form);
  REQUIRE(command.args.size() == 1);
  return command.args[0];
}

TEST_CASE("dockerfile directives: syntax, escape and check at the top") {
  Dockerfile df =
      parse_dockerfile("# syntax=docker/dockerfile:1.7\n# escape=`\n#  CHECK = skip=all \nFROM x\n");
  CHECK(df.syntax == "docker/dockerfile:1.7");
  CHECK(df.escape == '`');
  CHECK(df.check == "skip=all");

  // Keys are case-insensitive, blanks around '=' allowed, leading whitespace too.
  CHECK(parse_dockerfile("  #Escape = `\nFROM x\n").escape == '`');
  CHECK(parse_dockerfile("#escape=\\\nFROM x\n").escape == '\\');
  CHECK(parse_dockerfile("FROM x\n").escape == '\\');
}

TEST_CASE("dockerfile directives end at the first comment, blank line, unknown key or instruction") {
  CHECK(parse_dockerfile("# a comment\n# escape=`\nFROM x\n").escape == '\\');
  CHECK(parse_dockerfile("\n# escape=`\nFROM x\n").escape == '\\');
  CHECK(parse_dockerfile("# unknown=1\n# escape=`\nFROM x\n").escape == '\\');
  CHECK(parse_dockerfile("FROM x\n# escape=`\nRUN a\n").escape == '\\');
  CHECK(parse_dockerfile("# escape=\nFROM x\n").escape == '\\');  // no value: a comment
  // A directive after the directives is a comment and changes nothing.
  CHECK(shell_command("FROM x\n# escape=`\nRUN a `\n") == "a `");
  // The byte-order mark before the first directive is ignored.
  CHECK(parse_dockerfile("\xEF\xBB\xBF# escape=`\nFROM x\n").escape == '`');
}

TEST_CASE("dockerfile directive errors") {
  CHECK(parse_error("# escape=`\n# escape=`\nFROM x\n") ==
        "Dockerfile:2: only one escape parser directive can be used");
  CHECK(parse_error("# syntax=a\n# syntax=b\nFROM x\n") ==
        "Dockerfile:2: only one syntax parser directive can be used");
  CHECK(parse_error("# escape=x\nFROM x\n") ==
        "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
}

TEST_CASE("dockerfile line continuation") {
  CHECK(shell_command("FROM x\nRUN echo hello \\\n  world\n") == "echo hello   world");
  // Blanks after the escape character are allowed.
  CHECK(shell_command("FROM x\nRUN a \\  \t\n b\n") == "a  b");
  // An escaped escape character does not continue the line.
  Dockerfile df = parse_dockerfile("FROM x\nRUN echo a\\\\\nRUN b\n");
  REQUIRE(df.stages[0].instructions.size() == 2);
  CHECK(df.stages[0].instructions[0].as<RunInstruction>()->command.args[0] == "echo a\\\\");
  // A continuation at the end of the file ends the instruction.
  CHECK(shell_command("FROM x\nRUN a \\") == "a");
  // A line that is only the escape character continues too.
  CHECK(shell_command("FROM x\nRUN a \\\n\\\n b\n") == "a  b");
  // With `# escape=`` the backtick continues and the backslash is an ordinary character.
  CHECK(shell_command("# escape=`\nFROM x\nRUN dir c:\\ `\n  /w\n") == "dir c:\\   /w");
}

TEST_CASE("dockerfile comments and empty lines inside a continuation are skipped") {
  // docker's documented example: the comment line disappears.
  CHECK(shell_command("FROM x\nRUN echo hello \\\n# comment\nworld\n") == "echo hello world");
  CHECK(shell_command("FROM x\nRUN echo hello \\\n    # indented comment\n  world\n") ==
        "echo hello   world");
  Dockerfile df = parse_dockerfile("FROM x\nRUN a \\\n\n   \n b\n");
  CHECK(df.stages[0].instructions[0].as<RunInstruction>()->command.args[0] == "a  b");
  REQUIRE(df.warnings.size() == 1);
  CHECK(df.warnings[0] == "Empty continuation line found in: RUN a  b");
  // A comment cannot be continued: the line after it is an instruction.
  CHECK(parse_dockerfile("# comment \\\nFROM x\n").stages.size() == 1);
  // Comments after an instruction are part of it (the shell sees them).
  CHECK(shell_command("FROM x\nRUN echo hi # not a comment\n") == "echo hi # not a comment");
}

TEST_CASE("dockerfile keywords are case-insensitive and leading whitespace is ignored") {
  Dockerfile df = parse_dockerfile("   from alpine\n\t Run echo a\ncOpY a b\n");
  REQUIRE(df.stages.size() == 1);
  CHECK(df.stages[0].base_image == "alpine");
  REQUIRE(df.stages[0].instructions.size() == 2);
  CHECK(df.stages[0].instructions[0].keyword == "RUN");
  CHECK(df.stages[0].instructions[1].keyword == "COPY");
}

TEST_CASE("dockerfile instructions remember their lines and source") {
  Dockerfile df = parse_dockerfile("# comment\nFROM x\n\nRUN a \\\n  b\nUSER me\n");
  CHECK(df.stages[0].lines.first == 2);
  const auto& run = df.stages[0].instructions[0];
  CHECK(run.lines.first == 4);
  CHECK(run.lines.last == 5);
  CHECK(run.source == "RUN a   b");
  CHECK(df.stages[0].instructions[1].lines.first == 6);
  CHECK(df.stages[0].source == "FROM x");
}

TEST_CASE("dockerfile stages, global ARGs and target lookup") {
  Dockerfile df = parse_dockerfile(
      "ARG BASE=alpine\n"
      "ARG TAG\n"
      "FROM --platform=$BUILDPLATFORM ${BASE}:${TAG} AS Build\n"
      "RUN make\n"
      "FROM scratch as final\n"
      "COPY --from=build /out /\n"
      "FROM build\n");
  REQUIRE(df.global_args.size() == 2);
  CHECK(df.global_args[0].as<ArgInstruction>()->args[0].name == "BASE");
  REQUIRE(df.stages.size() == 3);
  CHECK(df.stages[0].name == "build");  // stage names are lower-cased
  CHECK(df.stages[0].base_image == "${BASE}:${TAG}");
  CHECK(df.stages[0].platform == "$BUILDPLATFORM");
  CHECK(df.stages[0].instructions.size() == 1);
  CHECK(df.stages[1].name == "final");
  CHECK(df.stages[2].name.empty());
  CHECK(df.stages[2].base_image == "build");

  CHECK(find_stage(df, "BUILD") == 0);
  CHECK(find_stage(df, "final") == 1);
  CHECK(!find_stage(df, "nope"));
  CHECK(!find_stage(df, ""));
  CHECK(&target_stage(df, "") == &df.stages[2]);
  CHECK(&target_stage(df, "Final") == &df.stages[1]);
  std::string error;
  try {
    target_stage(df, "nope");
  } catch (const Error& e) {
    error = e.what();
  }
  CHECK(error == "target stage \"nope\" could not be found");
}

TEST_CASE("dockerfile ARG after the first FROM belongs to the stage") {
  Dockerfile df = parse_dockerfile("ARG A\nFROM x\nARG B\n");
  CHECK(df.global_args.size() == 1);
  REQUIRE(df.stages[0].instructions.size() == 1);
  CHECK(df.stages[0].instructions[0].as<ArgInstruction>()->args[0].name == "B");
}

TEST_CASE("dockerfile stage errors") {
  CHECK(parse_error("FROM\n") == "Dockerfile:1: FROM requires either one or three arguments");
  CHECK(parse_error("FROM a b\n") == "Dockerfile:1: FROM requires either one or three arguments");
  CHECK(parse_error("FROM a AS b c\n") == "Dockerfile:1: FROM requires either one or three arguments");
  CHECK(parse_error("FROM a AS 1st\n") ==
        "Dockerfile:1: invalid name for build stage: \"1st\", name can't start with a number or contain "
        "symbols");
  CHECK(parse_error("FROM a AS b$c\n") ==
        "Dockerfile:1: invalid name for build stage: \"b$c\", name can't start with a number or contain "
        "symbols");
  CHECK(parse_dockerfile("FROM a AS my-stage_1.2\n").stages[0].name == "my-stage_1.2");
  CHECK(parse_error("FROM a AS b\nRUN x\nFROM c AS B\n") == "Dockerfile:3: duplicate stage name \"b\"");
  CHECK(parse_error("FROM --platfrm=x a\n") ==
        "Dockerfile:1: unknown flag: --platfrm (did you mean platform?)");
}

TEST_CASE("dockerfile file-level errors") {
  CHECK(parse_error("") == "the Dockerfile (Dockerfile) cannot be empty");
  CHECK(parse_error("# only a comment\n\n") == "Dockerfile:2: file with no instructions");
  CHECK(parse_error("RUN echo\nFROM x\n") == "Dockerfile:1: no build stage in current context");
  CHECK(parse_error("ARG A=1\nARG B\n") == "Dockerfile:2: dockerfile contains no stages to build");
  try {
    parse_dockerfile("FROM x\nWHATEVER\n", "build/prod.Dockerfile");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "build/prod.Dockerfile:2: unknown instruction: WHATEVER");
  }
}

TEST_CASE("dockerfile unknown instructions, with docker's suggestion") {
  CHECK(parse_error("FROM a\n\nRUNN x\n") == "Dockerfile:3: unknown instruction: RUNN (did you mean RUN?)");
  CHECK(parse_error("FROM a\nrunn x\n") == "Dockerfile:2: unknown instruction: runn (did you mean run?)");
  CHECK(parse_error("FROM a\nEXPOS 80\n") ==
        "Dockerfile:2: unknown instruction: EXPOS (did you mean EXPOSE?)");
  CHECK(parse_error("FROM a\nFOOBAR x\n") == "Dockerfile:2: unknown instruction: FOOBAR");
  CHECK(parse_error("FROM a\nBAD x\n") == "Dockerfile:2: unknown instruction: BAD (did you mean ADD?)");
  // A missing continuation makes the next line an instruction, as docker users find out.
  CHECK(parse_error("FROM a\nRUN apt-get update\n  && apt-get install x\n") ==
        "Dockerfile:3: unknown instruction: &&");
}

TEST_CASE("dockerfile errors carry the instruction's first line") {
  CHECK(parse_error("FROM a\nRUN a \\\n  b\nCOPY x\n") ==
        "Dockerfile:4: COPY requires at least two arguments, but only one was provided. Destination could "
        "not be "
        "determined");
  CHECK(parse_error("FROM a\nENV \\\n  A\n") == "Dockerfile:2: ENV must have two arguments");
}

TEST_CASE("dockerfile parse_instructions reads instructions without stages (ONBUILD triggers)") {
  auto instructions = parse_instructions("RUN echo hi\n", "onbuild");
  REQUIRE(instructions.size() == 1);
  CHECK(instructions[0].keyword == "RUN");
  auto with_heredoc = parse_instructions("COPY <<EOF /x\nhello\nEOF", "onbuild");
  REQUIRE(with_heredoc.size() == 1);
  CHECK(with_heredoc[0].as<CopyInstruction>()->inline_sources[0].content == "hello\n");
  try {
    parse_instructions("RUNN x", "ONBUILD trigger");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "ONBUILD trigger:1: unknown instruction: RUNN (did you mean RUN?)");
  }
}

TEST_CASE("dockerfile CRLF line endings") {
  Dockerfile df = parse_dockerfile("FROM x\r\nRUN a \\\r\n b\r\nUSER me\r\n");
  REQUIRE(df.stages[0].instructions.size() == 2);
  CHECK(df.stages[0].instructions[0].as<RunInstruction>()->command.args[0] == "a  b");
  CHECK(df.stages[0].instructions[1].as<UserInstruction>()->user == "me");
}

TEST_CASE("dockerfile escape directive: docker's Windows example") {
  // With ` as escape, a path ending in \ is just a path.
  Dockerfile windows = parse_dockerfile(
      "# escape=`\n\nFROM mcr.microsoft.com/windows/nanoserver\nCOPY testfile.txt c:\\\nRUN dir c:\\\n");
  REQUIRE(windows.stages[0].instructions.size() == 2);
  CHECK(windows.stages[0].instructions[0].as<CopyInstruction>()->destination == "c:\\");
  CHECK(windows.stages[0].instructions[1].as<RunInstruction>()->command.args[0] == "dir c:\\");
  // Without it, the trailing backslashes join the lines into one COPY, as docker's reference warns.
  Dockerfile joined = parse_dockerfile("FROM x\nCOPY testfile.txt c:\\\nRUN dir c:\\\n");
  REQUIRE(joined.stages[0].instructions.size() == 1);
  CHECK(joined.stages[0].instructions[0].source == "COPY testfile.txt c:RUN dir c:");
}

TEST_CASE("dockerfile a realistic multi-stage file") {
  Dockerfile df = parse_dockerfile(R"(# syntax=docker/dockerfile:1
# check=error=true

ARG GO_VERSION=1.22
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=bind,source=go.mod,target=go.mod \
    go mod download -x
COPY --link . .
RUN --mount=type=cache,target=/root/.cache/go-build <<EOF
set -e
GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app
EOF

FROM alpine:3.19 AS final
LABEL org.opencontainers.image.title="app" \
      org.opencontainers.image.source="https://example.com/app"
RUN apk add --no-cache ca-certificates \
 # tzdata is needed for time zones
 && apk add --no-cache tzdata
COPY --from=build --chmod=0755 /out/app /usr/local/bin/app
COPY <<-"EOT" /etc/app/config.toml
	listen = ":8080"
	EOT
ENV APP_ENV=production \
    TZ=UTC
EXPOSE 8080/tcp
USER 65534:65534
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/app", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/app"]
CMD ["serve"]
)");
  CHECK(df.syntax == "docker/dockerfile:1");
  CHECK(df.check == "error=true");
  REQUIRE(df.global_args.size() == 1);
  REQUIRE(df.stages.size() == 2);

  const Stage& build = df.stages[0];
  CHECK(build.name == "build");
  CHECK(build.platform == "$BUILDPLATFORM");
  REQUIRE(build.instructions.size() == 5);
  const auto* download = build.instructions[2].as<RunInstruction>();
  REQUIRE(download);
  CHECK(download->mounts.size() == 2);
  CHECK(download->command.args[0] == "go mod download -x");
  CHECK(build.instructions[3].as<CopyInstruction>()->link);
  const auto* compile = build.instructions[4].as<RunInstruction>();
  REQUIRE(compile);
  REQUIRE(compile->heredocs.size() == 1);
  CHECK(compile->heredocs[0].content ==
        "set -e\nGOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app\n");
  CHECK(build.instructions[4].lines.first == 12);
  CHECK(build.instructions[4].lines.last == 15);

  const Stage& final_stage = df.stages[1];
  CHECK(final_stage.name == "final");
  CHECK(final_stage.lines.first == 17);
  const auto& steps = final_stage.instructions;
  REQUIRE(steps.size() == 11);
  CHECK(steps[0].as<LabelInstruction>()->labels.size() == 2);
  CHECK(steps[1].as<RunInstruction>()->command.args[0] ==
        "apk add --no-cache ca-certificates  && apk add --no-cache tzdata");
  CHECK(steps[2].as<CopyInstruction>()->from == "build");
  const auto* config = steps[3].as<CopyInstruction>();
  REQUIRE(config);
  REQUIRE(config->inline_sources.size() == 1);
  CHECK(config->inline_sources[0].content == "listen = \":8080\"\n");
  CHECK_FALSE(config->inline_sources[0].expand);
  CHECK(steps[4].as<EnvInstruction>()->variables.size() == 2);
  CHECK(steps[7].as<HealthcheckInstruction>()->test ==
        std::vector<std::string>{"CMD", "/usr/local/bin/app", "healthcheck"});
  CHECK(steps[9].keyword == "ENTRYPOINT");
  CHECK_FALSE(steps[10].as<CmdInstruction>()->command.shell_form);
  CHECK(target_stage(df, "BUILD").name == "build");
}

}  // namespace
}  // namespace tug::build
