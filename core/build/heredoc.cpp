// Heredoc detection after BuildKit's parser: an instruction line is split into words with quotes
// and escapes kept, and each word matching `^[0-9]*<<-?\s*[^<]*$` whose remainder is exactly one
// shell word names a heredoc. Lexing the delimiter with and without quote removal tells whether
// any part of it was quoted, which turns expansion of the body off.
#include "core/build/heredoc.hpp"

#include <algorithm>
#include <cctype>

#include "core/build/shell_lexer.hpp"
#include "util/error.hpp"

namespace tug::build {

namespace {

bool is_regexp_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

size_t count_quotes(std::string_view s) {
  return std::count(s.begin(), s.end(), '\'') + std::count(s.begin(), s.end(), '"');
}

// "<<", "<<-", "3<<": a heredoc operator whose delimiter came as the next word.
bool is_bare_operator(std::string_view word) {
  size_t i = 0;
  while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) ++i;
  std::string_view op = word.substr(i);
  return op == "<<" || op == "<<-";
}

// Unset $names stay as written: `<<$EOF` is delimited by the line "$EOF".
LexOptions delimiter_lexing(bool keep_quotes, bool keep_escapes) {
  LexOptions options;
  options.keep_quotes = keep_quotes;
  options.keep_escapes = keep_escapes;
  options.keep_unset = true;
  return options;
}

}  // namespace

std::optional<Heredoc> parse_heredoc_word(std::string_view word) {
  size_t i = 0;
  while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) ++i;
  std::string_view digits = word.substr(0, i);
  if (word.substr(i, 2) != "<<") return std::nullopt;
  i += 2;
  Heredoc heredoc;
  if (i < word.size() && word[i] == '-') {
    heredoc.strip_tabs = true;
    ++i;
  }
  while (i < word.size() && is_regexp_space(word[i])) ++i;
  std::string_view rest = word.substr(i);
  if (rest.empty() || rest.find('<') != std::string_view::npos) return std::nullopt;

  auto words = expand_words(rest, {}, delimiter_lexing(false, false));
  if (words.size() != 1) return std::nullopt;
  auto raw_words = expand_words(rest, {}, delimiter_lexing(true, false));
  if (raw_words.size() != words.size())
    fail("internal lexing of heredoc produced inconsistent results: {}", rest);

  heredoc.name = words[0];
  heredoc.expand = count_quotes(words[0]) == count_quotes(raw_words[0]);
  for (char d : digits) heredoc.fd = heredoc.fd * 10 + (d - '0');
  return heredoc;
}

std::vector<Heredoc> find_heredocs(std::string_view line) {
  std::vector<std::string> words;
  try {
    words = expand_words(line, {}, delimiter_lexing(true, true));
  } catch (const Error&) {
    return {};  // BuildKit ignores a line it cannot split: no heredocs
  }
  std::vector<Heredoc> heredocs;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string word = words[i];
    if (is_bare_operator(word) && i + 1 < words.size()) word += " " + words[++i];
    if (auto heredoc = parse_heredoc_word(word)) heredocs.push_back(std::move(*heredoc));
  }
  return heredocs;
}

std::string strip_leading_tabs(std::string_view content) {
  std::string out;
  out.reserve(content.size());
  bool line_start = true;
  for (char c : content) {
    if (line_start && c == '\t') continue;
    out += c;
    line_start = c == '\n';
  }
  return out;
}

}  // namespace tug::build
