// Docker's Dockerfile word lexer: one left-to-right pass that expands $variables, removes quotes
// and escapes, and (for expand_words) splits at unquoted whitespace. Written after the behaviour
// of BuildKit's shell/lex.go, including its error wording; works on bytes (all special
// characters are ASCII, so UTF-8 text passes through untouched).
#include "core/build/shell_lexer.hpp"

#include <optional>
#include <utility>

#include "core/format/go_strconv.hpp"
#include "util/error.hpp"

namespace tug::build {

namespace {

constexpr int kEnd = -1;

/// A lexing failure; the public functions wrap it once with the whole source text.
struct LexError {
  std::string message;
};

bool is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
bool is_digit(int c) { return c >= '0' && c <= '9'; }
bool is_name_char(int c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
// POSIX special parameters: `$?`, `$#`... name a variable of one character.
bool is_special_parameter(int c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' || c == '0';
}

/// Splits the lexer's output into words: literal characters split at whitespace, quoted text
/// and escaped characters never do, and an expansion's value splits like literal text.
class WordCollector {
 public:
  void add_char(char c) {
    if (!is_space(c)) {
      add_raw_char(c);
    } else if (in_word_ && !current_.empty()) {
      words_.push_back(std::exchange(current_, {}));
      in_word_ = false;
    }
  }
  void add_raw_char(char c) {
    current_ += c;
    in_word_ = true;
  }
  void add_string(std::string_view s) {
    for (char c : s) add_char(c);
  }
  void add_raw_string(std::string_view s) {
    current_ += s;
    in_word_ = true;
  }
  // Like docker, an empty quoted string on its own ("") makes no word.
  std::vector<std::string> finish() {
    if (!current_.empty()) words_.push_back(std::exchange(current_, {}));
    return std::move(words_);
  }

 private:
  std::string current_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

/// A shell pattern of ${v#p}, ${v%p} and ${v/p/r}: literal bytes, `?` and `*`.
struct PatternToken {
  enum Kind { kLiteral, kAnyOne, kAnyRun } kind;
  char literal;
};

std::vector<PatternToken> compile_shell_pattern(std::string_view pattern) {
  std::vector<PatternToken> tokens;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '*') {
      tokens.push_back({PatternToken::kAnyRun, 0});
    } else if (c == '?') {
      tokens.push_back({PatternToken::kAnyOne, 0});
    } else if (c == '\\') {
      // `\}` and `\/` only protected the character from ending the ${} part.
      char next = i + 1 < pattern.size() ? pattern[i + 1] : '\0';
      if (next == '}' || next == '/') continue;
      if (next != '*' && next != '?' && next != '\\')
        throw LexError{fmt::format("invalid pattern ({}) in substitution: invalid escape '\\{}'", pattern,
                                   next ? std::string(1, next) : std::string())};
      tokens.push_back({PatternToken::kLiteral, next});
      ++i;
    } else {
      tokens.push_back({PatternToken::kLiteral, c});
    }
  }
  return tokens;
}

/// Whether the whole of `text` matches; classic star backtracking, O(len(text) * len(pattern)).
bool matches_entirely(const std::vector<PatternToken>& pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p].kind == PatternToken::kAnyOne ||
         (pattern[p].kind == PatternToken::kLiteral && pattern[p].literal == text[t]))) {
      ++p, ++t;
    } else if (p < pattern.size() && pattern[p].kind == PatternToken::kAnyRun) {
      star = p++;
      star_text = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p].kind == PatternToken::kAnyRun) ++p;
  return p == pattern.size();
}

/// Length of the shortest (or longest) prefix of `text` starting at `from` that the pattern
/// matches, or nullopt.
std::optional<size_t> match_at(const std::vector<PatternToken>& pattern, std::string_view text, size_t from,
                               bool longest) {
  size_t room = text.size() - from;
  for (size_t i = 0; i <= room; ++i) {
    size_t length = longest ? room - i : i;
    if (matches_entirely(pattern, text.substr(from, length))) return length;
  }
  return std::nullopt;
}

std::string remove_prefix(std::string_view pattern, std::string_view value, bool longest) {
  auto length = match_at(compile_shell_pattern(pattern), value, 0, longest);
  return std::string(length ? value.substr(*length) : value);
}

std::string remove_suffix(std::string_view pattern, std::string_view value, bool longest) {
  auto tokens = compile_shell_pattern(pattern);
  for (size_t i = 0; i <= value.size(); ++i) {
    size_t length = longest ? value.size() - i : i;
    if (matches_entirely(tokens, value.substr(value.size() - length))) {
      return std::string(value.substr(0, value.size() - length));
    }
  }
  return std::string(value);
}

// ${v/p/r}: the leftmost match, longest there (docker's greedy regexp); ${v//p/r}: every one.
std::string replace_matches(std::string_view pattern, std::string_view replacement, std::string_view value,
                            bool all) {
  auto tokens = compile_shell_pattern(pattern);
  std::string out;
  size_t i = 0;
  size_t last_match_end = std::string::npos;
  bool replaced = false;
  while (i <= value.size()) {
    std::optional<size_t> length;
    if (all || !replaced) length = match_at(tokens, value, i, true);
    // As in Go's ReplaceAll, an empty match right after a match is no match.
    if (length && !(*length == 0 && i == last_match_end)) {
      out += replacement;
      replaced = true;
      if (*length > 0) {
        i += *length;
        last_match_end = i;
        continue;
      }
    }
    if (i < value.size()) out += value[i];
    ++i;
  }
  return out;
}

class Lexer {
 public:
  Lexer(std::string_view source, const VariableMap& variables, const LexOptions& options)
      : source_(source), variables_(variables), options_(options), raw_escapes_(options.keep_escapes) {}

  struct Result {
    std::string text;
    std::vector<std::string> words;
  };

  /// Processes up to `stop` (consumed) or the end of the source (kEnd).
  Result process_until(int stop, bool raw_escapes) {
    bool saved_raw_escapes = std::exchange(raw_escapes_, raw_escapes);
    std::string text;
    WordCollector words;
    while (peek() != kEnd) {
      int c = peek();
      if (stop != kEnd && c == stop) {
        next();
        raw_escapes_ = saved_raw_escapes;
        return {std::move(text), words.finish()};
      }
      if (c == '$') {
        std::string value = dollar();
        text += value;
        words.add_string(value);
        continue;
      }
      if ((c == '\'' || c == '"') && !options_.literal_quotes) {
        std::string quoted = c == '\'' ? single_quoted() : double_quoted();
        text += quoted;
        words.add_raw_string(quoted);
        continue;
      }
      next();
      if (c == options_.escape) {
        if (raw_escapes_) {
          words.add_raw_char(static_cast<char>(c));
          text += static_cast<char>(c);
        }
        c = next();
        if (c == kEnd) break;  // an escape at the very end is dropped
        words.add_raw_char(static_cast<char>(c));
      } else {
        words.add_char(static_cast<char>(c));
      }
      text += static_cast<char>(c);
    }
    raw_escapes_ = saved_raw_escapes;
    if (stop != kEnd)
      throw LexError{
          fmt::format("unexpected end of statement while looking for matching {}", static_cast<char>(stop))};
    return {std::move(text), words.finish()};
  }

 private:
  int peek() const { return pos_ < source_.size() ? static_cast<unsigned char>(source_[pos_]) : kEnd; }
  int next() { return pos_ < source_.size() ? static_cast<unsigned char>(source_[pos_++]) : kEnd; }

  std::optional<std::string> lookup(std::string_view name) const {
    auto it = variables_.find(name);
    if (it == variables_.end()) return std::nullopt;
    return it->second;
  }

  // Everything up to the next ' is literal; nothing can be escaped inside.
  std::string single_quoted() {
    std::string out;
    next();
    if (options_.keep_quotes) out += '\'';
    for (;;) {
      int c = next();
      if (c == kEnd) throw LexError{"unexpected end of statement while looking for matching single-quote"};
      if (c == '\'') break;
      out += static_cast<char>(c);
    }
    if (options_.keep_quotes) out += '\'';
    return out;
  }

  // $ expands; the escape character escapes only ", $ and itself, and is kept before anything else.
  std::string double_quoted() {
    std::string out;
    next();
    if (options_.keep_quotes) out += '"';
    for (;;) {
      int c = peek();
      if (c == kEnd) throw LexError{"unexpected end of statement while looking for matching double-quote"};
      if (c == '"') {
        next();
        if (options_.keep_quotes) out += '"';
        return out;
      }
      if (c == '$') {
        out += dollar();
        continue;
      }
      next();
      if (c == options_.escape) {
        if (raw_escapes_) out += static_cast<char>(c);
        int following = peek();
        if (following == kEnd) continue;
        if (following == '"' || following == '$' || following == options_.escape) c = next();
      }
      out += static_cast<char>(c);
    }
  }

  std::string name() {
    std::string out;
    while (peek() != kEnd) {
      int c = peek();
      if (out.empty() && is_digit(c)) {
        while (is_digit(peek())) out += static_cast<char>(next());
        return out;
      }
      if (out.empty() && is_special_parameter(c)) return std::string(1, static_cast<char>(next()));
      if (!is_name_char(c)) break;
      out += static_cast<char>(next());
    }
    return out;
  }

  std::string dollar() {
    next();  // $
    if (peek() != '{') {
      std::string variable = name();
      if (variable.empty()) return "$";
      auto value = lookup(variable);
      if (!value && options_.keep_unset) return "$" + variable;
      return value.value_or("");
    }
    next();  // {
    int first = peek();
    if (first == kEnd) throw LexError{"syntax error: missing '}'"};
    if (first == '{' || first == '}' || first == ':') throw LexError{"syntax error: bad substitution"};
    std::string variable = name();
    int op = next();
    if (op == kEnd) throw LexError{"syntax error: missing '}'"};
    std::string op_text(1, static_cast<char>(op));
    switch (op) {
      case '}': {
        auto value = lookup(variable);
        if (!value && options_.keep_unset) return "${" + variable + "}";
        return value.value_or("");
      }
      case ':': {
        op = next();
        if (op == kEnd) throw LexError{"syntax error: missing '}'"};
        op_text += static_cast<char>(op);
        return modifier(variable, op, op_text, true);
      }
      case '+':
      case '-':
      case '?':
      case '#':
      case '%':
        return modifier(variable, op, op_text, false);
      case '/':
        return substitution(variable);
      default:
        throw LexError{fmt::format("unsupported modifier ({}) in substitution", op_text)};
    }
  }

  /// The word of ${v<op>word}, up to the closing brace.
  std::string word_until_brace(bool raw_escapes) {
    try {
      return process_until('}', raw_escapes).text;
    } catch (const LexError&) {
      if (peek() == kEnd) throw LexError{"syntax error: missing '}'"};
      throw;
    }
  }

  // ${v-w} ${v+w} ${v?w} ${v#p} ${v%p} and, with `null_is_unset`, their ${v:..} forms, where an
  // empty value counts as unset.
  std::string modifier(const std::string& variable, int op, const std::string& op_text, bool null_is_unset) {
    bool pattern_op = op == '#' || op == '%';
    if (null_is_unset && pattern_op)
      throw LexError{fmt::format("unsupported modifier ({}) in substitution", op_text)};
    std::string word = word_until_brace(pattern_op);
    auto value = lookup(variable);
    if (!value && options_.keep_unset) return "${" + variable + op_text + word + "}";
    bool absent = !value || (null_is_unset && value->empty());
    switch (op) {
      case '-':
        return absent ? word : *value;
      case '+':
        return absent ? std::string() : word;
      case '?':
        if (!value) throw LexError{variable + ": " + (word.empty() ? "is not allowed to be unset" : word)};
        if (null_is_unset && value->empty())
          throw LexError{variable + ": " + (word.empty() ? "is not allowed to be empty" : word)};
        return *value;
      case '#':
      case '%': {
        // #p / %p remove the shortest match, ##p / %%p the longest.
        bool longest = !word.empty() && word[0] == op;
        std::string_view pattern = longest ? std::string_view(word).substr(1) : std::string_view(word);
        return op == '#' ? remove_prefix(pattern, value.value_or(""), longest)
                         : remove_suffix(pattern, value.value_or(""), longest);
      }
      default:
        throw LexError{fmt::format("unsupported modifier ({}) in substitution", op_text)};
    }
  }

  // ${v/pattern/replacement} and ${v//pattern/replacement}.
  std::string substitution(const std::string& variable) {
    bool all = peek() == '/';
    if (all) next();
    std::string pattern;
    try {
      pattern = process_until('/', true).text;
    } catch (const LexError&) {
      if (peek() == kEnd) throw LexError{"syntax error: missing '/' in ${}"};
      throw;
    }
    std::string replacement = word_until_brace(true);
    auto value = lookup(variable);
    if (!value && options_.keep_unset) return "${" + variable + "/" + pattern + "/" + replacement + "}";
    return replace_matches(pattern, replacement, value.value_or(""), all);
  }

  std::string_view source_;
  const VariableMap& variables_;
  const LexOptions& options_;
  bool raw_escapes_;
  size_t pos_ = 0;
};

[[noreturn]] void fail_lexing(std::string_view text, const LexError& e) {
  fail("failed to process {}: {}", gofmt::quote(text), e.message);
}

}  // namespace

std::string expand_word(std::string_view text, const VariableMap& variables, const LexOptions& options) {
  try {
    return Lexer(text, variables, options).process_until(kEnd, options.keep_escapes).text;
  } catch (const LexError& e) {
    fail_lexing(text, e);
  }
}

std::vector<std::string> expand_words(std::string_view text, const VariableMap& variables,
                                      const LexOptions& options) {
  try {
    return Lexer(text, variables, options).process_until(kEnd, options.keep_escapes).words;
  } catch (const LexError& e) {
    fail_lexing(text, e);
  }
}

}  // namespace tug::build
