// One .dockerignore pattern matched against a context path, with the semantics of docker's
// moby/patternmatcher: `*` and `?` never cross '/', `[...]` classes, `\` escapes, and `**`
// spans any number of directories (`**/x` also matches "x"; a trailing `**` matches anything).
// Internal to core/build (dockerignore.cpp combines patterns into rules).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tug::build {

/// A compiled pattern. Paths are relative and '/'-separated ("src/main.go").
class PathPattern {
 public:
  /// `pattern` must already be cleaned (see clean_path). Throws Error "syntax error in pattern"
  /// for what Go's filepath.Match rejects: an unclosed or empty class, a bad range, a trailing \.
  explicit PathPattern(std::string pattern);

  bool matches(std::string_view path) const;
  const std::string& text() const { return text_; }

 private:
  // Like patternmatcher, patterns without wildcards compare as strings, and `prefix**` and
  // `**suffix` as plain prefix/suffix tests (which is why `**foo` matches "barfoo").
  enum class Kind { kExact, kPrefix, kSuffix, kGlob };

  struct Token {
    enum Type {
      kLiteral,      // one byte
      kOneChar,      // ?   one character other than '/'
      kStarInName,   // *   any run without '/'
      kAnything,     // trailing **
      kDirectories,  // **/ or inner **: nothing, or anything ending in '/'
      kClass,        // [...]
    } type;
    explicit Token(Type t, char c = 0) : type(t), literal(c) {}
    char literal = 0;
    bool negated = false;
    std::vector<std::pair<char32_t, char32_t>> ranges;
  };

  bool glob_matches(std::string_view path) const;

  std::string text_;
  Kind kind_ = Kind::kExact;
  std::vector<Token> tokens_;
};

/// Go's filepath.Clean on a '/'-separated path: "." and empty elements removed, ".." resolved
/// lexically, no trailing '/', "" becomes ".".
std::string clean_path(std::string_view path);

}  // namespace tug::build
