// Dockerfile parsing, end to end: logical lines (dockerfile_lines) → split instructions with their
// heredoc bodies (instruction_syntax, heredoc) → typed instructions (instruction_parse) → stages.
// Like BuildKit, the whole file is split first and instructions are checked afterwards, so a
// broken heredoc is reported before a bad instruction above it.
#include "core/build/dockerfile.hpp"

#include <cctype>

#include "core/build/dockerfile_lines.hpp"
#include "core/build/heredoc.hpp"
#include "core/build/instruction_parse.hpp"
#include "core/build/instruction_syntax.hpp"
#include "core/format/go_strconv.hpp"
#include "util/error.hpp"

namespace tug::build {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim_newline(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// Reads a heredoc's lines up to its delimiter (with <<-, also when indented by tabs).
void read_heredoc_body(DockerfileLines& lines, Heredoc& heredoc, std::string_view file,
                       int instruction_line) {
  while (auto raw = lines.next_raw_line()) {
    std::string_view candidate = trim_newline(*raw);
    if (heredoc.strip_tabs) {
      while (!candidate.empty() && candidate.front() == '\t') candidate.remove_prefix(1);
    }
    if (candidate == heredoc.name) {
      if (heredoc.strip_tabs) heredoc.content = strip_leading_tabs(heredoc.content);
      return;
    }
    heredoc.content += *raw;
  }
  fail_at_line(file, instruction_line, "unterminated heredoc");
}

std::vector<InstructionSyntax> split_all(DockerfileLines& lines, std::string_view file) {
  std::vector<InstructionSyntax> all;
  while (auto logical = lines.next_logical_line()) {
    InstructionSyntax syntax;
    std::vector<Heredoc> heredocs;
    try {
      syntax = split_instruction(logical->text, lines.escape());
      if (can_contain_heredoc(syntax) && logical->text.find("<<") != std::string::npos)
        heredocs = find_heredocs(logical->text);
    } catch (const Error& e) {
      fail_at_line(file, logical->first_line, e.what());
    }
    for (auto& heredoc : heredocs) read_heredoc_body(lines, heredoc, file, logical->first_line);
    syntax.heredocs = std::move(heredocs);
    syntax.lines = {logical->first_line, lines.line_number()};
    all.push_back(std::move(syntax));
  }
  return all;
}

Instruction build_at_line(const InstructionSyntax& syntax, std::string_view file) {
  try {
    return build_instruction(syntax);
  } catch (const Error& e) {
    fail_at_line(file, syntax.lines.first, e.what());
  }
}

}  // namespace

void fail_at_line(std::string_view file, int line, std::string_view message) {
  fail("{}:{}: {}", file, line, message);
}

Dockerfile parse_dockerfile(std::string_view text, std::string_view file_name) {
  // docker's CLI refuses an empty file before BuildKit sees it.
  if (text.empty()) fail("the Dockerfile ({}) cannot be empty", file_name);
  DockerfileLines lines(text, file_name);
  auto syntaxes = split_all(lines, file_name);
  if (syntaxes.empty()) fail_at_line(file_name, lines.line_number(), "file with no instructions");

  Dockerfile dockerfile;
  dockerfile.file_name = file_name;
  dockerfile.escape = lines.escape();
  dockerfile.syntax = lines.syntax();
  dockerfile.check = lines.check();
  dockerfile.warnings = lines.warnings();
  for (const auto& syntax : syntaxes) {
    Instruction instruction = build_at_line(syntax, file_name);
    if (dockerfile.stages.empty() && instruction.as<ArgInstruction>()) {
      dockerfile.global_args.push_back(std::move(instruction));
      continue;
    }
    if (const auto* from = instruction.as<FromInstruction>()) {
      if (!from->stage_name.empty() && find_stage(dockerfile, from->stage_name))
        fail_at_line(file_name, instruction.lines.first,
                     fmt::format("duplicate stage name {}", gofmt::quote(from->stage_name)));
      Stage stage;
      stage.name = from->stage_name;
      stage.base_image = from->image;
      stage.platform = from->platform;
      stage.source = instruction.source;
      stage.lines = instruction.lines;
      dockerfile.stages.push_back(std::move(stage));
      continue;
    }
    if (dockerfile.stages.empty())
      fail_at_line(file_name, instruction.lines.first, "no build stage in current context");
    dockerfile.stages.back().instructions.push_back(std::move(instruction));
  }
  if (dockerfile.stages.empty())
    fail_at_line(file_name, lines.line_number(), "dockerfile contains no stages to build");
  return dockerfile;
}

std::vector<Instruction> parse_instructions(std::string_view text, std::string_view file_name) {
  DockerfileLines lines(text, file_name);
  auto syntaxes = split_all(lines, file_name);
  if (syntaxes.empty()) fail_at_line(file_name, lines.line_number(), "file with no instructions");
  std::vector<Instruction> instructions;
  for (const auto& syntax : syntaxes) instructions.push_back(build_at_line(syntax, file_name));
  return instructions;
}

std::optional<size_t> find_stage(const Dockerfile& dockerfile, std::string_view name) {
  std::string wanted = lower(name);
  if (wanted.empty()) return std::nullopt;
  for (size_t i = 0; i < dockerfile.stages.size(); ++i) {
    if (dockerfile.stages[i].name == wanted) return i;
  }
  return std::nullopt;
}

const Stage& target_stage(const Dockerfile& dockerfile, std::string_view target) {
  if (dockerfile.stages.empty()) fail("dockerfile contains no stages to build");
  if (target.empty()) return dockerfile.stages.back();
  auto index = find_stage(dockerfile, target);
  if (!index) fail("target stage {} could not be found", gofmt::quote(target));
  return dockerfile.stages[*index];
}

}  // namespace tug::build
