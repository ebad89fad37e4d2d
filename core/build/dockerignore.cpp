// Ignore rules after moby/patternmatcher: ReadAll's line handling, New's '!' handling, and
// MatchesUsingParentResults's rule evaluation, which skips an exclusion rule while the path is
// not excluded and an inclusion rule while it is, and counts a rule that matched a directory as
// matching everything inside it.
#include "core/build/dockerignore.hpp"

#include "core/format/go_strconv.hpp"
#include "util/error.hpp"

namespace tug::build {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::string> read_ignore_patterns(std::string_view text) {
  std::vector<std::string> patterns;
  bool first_line = true;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (first_line && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    first_line = false;
    // A comment is a line whose very first character is '#'; "  #x" is a pattern.
    if (line.starts_with('#')) continue;
    std::string_view pattern = trim(line);
    if (pattern.empty()) continue;
    bool exception = pattern.front() == '!';
    if (exception) pattern = trim(pattern.substr(1));
    std::string cleaned;
    if (!pattern.empty()) {
      cleaned = clean_path(pattern);
      // Patterns are relative to the context root: "/foo" means "foo".
      if (cleaned.size() > 1 && cleaned.front() == '/') cleaned.erase(0, 1);
    }
    patterns.push_back(exception ? "!" + cleaned : cleaned);
  }
  return patterns;
}

IgnoreMatcher::IgnoreMatcher(const std::vector<std::string>& patterns) {
  for (const auto& written : patterns) {
    std::string_view pattern = trim(written);
    if (pattern.empty()) continue;
    bool exception = pattern.front() == '!';
    if (exception) {
      if (pattern.size() == 1) fail("illegal exclusion pattern: \"!\"");
      pattern.remove_prefix(1);
    }
    std::string cleaned = clean_path(pattern);
    try {
      rules_.push_back({PathPattern(cleaned), exception});
    } catch (const Error& e) {
      fail("invalid pattern {}: {}", gofmt::quote(written), e.what());
    }
    if (exception) {
      // BuildKit's walk prunes excluded directories only while every exception is a plain
      // path (a trailing ** aside): then only "dir/..." exceptions can reach inside "dir".
      std::string_view plain = cleaned;
      if (plain.ends_with("**")) plain.remove_suffix(2);
      if (plain.ends_with('/')) plain.remove_suffix(1);
      if (plain.find_first_of("\\*?[") != std::string_view::npos) exceptions_have_wildcards_ = true;
    }
  }
}

IgnoreMatcher::Match IgnoreMatcher::match(std::string_view path, const MatchState* parent) const {
  Match result;
  result.state.assign(rules_.size(), false);
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    bool matched = parent && !parent->empty() && (*parent)[i];
    if (!matched) {
      // An exclusion cannot change an included path and an exception cannot change an
      // excluded one... unless it already matched the directory above (handled above).
      if (rule.exception != result.excluded) continue;
      matched = rule.pattern.matches(path);
      if (!matched && !parent) {
        // Without a walk's parent state, a rule matching any enclosing directory counts.
        for (size_t slash = path.find('/'); slash != std::string_view::npos && !matched;
             slash = path.find('/', slash + 1))
          matched = rule.pattern.matches(path.substr(0, slash));
      }
    }
    result.state[i] = matched;
    if (matched) result.excluded = !rule.exception;
  }
  return result;
}

bool IgnoreMatcher::excluded(std::string_view path) const {
  std::string cleaned = clean_path(path);
  if (cleaned == "." || cleaned == "/") return false;  // docker will not let the whole context go
  std::string_view rest = cleaned;
  if (rest.front() == '/') rest.remove_prefix(1);
  // Evaluate each enclosing directory first, exactly as the context walk does.
  Match current;
  MatchState parent;
  bool top = true;
  for (size_t start = 0;;) {
    size_t slash = rest.find('/', start);
    current = match(rest.substr(0, slash), top ? nullptr : &parent);
    if (slash == std::string_view::npos) break;
    parent = current.state;
    top = false;
    start = slash + 1;
  }
  return current.excluded;
}

bool IgnoreMatcher::must_walk_excluded_directory(std::string_view directory) const {
  bool any_exception = false;
  std::string inside = std::string(directory) + "/";
  for (const auto& rule : rules_) {
    if (!rule.exception) continue;
    any_exception = true;
    if ((rule.pattern.text() + "/").starts_with(inside)) return true;
  }
  return any_exception && exceptions_have_wildcards_;
}

}  // namespace tug::build
