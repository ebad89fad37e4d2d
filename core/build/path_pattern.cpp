// Pattern compilation mirrors patternmatcher's translation to a regular expression (`*` →
// [^/]*, `?` → [^/], inner `**` → (.*/)?, trailing `**` → .*), but matches with a memoised
// walk over (token, byte) pairs instead of a regex engine: linear in practice, never exponential.
#include "core/build/path_pattern.hpp"

#include "core/format/go_strconv.hpp"
#include "util/error.hpp"

namespace tug::build {

namespace {

[[noreturn]] void bad_pattern() { fail("syntax error in pattern"); }

/// One class endpoint as Go's filepath.Match reads it (getEsc): a character or \character,
/// never an unescaped '-' or ']', and never the end of the pattern.
char32_t class_endpoint(std::string_view pattern, size_t& pos) {
  if (pos >= pattern.size() || pattern[pos] == '-' || pattern[pos] == ']') bad_pattern();
  if (pattern[pos] == '\\') {
    ++pos;
    if (pos >= pattern.size()) bad_pattern();
  }
  auto [rune, length] = gofmt::decode_rune(pattern, pos);
  if (rune == gofmt::kRuneError && length == 1) bad_pattern();
  pos += length;
  if (pos >= pattern.size()) bad_pattern();  // the class is never closed
  return rune;
}

}  // namespace

std::string clean_path(std::string_view path) {
  bool rooted = !path.empty() && path.front() == '/';
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

PathPattern::PathPattern(std::string pattern) : text_(std::move(pattern)) {
  std::string_view p = text_;
  size_t pos = 0;
  for (int step = 0; pos < p.size(); ++step) {
    char c = p[pos++];
    if (c == '*' && pos < p.size() && p[pos] == '*') {
      ++pos;
      if (pos < p.size() && p[pos] == '/') ++pos;  // `**/` counts as `**`
      if (pos == p.size()) {
        if (kind_ == Kind::kExact) {
          kind_ = Kind::kPrefix;
        } else {
          tokens_.emplace_back(Token::kAnything);
          kind_ = Kind::kGlob;
        }
      } else {
        tokens_.emplace_back(Token::kDirectories);
        kind_ = Kind::kGlob;
      }
      if (step == 0) kind_ = Kind::kSuffix;
    } else if (c == '*') {
      tokens_.emplace_back(Token::kStarInName);
      kind_ = Kind::kGlob;
    } else if (c == '?') {
      tokens_.emplace_back(Token::kOneChar);
      kind_ = Kind::kGlob;
    } else if (c == '\\') {
      if (pos == p.size()) bad_pattern();
      tokens_.emplace_back(Token::kLiteral, p[pos++]);
      kind_ = Kind::kGlob;
    } else if (c == '[') {
      Token token(Token::kClass);
      if (pos < p.size() && p[pos] == '^') {
        token.negated = true;
        ++pos;
      }
      while (!(pos < p.size() && p[pos] == ']' && !token.ranges.empty())) {
        char32_t low = class_endpoint(p, pos);
        char32_t high = low;
        if (p[pos] == '-') {
          ++pos;
          high = class_endpoint(p, pos);
        }
        token.ranges.emplace_back(low, high);
      }
      ++pos;  // ]
      tokens_.push_back(std::move(token));
      kind_ = Kind::kGlob;
    } else {
      // A lone ']' is literal, as it is in the regular expression docker builds.
      tokens_.emplace_back(Token::kLiteral, c);
      if (c == ']') kind_ = Kind::kGlob;
    }
  }
}

bool PathPattern::matches(std::string_view path) const {
  switch (kind_) {
    case Kind::kExact:
      return path == text_;
    case Kind::kPrefix:
      return path.starts_with(std::string_view(text_).substr(0, text_.size() - 2));
    case Kind::kSuffix: {
      std::string_view suffix = std::string_view(text_).substr(2);
      if (path.ends_with(suffix)) return true;
      return !suffix.empty() && suffix.front() == '/' && path == suffix.substr(1);  // **/foo matches "foo"
    }
    case Kind::kGlob:
      return glob_matches(path);
  }
  return false;
}

bool PathPattern::glob_matches(std::string_view path) const {
  const size_t width = path.size() + 1;
  // 0 unknown, 1 no, 2 yes: whether tokens_[t..] match path[i..] entirely.
  std::vector<unsigned char> memo((tokens_.size() + 1) * width, 0);
  auto match = [&](auto&& self, size_t t, size_t i) -> bool {
    unsigned char& known = memo[t * width + i];
    if (known) return known == 2;
    bool result = false;
    if (t == tokens_.size()) {
      result = i == path.size();
    } else {
      const Token& token = tokens_[t];
      switch (token.type) {
        case Token::kLiteral:
          result = i < path.size() && path[i] == token.literal && self(self, t + 1, i + 1);
          break;
        case Token::kOneChar:
        case Token::kClass: {
          if (i >= path.size()) break;
          auto [rune, length] = gofmt::decode_rune(path, i);
          bool accepted;
          if (token.type == Token::kOneChar) {
            accepted = rune != '/';
          } else {
            bool in = false;
            for (const auto& [low, high] : token.ranges) in = in || (low <= rune && rune <= high);
            accepted = in != token.negated;
          }
          result = accepted && self(self, t + 1, i + length);
          break;
        }
        case Token::kStarInName:
          for (size_t k = i;; ++k) {
            if (self(self, t + 1, k)) {
              result = true;
              break;
            }
            if (k == path.size() || path[k] == '/') break;
          }
          break;
        case Token::kAnything:
          for (size_t k = i; k <= path.size() && !result; ++k) result = self(self, t + 1, k);
          break;
        case Token::kDirectories:
          result = self(self, t + 1, i);
          for (size_t k = i; k < path.size() && !result; ++k) {
            if (path[k] == '/') result = self(self, t + 1, k + 1);
          }
          break;
      }
    }
    known = result ? 2 : 1;
    return result;
  };
  return match(match, 0, 0);
}

}  // namespace tug::build
