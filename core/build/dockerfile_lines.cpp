// Physical → logical Dockerfile lines, after BuildKit's parser.Parse: directives are only read
// until the first line that is not one; comment lines vanish (also inside a continuation, where
// blank lines vanish too, with docker's warning); a line continues when it ends with the escape
// character (trailing blanks allowed) that is not itself escaped. Leading whitespace of an
// instruction's first line is dropped; continuation lines are kept as written.
#include "core/build/dockerfile_lines.hpp"

#include <fmt/format.h>

#include <cctype>

#include "core/build/dockerfile.hpp"
#include "util/error.hpp"

namespace tug::build {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
// RE2's \s, which BuildKit's directive regexp uses: no vertical tab.
bool is_regexp_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

std::string_view trim_newline(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

std::string_view trim_leading_space(std::string_view line) {
  while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
  return line;
}

bool is_comment(std::string_view line) {
  line = trim_leading_space(line);
  return !line.empty() && line.front() == '#';
}

}  // namespace

DockerfileLines::DockerfileLines(std::string_view text, std::string_view file_name)
    : text_(text), file_name_(file_name) {}

std::optional<std::string_view> DockerfileLines::next_raw_line() {
  if (pos_ >= text_.size()) return std::nullopt;
  size_t newline = text_.find('\n', pos_);
  size_t end = newline == std::string_view::npos ? text_.size() : newline + 1;
  std::string_view line = text_.substr(pos_, end - pos_);
  pos_ = end;
  ++line_number_;
  if (line_number_ == 1 && line.starts_with(kUtf8Bom)) line.remove_prefix(kUtf8Bom.size());
  return line;
}

// `# key = value` with key syntax, escape or check, each at most once, before anything else.
// The first line that is not a directive (comment, blank line, instruction, unknown key) ends
// the directives for good, as docker documents.
void DockerfileLines::parse_possible_directive(std::string_view line) {
  if (directives_done_) return;
  if (line.empty() || line.front() != '#') {
    directives_done_ = true;
    return;
  }
  line = trim_leading_space(line.substr(1));
  size_t key_end = 0;
  if (line.empty() || !std::isalpha(static_cast<unsigned char>(line[0]))) {
    directives_done_ = true;
    return;
  }
  while (key_end < line.size() && std::isalnum(static_cast<unsigned char>(line[key_end]))) ++key_end;
  std::string key(line.substr(0, key_end));
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest = line.substr(key_end);
  while (!rest.empty() && is_regexp_space(rest.front())) rest.remove_prefix(1);
  if (rest.empty() || rest.front() != '=') {
    directives_done_ = true;
    return;
  }
  rest.remove_prefix(1);
  while (!rest.empty() && is_regexp_space(rest.front())) rest.remove_prefix(1);
  while (!rest.empty() && is_regexp_space(rest.back())) rest.remove_suffix(1);
  bool* seen = key == "syntax"   ? &seen_syntax_
               : key == "escape" ? &seen_escape_
               : key == "check"  ? &seen_check_
                                 : nullptr;
  if (rest.empty() || !seen) {
    directives_done_ = true;
    return;
  }
  if (*seen)
    fail_at_line(file_name_, line_number_, fmt::format("only one {} parser directive can be used", key));
  *seen = true;
  if (key == "syntax") {
    syntax_ = rest;
  } else if (key == "check") {
    check_ = rest;
  } else {
    if (rest != "`" && rest != "\\")
      fail_at_line(file_name_, line_number_,
                   fmt::format("invalid escape token '{}' does not match ` or \\", rest));
    escape_ = rest.front();
  }
}

// BuildKit: `([^E])E[ \t]*$|^E[ \t]*$` for escape character E.
bool DockerfileLines::ends_with_continuation(std::string_view line) const {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  if (line.empty() || line.back() != escape_) return false;
  return line.size() == 1 || line[line.size() - 2] != escape_;
}

namespace {

// Drops the continuation escape and the blanks after it, keeping everything before.
std::string_view without_continuation(std::string_view line, char escape) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  if (!line.empty() && line.back() == escape) line.remove_suffix(1);
  return line;
}

bool all_space(std::string_view s) { return trim_leading_space(s).empty(); }

}  // namespace

std::optional<LogicalLine> DockerfileLines::next_logical_line() {
  while (auto raw = next_raw_line()) {
    std::string_view first = trim_leading_space(trim_newline(*raw));
    parse_possible_directive(first);
    if (!first.empty() && first.front() == '#') continue;  // comments cannot continue

    LogicalLine logical;
    logical.first_line = line_number_;
    bool continues = ends_with_continuation(first);
    logical.text = continues ? without_continuation(first, escape_) : first;
    bool empty_continuation = false;
    while (continues) {
      auto next = next_raw_line();
      if (!next) break;  // a continuation at the end of the file just ends the instruction
      std::string_view line = trim_newline(*next);
      if (is_comment(line)) continue;
      if (all_space(line)) {
        empty_continuation = true;
        continue;
      }
      continues = ends_with_continuation(line);
      logical.text += continues ? without_continuation(line, escape_) : line;
    }
    logical.last_line = line_number_;
    if (all_space(logical.text)) continue;
    if (empty_continuation) warnings_.push_back("Empty continuation line found in: " + logical.text);
    return logical;
  }
  return std::nullopt;
}

}  // namespace tug::build
