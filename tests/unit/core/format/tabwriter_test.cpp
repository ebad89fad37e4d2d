// Tests for the Go text/tabwriter port: column blocks, minwidth/padding, unterminated trailing
// cells, empty cells, alignment flags and width counting, against outputs worked out from Go's algorithm.
#include "core/format/tabwriter.hpp"

#include <doctest/doctest.h>

namespace {
std::string tab(std::string_view text, int minwidth, int tabwidth, int padding, char padchar,
                unsigned flags) {
  tug::Tabwriter tw(minwidth, tabwidth, padding, padchar, flags);
  tw.write(text);
  return tw.flush();
}
}  // namespace

TEST_CASE("docker's settings: width = widest cell + 3, at least 10") {
  std::string in = "CONTAINER ID\tIMAGE\nabc\tbusybox\n0123456789ab\talpine:latest\n";
  CHECK(tug::tabwriter_format(in) ==
        "CONTAINER ID   IMAGE\n"
        "abc            busybox\n"
        "0123456789ab   alpine:latest\n");
  CHECK(tug::tabwriter_format("a\tb\n") == "a         b\n");  // minwidth 10 includes the padding
  CHECK(tug::tabwriter_format("abcdefgh\tb\n") == "abcdefgh   b\n");
}

TEST_CASE("the last cell of a line is never padded, even without a newline") {
  CHECK(tug::tabwriter_format("a\tb") == "a         b");
  CHECK(tug::tabwriter_format("a\tb\t\n") == "a         b         \n");  // b is tab-terminated
  CHECK(tug::tabwriter_format("no tabs at all\n") == "no tabs at all\n");
}

TEST_CASE("a line without tabs ends the column block") {
  CHECK(tug::tabwriter_format("a\tb\nno tabs\nlonger-cell\tc\n") ==
        "a         b\n"
        "no tabs\n"
        "longer-cell   c\n");
}

TEST_CASE("columns are sized per block of consecutive lines (Go's doc example)") {
  // aaaa|bbb|d / aa|b|dd / a| / aa|cccc|eee : b and c are in different column blocks.
  CHECK(tab("aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n", 0, 8, 1, '.', 0) ==
        "aaaa.bbb.d\n"
        "aa...b...dd\n"
        "a....\n"
        "aa...cccc.eee\n");
}

TEST_CASE("empty cells are padded to the column width") {
  CHECK(tug::tabwriter_format("\tx\nlong-first\ty\n") ==
        "             x\n"
        "long-first   y\n");
}

TEST_CASE("width counts runes, or display columns with kTabDisplayWidth") {
  CHECK(tab("ñandú\tx\nab\ty\n", 0, 1, 1, ' ', 0) == "ñandú x\nab    y\n");
  CHECK(tab("日本\tx\nab\ty\n", 0, 1, 1, ' ', 0) == "日本 x\nab y\n");
  CHECK(tab("日本\tx\nab\ty\n", 0, 1, 1, ' ', tug::kTabDisplayWidth) == "日本 x\nab   y\n");
  CHECK(tug::display_width("e\u0301") == 1);  // combining accent takes no column
}

TEST_CASE("flags: right alignment, debug bars, tab padding") {
  CHECK(tab("a\tbbb\t\nccc\td\t\n", 0, 1, 1, ' ', tug::kTabAlignRight) == "   a bbb\n ccc   d\n");
  CHECK(tab("a\tb\tc\n", 0, 1, 1, ' ', tug::kTabDebug) == "a |b |c\n");
  CHECK(tab("a\tb\nabcdefghij\tc\n", 0, 8, 1, '\t', 0) == "a\t\tb\nabcdefghij\tc\n");
}

TEST_CASE("writes may split cells and lines anywhere") {
  tug::Tabwriter tw(10, 1, 3, ' ', 0);
  tw.write("CONT");
  tw.write("AINER ID\tIM");
  tw.write("AGE\nab");
  tw.write("c\tbusybox\n");
  CHECK(tw.flush() == "CONTAINER ID   IMAGE\nabc            busybox\n");
  CHECK(tw.flush().empty());
}
