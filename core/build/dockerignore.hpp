// .dockerignore rules: reading an ignore file's text and deciding, path by path, what docker
// leaves out of a build context (moby/patternmatcher's ignorefile.ReadAll and PatternMatcher,
// walked the way BuildKit's context sender walks).
//
// The last rule that matches a path (or, as during a walk, one of its directories) decides:
// `*.md` then `!README.md` sends README.md. A directory excluded by a rule is still entered when
// an exception (`!dir/keep`) could re-include something inside it, and the directories leading
// to a re-included file are sent with it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/build/path_pattern.hpp"

namespace tug::build {

/// The patterns of an ignore file: lines starting with # and blank lines dropped, surrounding
/// whitespace trimmed, each pattern cleaned (filepath.Clean) with a leading '/' removed;
/// exceptions keep their '!' ("!keep.txt"). A UTF-8 BOM on the first line is ignored.
std::vector<std::string> read_ignore_patterns(std::string_view text);

/// An ordered list of ignore rules.
class IgnoreMatcher {
 public:
  IgnoreMatcher() = default;
  /// Throws Error `illegal exclusion pattern: "!"` or `invalid pattern "[": syntax error in pattern`.
  explicit IgnoreMatcher(const std::vector<std::string>& patterns);

  /// For each rule, whether it matched a directory; a walk hands it from a directory to its
  /// entries (docker's MatchesUsingParentResults).
  using MatchState = std::vector<bool>;
  struct Match {
    bool excluded = false;
    MatchState state;
  };
  /// Matches `path` ("dir/file", relative, '/'-separated) given its directory's state (nullptr
  /// for an entry at the top of the context).
  Match match(std::string_view path, const MatchState* parent) const;

  /// Whether `path` is left out of the context, as the walk would decide it. "" and "." never are.
  bool excluded(std::string_view path) const;

  /// Whether the walk must enter the excluded directory `directory` because an exception rule may
  /// re-include something below it (always, once an exception has a wildcard).
  bool must_walk_excluded_directory(std::string_view directory) const;

  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    PathPattern pattern;
    bool exception;
  };
  std::vector<Rule> rules_;
  bool exceptions_have_wildcards_ = false;
};

}  // namespace tug::build
