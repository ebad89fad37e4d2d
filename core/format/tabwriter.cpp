// A port of Go's text/tabwriter (elastic tabstops), as docker's CLI uses it to align `table`
// output: NewWriter(out, 10, 1, 3, ' ', 0). Used by listing.cpp; usable for any aligned output.
#include "core/format/tabwriter.hpp"

#include <algorithm>

#include "core/format/go_strconv.hpp"

namespace tug {

namespace {
constexpr char kEscape = '\xff';  // cannot occur in valid UTF-8

bool is_zero_width(char32_t r) {
  return (r >= 0x0300 && r <= 0x036F) || (r >= 0x0483 && r <= 0x0489) || (r >= 0x0591 && r <= 0x05BD) ||
         (r >= 0x0610 && r <= 0x061A) || (r >= 0x064B && r <= 0x065F) ||
         (r >= 0x0E31 && r <= 0x0E3A && r != 0x0E32) || (r >= 0x1AB0 && r <= 0x1AFF) ||
         (r >= 0x1DC0 && r <= 0x1DFF) || (r >= 0x200B && r <= 0x200F) || (r >= 0x20D0 && r <= 0x20FF) ||
         (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xFE20 && r <= 0xFE2F) || r == 0xFEFF ||
         (r >= 0xE0100 && r <= 0xE01EF);
}

bool is_wide(char32_t r) {
  return (r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0x303E) || (r >= 0x3041 && r <= 0x33FF) ||
         (r >= 0x3400 && r <= 0x4DBF) || (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0xA000 && r <= 0xA4CF) ||
         (r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) || (r >= 0xFE30 && r <= 0xFE4F) ||
         (r >= 0xFF00 && r <= 0xFF60) || (r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x1F300 && r <= 0x1F64F) ||
         (r >= 0x1F900 && r <= 0x1F9FF) || (r >= 0x20000 && r <= 0x3FFFD);
}
}  // namespace

int display_width(std::string_view s) {
  int w = 0;
  for (size_t i = 0; i < s.size();) {
    auto [r, n] = gofmt::decode_rune(s, i);
    i += n;
    if (r < 0x20 || (r >= 0x7F && r < 0xA0) || is_zero_width(r)) continue;
    w += is_wide(r) ? 2 : 1;
  }
  return w;
}

Tabwriter::Tabwriter(int minwidth, int tabwidth, int padding, char padchar, unsigned flags)
    : minwidth_(minwidth), tabwidth_(tabwidth), padding_(padding), padchar_(padchar), flags_(flags) {
  if (padchar == '\t') flags_ &= ~kTabAlignRight;  // tab padding enforces left-alignment
  reset();
}

int Tabwriter::text_width(std::string_view s) const {
  return (flags_ & kTabDisplayWidth) ? display_width(s) : static_cast<int>(gofmt::rune_count(s));
}

void Tabwriter::reset() {
  buf_.clear();
  pos_ = 0;
  cell_ = Cell{};
  end_char_ = 0;
  lines_.clear();
  lines_.emplace_back();
  widths_.clear();
}

void Tabwriter::append(std::string_view text) {
  buf_ += text;
  cell_.size += text.size();
}

void Tabwriter::update_width() {
  cell_.width += text_width(std::string_view(buf_).substr(pos_));
  pos_ = buf_.size();
}

void Tabwriter::start_escape(char ch) { end_char_ = ch == kEscape ? kEscape : ch == '<' ? '>' : ';'; }

// An escaped segment counts with its text width; an HTML tag counts 0 and an entity 1.
void Tabwriter::end_escape() {
  if (end_char_ == kEscape) {
    update_width();
    if (!(flags_ & kTabStripEscape)) cell_.width -= 2;  // the two 0xFF bytes
  } else if (end_char_ == ';') {
    cell_.width++;
  }
  pos_ = buf_.size();
  end_char_ = 0;
}

size_t Tabwriter::terminate_cell(bool htab) {
  cell_.htab = htab;
  lines_.back().push_back(cell_);
  cell_ = Cell{};
  return lines_.back().size();
}

void Tabwriter::write_padding(int textw, int cellw, bool use_tabs) {
  if (padchar_ == '\t' || use_tabs) {
    if (tabwidth_ == 0) return;  // tabs have no width: no padding possible
    cellw = (cellw + tabwidth_ - 1) / tabwidth_ * tabwidth_;
    int n = cellw - textw;
    out_.append(static_cast<size_t>((n + tabwidth_ - 1) / tabwidth_), '\t');
    return;
  }
  if (cellw > textw) out_.append(static_cast<size_t>(cellw - textw), padchar_);
}

size_t Tabwriter::write_lines(size_t pos, size_t line0, size_t line1) {
  for (size_t i = line0; i < line1; ++i) {
    const auto& line = lines_[i];
    bool use_tabs = flags_ & kTabTabIndent;
    for (size_t j = 0; j < line.size(); ++j) {
      const Cell& c = line[j];
      if (j > 0 && (flags_ & kTabDebug)) out_ += '|';
      if (c.size == 0) {
        if (j < widths_.size()) write_padding(c.width, widths_[j], use_tabs);
        continue;
      }
      use_tabs = false;
      if (!(flags_ & kTabAlignRight)) {
        out_.append(buf_, pos, c.size);
        pos += c.size;
        if (j < widths_.size()) write_padding(c.width, widths_[j], false);
      } else {
        if (j < widths_.size()) write_padding(c.width, widths_[j], false);
        out_.append(buf_, pos, c.size);
        pos += c.size;
      }
    }
    if (i + 1 == lines_.size()) {
      // The last buffered line has no newline yet: write what its open cell holds.
      out_.append(buf_, pos, cell_.size);
      pos += cell_.size;
    } else {
      out_ += '\n';
    }
  }
  return pos;
}

// Go's format(): finds each block of consecutive lines that have a cell in `column`, sizes the
// column from that block alone, and recurses for the columns to its right.
size_t Tabwriter::format(size_t pos, size_t line0, size_t line1) {
  size_t column = widths_.size();
  for (size_t t = line0; t < line1; ++t) {
    if (column + 1 >= lines_[t].size()) continue;  // the last cell of a line is not a column
    pos = write_lines(pos, line0, t);
    line0 = t;
    int width = minwidth_;
    bool discardable = true;
    for (; t < line1; ++t) {
      const auto& line = lines_[t];
      if (column + 1 >= line.size()) break;
      const Cell& c = line[column];
      width = std::max(width, c.width + padding_);
      if (c.width > 0 || c.htab) discardable = false;
    }
    if (discardable && (flags_ & kTabDiscardEmptyColumns)) width = 0;
    widths_.push_back(width);
    pos = format(pos, line0, t);
    widths_.pop_back();
    line0 = t;  // line t is not in the block, so the loop may skip it as Go's does
  }
  return write_lines(pos, line0, line1);
}

void Tabwriter::flush_internal() {
  if (cell_.size > 0) {
    if (end_char_ != 0) end_escape();  // an unterminated escape ends here
    terminate_cell(false);
  }
  format(0, 0, lines_.size());
  reset();
}

void Tabwriter::write(std::string_view text) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (end_char_ == 0) {
      if (ch == '\t' || ch == '\v' || ch == '\n' || ch == '\f') {
        append(text.substr(n, i - n));
        update_width();
        n = i + 1;
        size_t ncells = terminate_cell(ch == '\t');
        if (ch == '\n' || ch == '\f') {
          lines_.emplace_back();
          // A line with a single cell cannot affect later columns: format what we have, which
          // is why a tab-less line separates column blocks.
          if (ch == '\f' || ncells == 1) {
            flush_internal();
            if (ch == '\f' && (flags_ & kTabDebug)) out_ += "---\n";
          }
        }
      } else if (ch == kEscape) {
        append(text.substr(n, i - n));
        update_width();
        n = i;
        if (flags_ & kTabStripEscape) n++;
        start_escape(kEscape);
      } else if ((ch == '<' || ch == '&') && (flags_ & kTabFilterHtml)) {
        append(text.substr(n, i - n));
        update_width();
        n = i;
        start_escape(ch);
      }
    } else if (ch == end_char_) {
      size_t j = i + 1;
      if (ch == kEscape && (flags_ & kTabStripEscape)) j = i;
      append(text.substr(n, j - n));
      n = i + 1;
      end_escape();
    }
  }
  append(text.substr(n));
}

std::string Tabwriter::flush() {
  flush_internal();
  std::string out;
  out.swap(out_);
  return out;
}

std::string tabwriter_format(std::string_view text) {
  Tabwriter tw(10, 1, 3, ' ', kTabDisplayWidth);
  tw.write(text);
  return tw.flush();
}

}  // namespace tug
