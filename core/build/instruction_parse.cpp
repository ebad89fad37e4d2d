// Typed instructions after BuildKit's instructions/parse.go: argument counts, accepted flags,
// stage names, HEALTHCHECK options, ONBUILD triggers. The checks run in BuildKit's order so the
// first error reported is the one docker reports.
#include "core/build/instruction_parse.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>

#include "core/build/heredoc.hpp"
#include "core/build/instruction_flags.hpp"
#include "core/format/go_duration.hpp"
#include "core/format/go_strconv.hpp"
#include "util/error.hpp"

namespace tug::build {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

[[noreturn]] void fail_at_least_one_argument(std::string_view keyword) {
  fail("{} requires at least one argument", keyword);
}

void require_exactly_one_argument(const InstructionSyntax& syntax, std::string_view keyword) {
  if (syntax.args.size() != 1) fail("{} requires exactly one argument", keyword);
}

void require_destination(const InstructionSyntax& syntax, std::string_view keyword) {
  if (syntax.args.size() < 2)
    fail("{} requires at least two arguments, but only one was provided. Destination could not be determined",
         keyword);
}

void parse_no_flags(const InstructionSyntax& syntax) { InstructionFlags(syntax.flags).parse(); }

/// Exec form keeps the JSON array; shell form is one string (docker joins the words back).
CommandLine command_line(const std::vector<std::string>& args, bool json) {
  CommandLine command;
  command.shell_form = !json;
  if (json || args.empty()) {
    command.args = args;
  } else {
    std::string joined;
    for (const auto& arg : args) joined += (joined.empty() ? "" : " ") + arg;
    command.args = {joined};
  }
  return command;
}

std::vector<KeyValue> key_values(const std::vector<std::string>& args, std::string_view keyword) {
  if (args.empty()) fail_at_least_one_argument(keyword);
  if (args.size() % 2 != 0) fail("Bad input to {}, too many arguments", keyword);
  std::vector<KeyValue> pairs;
  for (size_t i = 0; i < args.size(); i += 2) {
    if (args[i].empty()) fail("{} names can not be blank", keyword);
    pairs.push_back({args[i], args[i + 1]});
  }
  return pairs;
}

FromInstruction parse_from(const InstructionSyntax& syntax) {
  const auto& args = syntax.args;
  FromInstruction from;
  if (args.size() == 3 && lower(args[1]) == "as") {
    from.stage_name = lower(args[2]);
    const std::string& name = from.stage_name;
    bool valid =
        !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
        std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        });
    if (!valid)
      fail("invalid name for build stage: {}, name can't start with a number or contain symbols",
           gofmt::quote(args[2]));
  } else if (args.size() != 1) {
    fail("FROM requires either one or three arguments");
  }
  InstructionFlags flags(syntax.flags);
  flags.add_string("platform");
  flags.parse();
  from.image = args[0];
  from.platform = flags.string("platform");
  return from;
}

// Splits COPY/ADD arguments into sources and destination; `<<EOF` sources take their heredoc.
void parse_sources_and_destination(const InstructionSyntax& syntax, std::string_view keyword,
                                   FileCopy& copy) {
  auto heredoc_of = [](std::string_view word) -> std::optional<Heredoc> {
    try {
      return parse_heredoc_word(word);
    } catch (const Error&) {
      return std::nullopt;  // a malformed delimiter is just a path here, as in BuildKit
    }
  };
  copy.destination = syntax.args.back();
  if (heredoc_of(copy.destination)) fail("{} cannot accept a heredoc as a destination", keyword);
  for (size_t i = 0; i + 1 < syntax.args.size(); ++i) {
    const std::string& source = syntax.args[i];
    auto heredoc = heredoc_of(source);
    if (!heredoc) {
      copy.sources.push_back(source);
      continue;
    }
    auto body = std::find_if(syntax.heredocs.begin(), syntax.heredocs.end(),
                             [&](const Heredoc& h) { return h.name == heredoc->name; });
    if (body != syntax.heredocs.end()) heredoc->content = body->content;
    if (heredoc->strip_tabs) heredoc->content = strip_leading_tabs(heredoc->content);
    copy.inline_sources.push_back(std::move(*heredoc));
  }
}

void declare_copy_flags(InstructionFlags& flags) {
  flags.add_strings("exclude");
  flags.add_string("chown");
  flags.add_string("chmod");
  flags.add_bool("link");
}

void read_copy_flags(const InstructionFlags& flags, FileCopy& copy) {
  copy.excludes = flags.strings("exclude");
  copy.chown = flags.string("chown");
  copy.chmod = flags.string("chmod");
  copy.link = flags.boolean("link");
}

CopyInstruction parse_copy(const InstructionSyntax& syntax) {
  require_destination(syntax, "COPY");
  InstructionFlags flags(syntax.flags);
  declare_copy_flags(flags);
  flags.add_bool("parents");
  flags.add_string("from");
  flags.parse();
  CopyInstruction copy;
  parse_sources_and_destination(syntax, "COPY", copy);
  read_copy_flags(flags, copy);
  copy.parents = flags.boolean("parents");
  copy.from = flags.string("from");
  return copy;
}

AddInstruction parse_add(const InstructionSyntax& syntax) {
  require_destination(syntax, "ADD");
  InstructionFlags flags(syntax.flags);
  declare_copy_flags(flags);
  flags.add_bool("keep-git-dir");
  flags.add_string("checksum");
  flags.parse();
  AddInstruction add;
  parse_sources_and_destination(syntax, "ADD", add);
  read_copy_flags(flags, add);
  add.keep_git_dir = flags.boolean("keep-git-dir");
  add.checksum = flags.string("checksum");
  return add;
}

RunInstruction parse_run(const InstructionSyntax& syntax) {
  InstructionFlags flags(syntax.flags);
  flags.add_strings("mount");
  flags.add_string("network", "default");
  flags.add_string("security", "sandbox");
  flags.parse();
  RunInstruction run;
  run.command = command_line(syntax.args, syntax.json);
  run.heredocs = syntax.heredocs;
  run.mounts = flags.strings("mount");
  run.network = flags.string("network");
  run.security = flags.string("security");
  if (run.network != "default" && run.network != "none" && run.network != "host")
    fail("invalid network mode {}", gofmt::quote(run.network));
  if (run.security != "sandbox" && run.security != "insecure")
    fail("security {} is not valid", gofmt::quote(run.security));
  return run;
}

// A HEALTHCHECK duration: Go syntax, 0 means "not set", anything else at least 1ms.
int64_t health_interval(const InstructionFlags& flags, std::string_view name) {
  const std::string& text = flags.string(name);
  if (text.empty()) return 0;
  int64_t nanoseconds = parse_go_duration(text);
  if (nanoseconds != 0 && nanoseconds < 1000000)
    fail("Interval {} cannot be less than 1ms", gofmt::quote(name));
  return nanoseconds;
}

HealthcheckInstruction parse_healthcheck(const InstructionSyntax& syntax) {
  if (syntax.args.empty()) fail_at_least_one_argument("HEALTHCHECK");
  HealthcheckInstruction health;
  std::string type = upper(syntax.args[0]);
  std::vector<std::string> args(syntax.args.begin() + 1, syntax.args.end());
  if (type == "NONE") {
    if (!args.empty()) fail("HEALTHCHECK NONE takes no arguments");
    health.test = {"NONE"};
    return health;  // docker does not look at the flags of NONE
  }
  InstructionFlags flags(syntax.flags);
  for (const char* name : {"interval", "timeout", "start-period", "start-interval", "retries"})
    flags.add_string(name);
  flags.parse();
  if (type != "CMD") fail("Unknown type {} in HEALTHCHECK (try CMD)", gofmt::quote(type));
  CommandLine command = command_line(args, syntax.json);
  if (command.args.empty()) fail("Missing command after HEALTHCHECK CMD");
  health.test = {command.shell_form ? "CMD-SHELL" : "CMD"};
  health.test.insert(health.test.end(), command.args.begin(), command.args.end());
  health.interval_ns = health_interval(flags, "interval");
  health.timeout_ns = health_interval(flags, "timeout");
  health.start_period_ns = health_interval(flags, "start-period");
  health.start_interval_ns = health_interval(flags, "start-interval");
  if (const std::string& text = flags.string("retries"); !text.empty()) {
    int64_t retries = 0;
    // Go's ParseInt also takes a leading '+', which from_chars does not.
    const char* digits = text.data() + (text.size() > 1 && text[0] == '+' && text[1] != '-' ? 1 : 0);
    auto [end, ec] = std::from_chars(digits, text.data() + text.size(), retries);
    if (ec == std::errc::result_out_of_range || (ec == std::errc() && end == text.data() + text.size() &&
                                                 (retries > INT32_MAX || retries < INT32_MIN)))
      fail("strconv.ParseInt: parsing {}: value out of range", gofmt::quote(text));
    if (ec != std::errc() || end != text.data() + text.size())
      fail("strconv.ParseInt: parsing {}: invalid syntax", gofmt::quote(text));
    if (retries < 0) fail("--retries cannot be negative ({})", retries);
    health.retries = static_cast<int>(retries);
  }
  return health;
}

OnbuildInstruction parse_onbuild(const InstructionSyntax& syntax) {
  if (syntax.args.empty()) fail_at_least_one_argument("ONBUILD");
  parse_no_flags(syntax);
  std::string trigger = upper(trim(syntax.args[0]));
  if (trigger == "ONBUILD") fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger == "MAINTAINER" || trigger == "FROM") fail("{} isn't allowed as an ONBUILD trigger", trigger);
  // The trigger is stored as written, without the ONBUILD keyword and the blanks after it.
  std::string_view text = syntax.original;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  text.remove_prefix(std::min<size_t>(7, text.size()));
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  OnbuildInstruction onbuild{std::string(text)};
  for (const auto& heredoc : syntax.heredocs) onbuild.trigger += "\n" + heredoc.content + heredoc.name;
  return onbuild;
}

ArgInstruction parse_arg(const InstructionSyntax& syntax) {
  if (syntax.args.empty()) fail_at_least_one_argument("ARG");
  parse_no_flags(syntax);
  ArgInstruction arg;
  for (const auto& word : syntax.args) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      arg.args.push_back({word, std::nullopt});
      continue;
    }
    if (eq == 0) fail("ARG names can not be blank");
    arg.args.push_back({word.substr(0, eq), word.substr(eq + 1)});
  }
  return arg;
}

ShellInstruction parse_shell(const InstructionSyntax& syntax) {
  parse_no_flags(syntax);
  if (syntax.args.empty()) fail_at_least_one_argument("SHELL");
  if (!syntax.json) fail("SHELL requires the arguments to be in JSON form");
  return ShellInstruction{syntax.args};
}

VolumeInstruction parse_volume(const InstructionSyntax& syntax) {
  if (syntax.args.empty()) fail_at_least_one_argument("VOLUME");
  parse_no_flags(syntax);
  VolumeInstruction volume;
  for (const auto& path : syntax.args) {
    std::string_view trimmed = trim(path);
    if (trimmed.empty()) fail("VOLUME specified can not be an empty string");
    volume.paths.emplace_back(trimmed);
  }
  return volume;
}

ExposeInstruction parse_expose(const InstructionSyntax& syntax) {
  if (syntax.args.empty()) fail_at_least_one_argument("EXPOSE");
  parse_no_flags(syntax);
  ExposeInstruction expose{syntax.args};
  std::sort(expose.ports.begin(), expose.ports.end());
  return expose;
}

// The single-string instructions; STOPSIGNAL is the one BuildKit never checks flags for.
std::string single_argument(const InstructionSyntax& syntax, std::string_view keyword,
                            bool check_flags = true) {
  require_exactly_one_argument(syntax, keyword);
  if (check_flags) parse_no_flags(syntax);
  return syntax.args[0];
}

using BodyParser = std::function<InstructionBody(const InstructionSyntax&)>;

const std::map<std::string, BodyParser, std::less<>>& body_parsers() {
  static const std::map<std::string, BodyParser, std::less<>> parsers = {
      {"ADD", parse_add},
      {"ARG", parse_arg},
      {"CMD",
       [](const InstructionSyntax& s) -> InstructionBody {
         parse_no_flags(s);
         return CmdInstruction{command_line(s.args, s.json)};
       }},
      {"COPY", parse_copy},
      {"ENTRYPOINT",
       [](const InstructionSyntax& s) -> InstructionBody {
         parse_no_flags(s);
         return EntrypointInstruction{command_line(s.args, s.json)};
       }},
      {"ENV",
       [](const InstructionSyntax& s) -> InstructionBody {
         parse_no_flags(s);
         return EnvInstruction{key_values(s.args, "ENV")};
       }},
      {"EXPOSE", parse_expose},
      {"FROM", parse_from},
      {"HEALTHCHECK", parse_healthcheck},
      {"LABEL",
       [](const InstructionSyntax& s) -> InstructionBody {
         parse_no_flags(s);
         return LabelInstruction{key_values(s.args, "LABEL")};
       }},
      {"MAINTAINER",
       [](const InstructionSyntax& s) -> InstructionBody {
         return MaintainerInstruction{single_argument(s, "MAINTAINER")};
       }},
      {"ONBUILD", parse_onbuild},
      {"RUN", parse_run},
      {"SHELL", parse_shell},
      {"STOPSIGNAL",
       [](const InstructionSyntax& s) -> InstructionBody {
         return StopsignalInstruction{single_argument(s, "STOPSIGNAL", false)};
       }},
      {"USER",
       [](const InstructionSyntax& s) -> InstructionBody {
         return UserInstruction{single_argument(s, "USER")};
       }},
      {"VOLUME", parse_volume},
      {"WORKDIR",
       [](const InstructionSyntax& s) -> InstructionBody {
         return WorkdirInstruction{single_argument(s, "WORKDIR")};
       }},
  };
  return parsers;
}

}  // namespace

Instruction build_instruction(const InstructionSyntax& syntax) {
  Instruction instruction;
  instruction.keyword = upper(syntax.keyword);
  instruction.source = syntax.original;
  instruction.lines = syntax.lines;
  const auto& parsers = body_parsers();
  auto it = parsers.find(instruction.keyword);
  if (it == parsers.end()) {
    std::vector<std::string> names;
    for (const auto& [name, _] : parsers) names.push_back(name);
    std::string suggestion = closest_match(syntax.keyword, names, false);
    if (suggestion.empty()) fail("unknown instruction: {}", syntax.keyword);
    fail("unknown instruction: {} (did you mean {}?)", syntax.keyword, suggestion);
  }
  instruction.body = it->second(syntax);
  return instruction;
}

}  // namespace tug::build
