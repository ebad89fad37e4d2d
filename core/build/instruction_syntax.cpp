// Line splitting after BuildKit's parser (split_command.go, line_parsers.go): the keyword is the
// first blank-separated word, --flags are the leading words starting with "--" (quotes removed,
// `--` ends them), and the rest is shaped by the instruction's line parser. Values keep their
// quotes and escapes here; the lexer removes them when the builder expands the instruction.
#include "core/build/instruction_syntax.hpp"

#include <cctype>
#include <optional>

#include "core/format/go_strconv.hpp"
#include "util/error.hpp"
#include "util/json.hpp"

namespace tug::build {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
// BuildKit's reWhitespace `[\t\v\f\r ]+`, which splits words and the keyword off (no newline).
bool is_word_gap(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Splits at runs of blanks, at most `limit` pieces (0: no limit), as Go's regexp Split.
std::vector<std::string> split_at_gaps(std::string_view s, size_t limit = 0) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i < s.size();) {
    if (!is_word_gap(s[i]) || (limit && parts.size() + 1 == limit)) {
      ++i;
      continue;
    }
    parts.emplace_back(s.substr(start, i - start));
    while (i < s.size() && is_word_gap(s[i])) ++i;
    start = i;
  }
  parts.emplace_back(s.substr(start));
  return parts;
}

/// The leading --flags of `line` and what follows them. Flags take values only with `=`; quotes
/// in them are removed and \ escapes the next character.
std::pair<std::string_view, std::vector<std::string>> extract_flags(std::string_view line) {
  std::vector<std::string> flags;
  size_t pos = 0;
  for (;;) {
    while (pos < line.size() && is_space(line[pos])) ++pos;
    if (pos + 1 >= line.size() || line[pos] != '-' || line[pos + 1] != '-') return {line.substr(pos), flags};
    std::string word;
    bool quoted_empty_ok = false;
    char quote = 0;
    for (; pos < line.size(); ++pos) {
      char c = line[pos];
      if (!quote && is_space(c)) break;
      if (!quote && (c == '\'' || c == '"')) {
        quote = c;
        quoted_empty_ok = true;
      } else if (quote && c == quote) {
        quote = 0;
      } else if (c == '\\') {
        if (pos + 1 < line.size()) word += line[++pos];
      } else {
        word += c;
      }
    }
    if (word == "--") return {pos < line.size() ? line.substr(pos) : std::string_view(), flags};
    if (quoted_empty_ok || !word.empty()) flags.push_back(std::move(word));
  }
}

/// Words separated by blanks outside quotes, quotes and escapes kept (BuildKit's parseWords).
std::vector<std::string> quoted_words(std::string_view rest, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false, empty_ok = false;
  char quote = 0;
  for (size_t pos = 0; pos < rest.size(); ++pos) {
    char c = rest[pos];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == escape && quote != '\'') {
        if (pos + 1 == rest.size()) continue;  // an escape at the very end is dropped
        word += c;
        c = rest[++pos];
      }
      word += c;
      continue;
    }
    if (is_space(c)) {
      if (in_word && (empty_ok || !word.empty())) words.push_back(word);
      word.clear();
      in_word = empty_ok = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') {
      quote = c;
      empty_ok = true;
    } else if (c == escape) {
      if (pos + 1 == rest.size()) continue;
      word += c;
      c = rest[++pos];
    }
    word += c;
  }
  if (in_word && (empty_ok || !word.empty())) words.push_back(word);
  return words;
}

// ENV and LABEL: `KEY name value` (legacy, one pair) or `KEY n=v n=v...`.
std::vector<std::string> name_value_args(std::string_view rest, char escape, std::string_view keyword) {
  auto words = quoted_words(rest, escape);
  if (words.empty()) return {};
  if (words[0].find('=') == std::string::npos) {
    auto parts = split_at_gaps(rest, 2);
    if (parts.size() < 2) fail("{} must have two arguments", keyword);
    return parts;
  }
  std::vector<std::string> args;
  for (const auto& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos)
      fail("Syntax error - can't find = in {}. Must be of the form: name=value", gofmt::quote(word));
    args.push_back(word.substr(0, eq));
    args.push_back(word.substr(eq + 1));
  }
  return args;
}

void shape_maybe_json(InstructionSyntax& syntax, std::string_view rest) {
  if (rest.empty()) return;
  if (auto array = parse_json_array(rest)) {
    syntax.args = std::move(*array);
    syntax.json = true;
  } else {
    syntax.args = {std::string(rest)};
  }
}

void shape_maybe_json_list(InstructionSyntax& syntax, std::string_view rest) {
  if (auto array = parse_json_array(rest)) {
    syntax.args = std::move(*array);
    syntax.json = true;
  } else if (!rest.empty()) {
    syntax.args = split_at_gaps(rest);
  }
}

// HEALTHCHECK: the type word (CMD/NONE), then a command like CMD's.
void shape_healthcheck(InstructionSyntax& syntax, std::string_view rest) {
  size_t type_end = 0;
  while (type_end < rest.size() && !is_space(rest[type_end])) ++type_end;
  if (type_end == 0) return;
  size_t command_start = type_end;
  while (command_start < rest.size() && is_space(rest[command_start])) ++command_start;
  InstructionSyntax command;
  shape_maybe_json(command, rest.substr(command_start));
  syntax.args = {std::string(rest.substr(0, type_end))};
  syntax.args.insert(syntax.args.end(), command.args.begin(), command.args.end());
  syntax.json = command.json;
}

}  // namespace

std::optional<std::vector<std::string>> parse_json_array(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  if (text.empty() || text.front() != '[') return std::nullopt;
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& element : parsed) {
    if (!element.is_string()) fail("when using JSON array syntax, arrays must be comprised of strings only");
    out.push_back(element.get<std::string>());
  }
  return out;
}

InstructionSyntax split_instruction(std::string_view line, char escape) {
  InstructionSyntax syntax;
  syntax.original = line;
  std::string_view trimmed = trim(line);
  size_t gap = 0;
  while (gap < trimmed.size() && !is_word_gap(trimmed[gap])) ++gap;
  syntax.keyword = trimmed.substr(0, gap);
  std::string_view rest;
  if (gap < trimmed.size()) {
    auto [remaining, flags] = extract_flags(trimmed.substr(gap));
    rest = trim(remaining);
    syntax.flags = std::move(flags);
  }

  std::string keyword = lower(syntax.keyword);
  if (keyword == "run" || keyword == "cmd" || keyword == "entrypoint" || keyword == "shell") {
    shape_maybe_json(syntax, rest);
  } else if (keyword == "add" || keyword == "copy" || keyword == "volume") {
    shape_maybe_json_list(syntax, rest);
  } else if (keyword == "from" || keyword == "expose") {
    if (!rest.empty()) syntax.args = split_at_gaps(rest);
  } else if (keyword == "env" || keyword == "label") {
    syntax.args = name_value_args(rest, escape, keyword == "env" ? "ENV" : "LABEL");
  } else if (keyword == "arg") {
    syntax.args = quoted_words(rest, escape);
  } else if (keyword == "healthcheck") {
    shape_healthcheck(syntax, rest);
  } else if (keyword == "maintainer" || keyword == "stopsignal" || keyword == "user" ||
             keyword == "workdir") {
    if (!rest.empty()) syntax.args = {std::string(rest)};
  } else if (keyword == "onbuild") {
    if (!rest.empty()) {
      InstructionSyntax trigger = split_instruction(rest, escape);
      syntax.args = {trigger.keyword};
      syntax.args.insert(syntax.args.end(), trigger.args.begin(), trigger.args.end());
      syntax.json = trigger.json;
    }
  }
  // Unknown keywords keep no arguments; the instruction stage reports them.
  return syntax;
}

bool can_contain_heredoc(const InstructionSyntax& syntax) {
  std::string keyword = lower(syntax.keyword);
  if (keyword == "onbuild" && !syntax.args.empty()) keyword = lower(syntax.args[0]);
  return (keyword == "run" || keyword == "copy" || keyword == "add") && !syntax.json;
}

}  // namespace tug::build
