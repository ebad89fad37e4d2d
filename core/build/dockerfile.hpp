// A parsed Dockerfile as tug's builder uses it: parser directives, the ARGs before the first FROM,
// and the stages, each instruction with its flags and arguments in typed fields.
//
// Parsing follows docker's reference and BuildKit's frontend (parser + instructions packages):
// directives at the top (`# syntax=`, `# escape=`, `# check=`), line continuations with comment
// and empty lines inside them skipped, case-insensitive keywords, heredocs on RUN/COPY/ADD, exec
// (JSON) versus shell form, and BuildKit's error wording, prefixed with "<file>:<line>: ".
//
// Parsing is pure: nothing is read from disk and no variable is expanded. Values that docker
// expands (ENV, LABEL, ARG defaults, COPY paths, FROM...) keep their quotes and $references as
// written; instruction_expand.hpp turns them into final values with the variables of a step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tug::build {

/// The Dockerfile lines an instruction spans, 1-based and inclusive (heredoc bodies included).
struct LineRange {
  int first = 0;
  int last = 0;
};

/// A here-document: `RUN <<EOF` / `COPY <<EOF /dest` followed by its lines and `EOF`.
struct Heredoc {
  std::string name;         ///< the delimiter, quotes removed ("EOF")
  std::string content;      ///< the lines up to the delimiter, each with its newline; for <<- with
                            ///< the leading tabs already removed (removing them again changes nothing)
  bool expand = true;       ///< false when the delimiter was quoted (<<'EOF', <<"EOF"): no $ expansion
  bool strip_tabs = false;  ///< written as <<-EOF
  int fd = 0;               ///< the descriptor written before << ("3<<EOF"); 0 when none
};

/// The command of RUN, CMD, ENTRYPOINT: exec form (a JSON array) or shell form.
struct CommandLine {
  std::vector<std::string> args;  ///< exec form: the argv; shell form: one string (none when empty)
  bool shell_form = true;         ///< run through the stage's SHELL (default ["/bin/sh", "-c"])
};

/// `FROM [--platform=p] image [AS name]`.
struct FromInstruction {
  std::string image;
  std::string stage_name;  ///< lower case; "" when no AS
  std::string platform;    ///< "" when no --platform
};

/// `RUN [--mount=...] [--network=...] [--security=...] command`.
struct RunInstruction {
  CommandLine command;
  std::vector<Heredoc> heredocs;     ///< bodies of the <<EOF words of a shell-form command
  std::vector<std::string> mounts;   ///< each --mount value as written ("type=cache,target=/x")
  std::string network = "default";   ///< --network: default, none or host
  std::string security = "sandbox";  ///< --security: sandbox or insecure
};

struct CmdInstruction {
  CommandLine command;
};

struct EntrypointInstruction {
  CommandLine command;
};

/// A name and its value as written (quotes and $references kept until expanded).
struct KeyValue {
  std::string key;
  std::string value;
};

/// `ENV k=v ...` or the legacy `ENV k v`.
struct EnvInstruction {
  std::vector<KeyValue> variables;
};

struct LabelInstruction {
  std::vector<KeyValue> labels;
};

/// One name of an ARG line; the default is absent for `ARG name`.
struct ArgDeclaration {
  std::string name;
  std::optional<std::string> default_value;
};

/// `ARG name[=default] ...`: several declarations may share a line.
struct ArgInstruction {
  std::vector<ArgDeclaration> args;
};

struct WorkdirInstruction {
  std::string path;
};

struct UserInstruction {
  std::string user;
};

/// `EXPOSE 80 443/tcp ...` (sorted, as BuildKit keeps them).
struct ExposeInstruction {
  std::vector<std::string> ports;
};

/// `VOLUME ["/a", "/b"]` or `VOLUME /a /b`.
struct VolumeInstruction {
  std::vector<std::string> paths;
};

/// What COPY and ADD share: sources, destination and ownership flags.
struct FileCopy {
  std::vector<std::string> sources;     ///< paths (or URLs for ADD) in order, heredocs excluded
  std::vector<Heredoc> inline_sources;  ///< `<<EOF` sources: a file named after the delimiter
  std::string destination;
  std::string chown;                  ///< --chown, "" when absent
  std::string chmod;                  ///< --chmod, "" when absent
  bool link = false;                  ///< --link
  std::vector<std::string> excludes;  ///< --exclude patterns (repeatable)
};

/// `COPY [--from=] [--chown=] [--chmod=] [--link] [--parents] [--exclude=] src... dest`.
struct CopyInstruction : FileCopy {
  std::string from;      ///< --from: a stage name or index, or an image; "" for the context
  bool parents = false;  ///< --parents
};

/// `ADD [--chown=] [--chmod=] [--link] [--exclude=] [--checksum=] [--keep-git-dir] src... dest`.
struct AddInstruction : FileCopy {
  std::string checksum;       ///< --checksum
  bool keep_git_dir = false;  ///< --keep-git-dir
};

struct StopsignalInstruction {
  std::string signal;
};

/// `HEALTHCHECK [options] CMD ...` or `HEALTHCHECK NONE`, as docker stores it in the image.
struct HealthcheckInstruction {
  std::vector<std::string> test;  ///< {"NONE"}, {"CMD", argv...} (exec form) or {"CMD-SHELL", command}
  int64_t interval_ns = 0;        ///< 0 when not given (docker's "inherit/default")
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int64_t start_interval_ns = 0;
  int retries = 0;
};

/// `SHELL ["executable", "parameters"]` (JSON form only).
struct ShellInstruction {
  std::vector<std::string> shell;
};

/// `ONBUILD <instruction>`: stored in the image, parsed when a child image builds FROM it.
struct OnbuildInstruction {
  std::string trigger;  ///< the text after ONBUILD; heredoc bodies appended as written
};

/// Deprecated `MAINTAINER name`, kept because docker still accepts it (it sets the author).
struct MaintainerInstruction {
  std::string name;
};

using InstructionBody =
    std::variant<FromInstruction, RunInstruction, CmdInstruction, EntrypointInstruction, EnvInstruction,
                 LabelInstruction, ArgInstruction, WorkdirInstruction, UserInstruction, ExposeInstruction,
                 VolumeInstruction, CopyInstruction, AddInstruction, StopsignalInstruction,
                 HealthcheckInstruction, ShellInstruction, OnbuildInstruction, MaintainerInstruction>;

/// One instruction: where it is, how it was written and what it says.
struct Instruction {
  std::string keyword;  ///< upper case ("RUN"), however it was written
  std::string source;   ///< the logical line, continuations joined (docker's "original")
  LineRange lines;
  InstructionBody body;

  template <typename T>
  const T* as() const {
    return std::get_if<T>(&body);
  }
};

/// A build stage: its FROM line and the instructions after it.
struct Stage {
  std::string name;        ///< the AS name in lower case; "" when unnamed
  std::string base_image;  ///< FROM's image, unexpanded
  std::string platform;    ///< FROM --platform, unexpanded; "" when absent
  std::string source;      ///< the FROM line as written
  LineRange lines;         ///< of the FROM line
  std::vector<Instruction> instructions;
};

/// A whole Dockerfile.
struct Dockerfile {
  std::string file_name;                 ///< as given to parse_dockerfile; names errors
  char escape = '\\';                    ///< `# escape=` (\ or `)
  std::string syntax;                    ///< `# syntax=` value, "" when absent (recorded only)
  std::string check;                     ///< `# check=` value, "" when absent (recorded only)
  std::vector<Instruction> global_args;  ///< the ARG instructions before the first FROM
  std::vector<Stage> stages;
  std::vector<std::string> warnings;  ///< e.g. empty continuation lines (docker warns too)
};

/// Throws tug::Error "<file>:<line>: <message>", the form of every Dockerfile error (docker's
/// CLI shows the same location as a "Dockerfile:3" header above BuildKit's message). The builder
/// uses it for the errors of a step too.
[[noreturn]] void fail_at_line(std::string_view file, int line, std::string_view message);

/// Parses a Dockerfile. Throws tug::Error "<file_name>:<line>: <docker's message>", e.g.
/// "Dockerfile:3: unknown instruction: RUNN (did you mean RUN?)".
Dockerfile parse_dockerfile(std::string_view text, std::string_view file_name = "Dockerfile");

/// Parses instructions without the stage rules (no FROM needed, directives still read): how
/// ONBUILD triggers stored in a base image are read back when a child image is built, one
/// trigger at a time. Same errors as parse_dockerfile.
std::vector<Instruction> parse_instructions(std::string_view text, std::string_view file_name);

/// Index of the stage called `name` (stage names are case-insensitive), or nullopt.
std::optional<size_t> find_stage(const Dockerfile& dockerfile, std::string_view name);

/// The stage `--target` selects: the last one for "", else the named one; throws docker's
/// `target stage "x" could not be found`.
const Stage& target_stage(const Dockerfile& dockerfile, std::string_view target);

}  // namespace tug::build
