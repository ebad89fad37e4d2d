// Dockerfile instructions: flags and arguments in typed fields, exec vs shell form, and BuildKit's
// per-instruction errors.
#include <doctest/doctest.h>

#include "core/build/dockerfile.hpp"
#include "util/error.hpp"

namespace tug::build {
namespace {

/// Parses "FROM x\n" + `line` and returns the instruction `line` became.
Instruction parse_line(std::string_view line) {
  Dockerfile df = parse_dockerfile("FROM x\n" + std::string(line) + "\n");
  REQUIRE(df.stages.size() == 1);
  REQUIRE(df.stages[0].instructions.size() == 1);
  return df.stages[0].instructions[0];
}

template <typename T>
T parse_as(std::string_view line) {
  Instruction instruction = parse_line(line);
  const T* body = instruction.as<T>();
  REQUIRE(body);
  return *body;
}

/// The error of "FROM x\n" + `line`, without the "Dockerfile:2: " every one of them starts with.
std::string line_error(std::string_view line) {
  try {
    parse_dockerfile("FROM x\n" + std::string(line) + "\n");
  } catch (const Error& e) {
    std::string message = e.what();
    const std::string prefix = "Dockerfile:2: ";
    if (message.starts_with(prefix)) return message.substr(prefix.size());
    return "(unexpected location) " + message;
  }
  return "(no error)";
}

using Args = std::vector<std::string>;

TEST_CASE("dockerfile RUN/CMD/ENTRYPOINT: shell form and exec form") {
  auto run = parse_as<RunInstruction>("RUN echo $HOME  &&  ls");
  CHECK(run.command.shell_form);
  CHECK(run.command.args == Args{"echo $HOME  &&  ls"});
  CHECK(run.network == "default");
  CHECK(run.security == "sandbox");

  auto exec = parse_as<RunInstruction>(R"(RUN ["/bin/echo", "a b", "\"q\""])");
  CHECK_FALSE(exec.command.shell_form);
  CHECK(exec.command.args == Args{"/bin/echo", "a b", "\"q\""});

  auto cmd = parse_as<CmdInstruction>(R"(CMD [ "nginx" , "-g", "daemon off;" ]  )");
  CHECK_FALSE(cmd.command.shell_form);
  CHECK(cmd.command.args == Args{"nginx", "-g", "daemon off;"});

  auto entrypoint = parse_as<EntrypointInstruction>("ENTRYPOINT exec top -b");
  CHECK(entrypoint.command.shell_form);
  CHECK(entrypoint.command.args == Args{"exec top -b"});

  auto empty = parse_as<CmdInstruction>("CMD []");
  CHECK_FALSE(empty.command.shell_form);
  CHECK(empty.command.args.empty());
}

TEST_CASE("dockerfile exec form falls back to shell form when the JSON is not valid") {
  // docker's documented pitfall: single quotes are not JSON.
  auto single_quotes = parse_as<CmdInstruction>("CMD ['a', 'b']");
  CHECK(single_quotes.command.shell_form);
  CHECK(single_quotes.command.args == Args{"['a', 'b']"});
  CHECK(parse_as<CmdInstruction>(R"(CMD ["a"] extra)").command.shell_form);
  CHECK(parse_as<CmdInstruction>(R"(CMD ["a",])").command.shell_form);
  CHECK(parse_as<RunInstruction>(R"(RUN [ "unterminated)").command.shell_form);
  // Unescaped backslashes are invalid JSON: shell form, as docker's reference warns.
  auto windows = parse_as<RunInstruction>(R"(RUN ["c:\windows\system32\tasklist.exe"])");
  CHECK(windows.command.shell_form);
  // Valid JSON that is not an array of strings is an error, not a fallback.
  CHECK(line_error("RUN [1, 2]") == "when using JSON array syntax, arrays must be comprised of strings only");
  CHECK(line_error(R"(CMD ["a", ["b"]])") ==
        "when using JSON array syntax, arrays must be comprised of strings only");
}

TEST_CASE("dockerfile exec-form JSON keeps JSON escapes whatever the escape directive") {
  Dockerfile df =
      parse_dockerfile("# escape=`\nFROM x\nRUN [\"c:\\\\windows\\\\tasklist.exe\", \"\\u00e9\"]\n");
  const auto& command = df.stages[0].instructions[0].as<RunInstruction>()->command;
  CHECK_FALSE(command.shell_form);
  CHECK(command.args == Args{"c:\\windows\\tasklist.exe", "\xC3\xA9"});
}

TEST_CASE("dockerfile RUN flags: --mount, --network, --security") {
  auto run = parse_as<RunInstruction>(
      "RUN --mount=type=cache,target=/root/.cache --mount=\"type=secret,id=npm\" --network=none "
      "--security=insecure make -j4");
  CHECK(run.mounts == Args{"type=cache,target=/root/.cache", "type=secret,id=npm"});
  CHECK(run.network == "none");
  CHECK(run.security == "insecure");
  CHECK(run.command.args == Args{"make -j4"});
  CHECK(parse_as<RunInstruction>("RUN --network=host [\"a\"]").command.args == Args{"a"});
  // `--` ends the flags.
  CHECK(parse_as<RunInstruction>("RUN -- --not-a-flag").command.args == Args{"--not-a-flag"});

  CHECK(line_error("RUN --network=bridge x") == "invalid network mode \"bridge\"");
  CHECK(line_error("RUN --security=root x") == "security \"root\" is not valid");
  CHECK(line_error("RUN --mont=type=bind x") == "unknown flag: --mont (did you mean mount?)");
  CHECK(line_error("RUN --privileged x") == "unknown flag: --privileged");
  CHECK(line_error("RUN --network x") == "missing a value on flag: --network");
  CHECK(line_error("RUN --network=none --network=host x") == "duplicate flag specified: --network");
  CHECK(line_error("CMD --help") == "unknown flag: --help");
}

TEST_CASE("dockerfile ENV: name=value pairs and the legacy form") {
  auto env = parse_as<EnvInstruction>(R"(ENV A=1 B="two words" C=three\ words D= E='$x')");
  REQUIRE(env.variables.size() == 5);
  CHECK(env.variables[0].key == "A");
  CHECK(env.variables[0].value == "1");
  CHECK(env.variables[1].value == "\"two words\"");  // quotes go when the builder expands
  CHECK(env.variables[2].value == "three\\ words");
  CHECK(env.variables[3].value.empty());
  CHECK(env.variables[4].value == "'$x'");

  auto legacy = parse_as<EnvInstruction>("ENV PATH /usr/local/bin:$PATH  more");
  REQUIRE(legacy.variables.size() == 1);
  CHECK(legacy.variables[0].key == "PATH");
  CHECK(legacy.variables[0].value == "/usr/local/bin:$PATH  more");

  CHECK(line_error("ENV") == "ENV requires at least one argument");
  CHECK(line_error("ENV A") == "ENV must have two arguments");
  CHECK(line_error("ENV A=1 B") == "Syntax error - can't find = in \"B\". Must be of the form: name=value");
  CHECK(line_error("ENV =x") == "ENV names can not be blank");
  CHECK(line_error("ENV --a=b A=1") == "unknown flag: --a");
}

TEST_CASE("dockerfile LABEL, ARG, WORKDIR, USER, STOPSIGNAL, MAINTAINER") {
  auto label = parse_as<LabelInstruction>(R"(LABEL "com.example.vendor"="ACME Inc" version=1.0 multi="a \
b")");
  REQUIRE(label.labels.size() == 3);
  CHECK(label.labels[0].key == "\"com.example.vendor\"");
  CHECK(label.labels[0].value == "\"ACME Inc\"");
  CHECK(label.labels[2].value == "\"a b\"");
  CHECK(parse_as<LabelInstruction>("LABEL description a long text").labels[0].value == "a long text");
  CHECK(line_error("LABEL") == "LABEL requires at least one argument");
  CHECK(line_error("LABEL a") == "LABEL must have two arguments");

  auto arg = parse_as<ArgInstruction>("ARG a b=2 c= d=\"x y\"");
  REQUIRE(arg.args.size() == 4);
  CHECK(arg.args[0].name == "a");
  CHECK_FALSE(arg.args[0].default_value);
  CHECK(arg.args[1].default_value == "2");
  CHECK(arg.args[2].default_value == "");
  CHECK(arg.args[3].default_value == "\"x y\"");
  CHECK(line_error("ARG") == "ARG requires at least one argument");
  CHECK(line_error("ARG =x") == "ARG names can not be blank");

  CHECK(parse_as<WorkdirInstruction>("WORKDIR /a b").path == "/a b");
  CHECK(line_error("WORKDIR") == "WORKDIR requires exactly one argument");
  CHECK(parse_as<UserInstruction>("USER app:app").user == "app:app");
  CHECK(line_error("USER") == "USER requires exactly one argument");
  CHECK(parse_as<StopsignalInstruction>("STOPSIGNAL SIGQUIT").signal == "SIGQUIT");
  CHECK(line_error("STOPSIGNAL") == "STOPSIGNAL requires exactly one argument");
  CHECK(parse_as<MaintainerInstruction>("MAINTAINER Jane Doe <jane@example.com>").name ==
        "Jane Doe <jane@example.com>");
  CHECK(line_error("MAINTAINER") == "MAINTAINER requires exactly one argument");
}

TEST_CASE("dockerfile EXPOSE and VOLUME") {
  CHECK(parse_as<ExposeInstruction>("EXPOSE 8080/udp 80   443").ports == Args{"443", "80", "8080/udp"});
  CHECK(line_error("EXPOSE") == "EXPOSE requires at least one argument");
  CHECK(parse_as<VolumeInstruction>(R"(VOLUME ["/data", "/var/log app"])").paths ==
        Args{"/data", "/var/log app"});
  CHECK(parse_as<VolumeInstruction>("VOLUME /a /b").paths == Args{"/a", "/b"});
  CHECK(line_error("VOLUME") == "VOLUME requires at least one argument");
  CHECK(line_error(R"(VOLUME ["/a", " "])") == "VOLUME specified can not be an empty string");
}

TEST_CASE("dockerfile COPY and ADD: sources, destination and flags") {
  auto copy = parse_as<CopyInstruction>(
      "COPY --from=build --chown=1000:1000 --chmod=0644 --link --parents --exclude=*.tmp --exclude=*.log "
      "a.txt dir/ /dest/");
  CHECK(copy.sources == Args{"a.txt", "dir/"});
  CHECK(copy.destination == "/dest/");
  CHECK(copy.from == "build");
  CHECK(copy.chown == "1000:1000");
  CHECK(copy.chmod == "0644");
  CHECK(copy.link);
  CHECK(copy.parents);
  CHECK(copy.excludes == Args{"*.tmp", "*.log"});

  auto plain = parse_as<CopyInstruction>("COPY . .");
  CHECK(plain.sources == Args{"."});
  CHECK_FALSE(plain.link);
  CHECK(plain.from.empty());
  CHECK(parse_as<CopyInstruction>("COPY --link=false a b").link == false);

  auto json = parse_as<CopyInstruction>(R"(COPY ["file with spaces", "/dest dir/"])");
  CHECK(json.sources == Args{"file with spaces"});
  CHECK(json.destination == "/dest dir/");

  auto add = parse_as<AddInstruction>(
      "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d --keep-git-dir "
      "--chown=app https://example.com/repo.git /src");
  CHECK(add.checksum == "sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d");
  CHECK(add.keep_git_dir);
  CHECK(add.chown == "app");
  CHECK(add.sources == Args{"https://example.com/repo.git"});
  CHECK(add.destination == "/src");
}

TEST_CASE("dockerfile COPY and ADD errors") {
  const char* no_destination =
      "requires at least two arguments, but only one was provided. Destination could not be determined";
  CHECK(line_error("COPY onlyone") == std::string("COPY ") + no_destination);
  CHECK(line_error("ADD") == std::string("ADD ") + no_destination);
  CHECK(line_error("COPY --checksum=sha256:x a b") == "unknown flag: --checksum");
  CHECK(line_error("ADD --from=build a b") == "unknown flag: --from");
  CHECK(line_error("ADD --parents a b") == "unknown flag: --parents");
  CHECK(line_error("COPY --link=maybe a b") == "expecting boolean value for flag --link, not: maybe");
  CHECK(line_error("COPY --link= a b") == "missing a value on flag: --link");
  CHECK(line_error("COPY --from a b") == "missing a value on flag: --from");
  CHECK(line_error("COPY --from=a --from=b x y") == "duplicate flag specified: --from");
  CHECK(line_error("COPY --chmod=644 --chownn=1 a b") == "unknown flag: --chownn (did you mean chown?)");
}

TEST_CASE("dockerfile HEALTHCHECK") {
  auto shell = parse_as<HealthcheckInstruction>(
      "HEALTHCHECK --interval=5s --timeout=3s --start-period=1m30s --start-interval=500ms --retries=3 "
      "CMD /app/check.sh --quiet");
  CHECK(shell.test == Args{"CMD-SHELL", "/app/check.sh --quiet"});
  CHECK(shell.interval_ns == 5000000000);
  CHECK(shell.timeout_ns == 3000000000);
  CHECK(shell.start_period_ns == 90000000000);
  CHECK(shell.start_interval_ns == 500000000);
  CHECK(shell.retries == 3);

  auto exec = parse_as<HealthcheckInstruction>(R"(HEALTHCHECK cmd ["curl", "-f", "http://localhost/"])");
  CHECK(exec.test == Args{"CMD", "curl", "-f", "http://localhost/"});
  CHECK(exec.interval_ns == 0);
  CHECK(exec.retries == 0);

  CHECK(parse_as<HealthcheckInstruction>("HEALTHCHECK NONE").test == Args{"NONE"});
  // docker does not look at the flags of NONE.
  CHECK(parse_as<HealthcheckInstruction>("HEALTHCHECK --bogus NONE").test == Args{"NONE"});
  CHECK(parse_as<HealthcheckInstruction>("HEALTHCHECK --interval=0s CMD true").interval_ns == 0);
  CHECK(parse_as<HealthcheckInstruction>("HEALTHCHECK --retries=+2 CMD true").retries == 2);
}

TEST_CASE("dockerfile HEALTHCHECK errors") {
  CHECK(line_error("HEALTHCHECK") == "HEALTHCHECK requires at least one argument");
  CHECK(line_error("HEALTHCHECK NONE x") == "HEALTHCHECK NONE takes no arguments");
  CHECK(line_error("HEALTHCHECK CONNECT TCP 7000") == "Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)");
  CHECK(line_error("HEALTHCHECK CMD") == "Missing command after HEALTHCHECK CMD");
  CHECK(line_error("HEALTHCHECK --interval=1 CMD x") == "time: missing unit in duration \"1\"");
  CHECK(line_error("HEALTHCHECK --interval=5d CMD x") == "time: unknown unit \"d\" in duration \"5d\"");
  CHECK(line_error("HEALTHCHECK --timeout=500us CMD x") == "Interval \"timeout\" cannot be less than 1ms");
  CHECK(line_error("HEALTHCHECK --start-period=-1s CMD x") ==
        "Interval \"start-period\" cannot be less than 1ms");
  CHECK(line_error("HEALTHCHECK --retries=-1 CMD x") == "--retries cannot be negative (-1)");
  CHECK(line_error("HEALTHCHECK --retries=x CMD x") == "strconv.ParseInt: parsing \"x\": invalid syntax");
  CHECK(line_error("HEALTHCHECK --retries=99999999999 CMD x") ==
        "strconv.ParseInt: parsing \"99999999999\": value out of range");
  CHECK(line_error("HEALTHCHECK --intervall=5s CMD x") ==
        "unknown flag: --intervall (did you mean interval?)");
}

TEST_CASE("dockerfile SHELL is JSON only") {
  CHECK(parse_as<ShellInstruction>(R"(SHELL ["powershell", "-command"])").shell ==
        Args{"powershell", "-command"});
  CHECK(line_error("SHELL /bin/bash -c") == "SHELL requires the arguments to be in JSON form");
  CHECK(line_error("SHELL []") == "SHELL requires at least one argument");
  CHECK(line_error("SHELL") == "SHELL requires at least one argument");
}

TEST_CASE("dockerfile ONBUILD") {
  CHECK(parse_as<OnbuildInstruction>("ONBUILD RUN echo hi").trigger == "RUN echo hi");
  CHECK(parse_as<OnbuildInstruction>("onbuild   COPY --chown=app . /app").trigger ==
        "COPY --chown=app . /app");
  CHECK(parse_as<OnbuildInstruction>("ONBUILD ADD [\"a\", \"b\"]").trigger == "ADD [\"a\", \"b\"]");
  // The trigger is checked when a child builds; only these three are refused at once.
  CHECK(line_error("ONBUILD ONBUILD RUN x") == "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  CHECK(line_error("ONBUILD FROM alpine") == "FROM isn't allowed as an ONBUILD trigger");
  CHECK(line_error("ONBUILD maintainer me") == "MAINTAINER isn't allowed as an ONBUILD trigger");
  CHECK(line_error("ONBUILD") == "ONBUILD requires at least one argument");
  // ...but the trigger's line must still split (BuildKit parses it as a sub-command).
  CHECK(line_error("ONBUILD RUN [1]") ==
        "when using JSON array syntax, arrays must be comprised of strings only");
  CHECK(line_error("ONBUILD ENV A") == "ENV must have two arguments");
  // Stored triggers parse back into instructions.
  auto triggers =
      parse_instructions(parse_as<OnbuildInstruction>("ONBUILD RUN make install").trigger, "trigger");
  REQUIRE(triggers.size() == 1);
  CHECK(triggers[0].as<RunInstruction>()->command.args == Args{"make install"});
}

}  // namespace
}  // namespace tug::build
