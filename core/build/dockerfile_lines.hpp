// First stage of Dockerfile parsing: physical lines → logical lines. Reads the parser directives
// at the top, drops comments and blank lines, joins continuation lines, and hands out raw lines
// for heredoc bodies. Internal to core/build (dockerfile.cpp drives it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tug::build {

/// One instruction's text with its continuation lines joined.
struct LogicalLine {
  std::string text;
  int first_line = 0;
  int last_line = 0;
};

/// Walks a Dockerfile's lines once, as BuildKit's parser.Parse does.
class DockerfileLines {
 public:
  DockerfileLines(std::string_view text, std::string_view file_name);

  /// The next instruction's logical line, or nullopt at the end of the file.
  std::optional<LogicalLine> next_logical_line();

  /// The next physical line with its line ending, for heredoc bodies; nullopt at the end.
  std::optional<std::string_view> next_raw_line();

  /// Number of the last line handed out (0 before the first).
  int line_number() const { return line_number_; }

  char escape() const { return escape_; }
  const std::string& syntax() const { return syntax_; }
  const std::string& check() const { return check_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  void parse_possible_directive(std::string_view line);
  bool ends_with_continuation(std::string_view line) const;

  std::string_view text_;
  std::string file_name_;
  size_t pos_ = 0;
  int line_number_ = 0;
  char escape_ = '\\';
  bool directives_done_ = false;
  bool seen_syntax_ = false, seen_escape_ = false, seen_check_ = false;
  std::string syntax_, check_;
  std::vector<std::string> warnings_;
};

}  // namespace tug::build
