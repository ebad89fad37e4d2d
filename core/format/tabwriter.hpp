// A port of Go's text/tabwriter (elastic tabstops), as docker's CLI uses it to align `table`
// output: NewWriter(out, 10, 1, 3, ' ', 0). Used by listing.cpp; usable for any aligned output.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tug {

/// Go's tabwriter flags, plus kDisplayWidth (tug's): measure cells in terminal columns like
/// docker's fork does with go-runewidth (East Asian wide characters count 2, combining marks
/// 0) instead of Go's one column per rune.
enum TabwriterFlags : unsigned {
  kTabFilterHtml = 1 << 0,           // HTML tags have width 0, entities width 1
  kTabStripEscape = 1 << 1,          // drop the 0xFF bytes bracketing escaped text
  kTabAlignRight = 1 << 2,           // right-align cell contents
  kTabDiscardEmptyColumns = 1 << 3,  // columns of empty '\v'-terminated cells take no room
  kTabTabIndent = 1 << 4,            // pad leading empty cells with tabs
  kTabDebug = 1 << 5,                // print '|' between columns
  kTabDisplayWidth = 1 << 6,
};

/// Aligns '\t'-terminated cells of consecutive lines into columns. Text after the last tab of
/// a line is not part of a column and is not padded; a line without tabs ends the block, so the
/// lines after it get their own column widths. A column is as wide as its widest cell plus
/// `padding`, and at least `minwidth`.
class Tabwriter {
 public:
  Tabwriter(int minwidth, int tabwidth, int padding, char padchar, unsigned flags);

  /// Feeds text; output for completed blocks accumulates until flush().
  void write(std::string_view text);
  /// Formats everything buffered and returns all output produced since the last flush().
  std::string flush();

 private:
  struct Cell {
    size_t size = 0;    // bytes
    int width = 0;      // columns
    bool htab = false;  // terminated by '\t' (not '\v')
  };

  int minwidth_, tabwidth_, padding_;
  char padchar_;
  unsigned flags_;

  std::string out_;
  std::string buf_;    // collected text without tabs or line breaks
  size_t pos_ = 0;     // position in buf_ up to which cell_.width is computed
  Cell cell_;          // the current, incomplete cell
  char end_char_ = 0;  // terminator of the current escape: 0xFF, '>' or ';'; 0 outside one
  std::vector<std::vector<Cell>> lines_;
  std::vector<int> widths_;

  void reset();
  void append(std::string_view text);
  void update_width();
  void start_escape(char ch);
  void end_escape();
  size_t terminate_cell(bool htab);
  void flush_internal();
  void write_padding(int textw, int cellw, bool use_tabs);
  size_t write_lines(size_t pos, size_t line0, size_t line1);
  size_t format(size_t pos, size_t line0, size_t line1);
  int text_width(std::string_view s) const;
};

/// Terminal columns of `s` per go-runewidth's rules (approximated): wide East Asian
/// characters and emoji 2, combining marks and zero-width characters 0, others 1.
int display_width(std::string_view s);

/// Runs `text` through a Tabwriter with docker's table settings (minwidth 10, tabwidth 1,
/// padding 3, padchar ' ', display widths) and flushes it.
std::string tabwriter_format(std::string_view text);

}  // namespace tug
