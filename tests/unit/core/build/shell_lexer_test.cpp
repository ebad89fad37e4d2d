// The Dockerfile word lexer: $variables, quotes, escapes, word splitting and docker's errors.
#include "core/build/shell_lexer.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

namespace tug::build {
namespace {

const VariableMap kVariables = {
    {"foo", "bar"}, {"empty", ""}, {"spaced", "a b"}, {"path", "a/b/c.tar.gz"}, {"1", "one"}, {"star", "*"},
};

std::string expand(std::string_view text, const LexOptions& options = {}) {
  return expand_word(text, kVariables, options);
}

std::string expand_error(std::string_view text) {
  try {
    expand_word(text, kVariables);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

using Words = std::vector<std::string>;

TEST_CASE("dockerfile shell lexer: $name and ${name}") {
  struct Case {
    const char* text;
    const char* expanded;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"$foo", "bar"},
           {"${foo}", "bar"},
           {"x${foo}y", "xbary"},
           {"$foo-x", "bar-x"},
           {"$foo.txt", "bar.txt"},
           {"$foox", ""},  // the name runs on
           {"$unset", ""},
           {"${unset}", ""},
           {"$", "$"},
           {"a$", "a$"},
           {"$ x", "$ x"},
           {"$1", "one"},
           {"$12", ""},
           {"${1}", "one"},
           {"plain text", "plain text"},
           {"", ""},
       }) {
    CHECK_MESSAGE(expand(c.text) == c.expanded, c.text);
  }
}

TEST_CASE("dockerfile shell lexer: default and alternative values") {
  struct Case {
    const char* text;
    const char* expanded;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"${unset:-word}", "word"}, {"${empty:-word}", "word"},
           {"${foo:-word}", "bar"},    {"${unset-word}", "word"},
           {"${empty-word}", ""},  // without ':' only unset counts
           {"${foo-word}", "bar"},     {"${unset:+word}", ""},
           {"${empty:+word}", ""},     {"${foo:+word}", "word"},
           {"${unset+word}", ""},      {"${empty+word}", "word"},
           {"${foo+word}", "word"},    {"${unset:-}", ""},
           {"${unset:-$foo}", "bar"},  {"${unset:-${empty:-nested}}", "nested"},
           {"${unset:-'a b'}", "a b"}, {"${unset:-\"$foo\"}", "bar"},
           {"${unset:-a\\}b}", "a}b"}, {"${foo:?}", "bar"},
       }) {
    CHECK_MESSAGE(expand(c.text) == c.expanded, c.text);
  }
}

TEST_CASE("dockerfile shell lexer: pattern removal and substitution") {
  struct Case {
    const char* text;
    const char* expanded;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"${path#*/}", "b/c.tar.gz"},
           {"${path##*/}", "c.tar.gz"},
           {"${path%.*}", "a/b/c.tar"},
           {"${path%%.*}", "a/b/c"},
           {"${path#x}", "a/b/c.tar.gz"},
           {"${path#a?b}", "/c.tar.gz"},
           {"${unset#x}", ""},
           {"${path/b/x}", "a/x/c.tar.gz"},
           {"${path//\\//-}", "a-b-c.tar.gz"},
           {"${path/\\//-}", "a-b/c.tar.gz"},
           {"${path/*./}", "gz"},
           {"${path/nomatch/x}", "a/b/c.tar.gz"},
           {"${foo//a/}", "br"},
           {"${star#\\*}", ""},
       }) {
    CHECK_MESSAGE(expand(c.text) == c.expanded, c.text);
  }
}

TEST_CASE("dockerfile shell lexer: quotes and escapes") {
  struct Case {
    const char* text;
    const char* expanded;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"'$foo'", "$foo"},
           {"\"$foo\"", "bar"},
           {"\\$foo", "$foo"},
           {"\"\\$foo\"", "$foo"},
           {"\"a\\\"b\"", "a\"b"},
           {"\"a\\nb\"", "a\\nb"},  // in double quotes \ escapes only " $ and \ itself
           {"\"a\\\\b\"", "a\\b"},
           {"'a\\nb'", "a\\nb"},
           {"a\\ b", "a b"},
           {"a\\nb", "anb"},
           {"\\\\", "\\"},
           {"end\\", "end"},
           {"'it'\\''s'", "it's"},
           {"\"a 'b' c\"", "a 'b' c"},
           {"'a \"b\" c'", "a \"b\" c"},
       }) {
    CHECK_MESSAGE(expand(c.text) == c.expanded, c.text);
  }
}

TEST_CASE("dockerfile shell lexer: backtick escape character") {
  LexOptions backtick;
  backtick.escape = '`';
  CHECK(expand("`$foo", backtick) == "$foo");
  CHECK(expand("c:\\$foo", backtick) == "c:\\bar");
  CHECK(expand("\"a`\"b\"", backtick) == "a\"b");
  CHECK(expand("c:\\windows\\system32", backtick) == "c:\\windows\\system32");
}

TEST_CASE("dockerfile shell lexer: word splitting") {
  CHECK(expand_words("a b  c", kVariables) == Words{"a", "b", "c"});
  CHECK(expand_words("  lead trail  ", kVariables) == Words{"lead", "trail"});
  CHECK(expand_words("\"a b\" c", kVariables) == Words{"a b", "c"});
  CHECK(expand_words("$spaced x", kVariables) == Words{"a", "b", "x"});
  CHECK(expand_words("\"$spaced\"", kVariables) == Words{"a b"});
  CHECK(expand_words("x$spaced", kVariables) == Words{"xa", "b"});
  CHECK(expand_words("a\\ b", kVariables) == Words{"a b"});
  CHECK(expand_words("'' x", kVariables) == Words{"x"});  // an empty quoted word vanishes, as in docker
  CHECK(expand_words("$unset", kVariables).empty());
  CHECK(expand_words("80/tcp 443", kVariables) == Words{"80/tcp", "443"});
}

TEST_CASE("dockerfile shell lexer: raw modes used for heredoc delimiters") {
  LexOptions keep;
  keep.keep_unset = true;
  CHECK(expand("$unset ${unset} ${unset:-x} $foo", keep) == "$unset ${unset} ${unset:-x} bar");
  keep.keep_quotes = true;
  CHECK(expand("'a' \"b\"", keep) == "'a' \"b\"");
  keep.keep_escapes = true;
  CHECK(expand("a\\'b", keep) == "a\\'b");
  LexOptions literal;
  literal.literal_quotes = true;
  CHECK(expand("'$foo' \"$foo\"", literal) == "'bar' \"bar\"");
}

TEST_CASE("dockerfile shell lexer errors") {
  CHECK(expand_error("${foo") == "failed to process \"${foo\": syntax error: missing '}'");
  CHECK(expand_error("${") == "failed to process \"${\": syntax error: missing '}'");
  CHECK(expand_error("${}") == "failed to process \"${}\": syntax error: bad substitution");
  CHECK(expand_error("${:-x}") == "failed to process \"${:-x}\": syntax error: bad substitution");
  CHECK(expand_error("${{x}}") == "failed to process \"${{x}}\": syntax error: bad substitution");
  CHECK(expand_error("${foo:-x") == "failed to process \"${foo:-x\": syntax error: missing '}'");
  CHECK(expand_error("${foo=x}") ==
        "failed to process \"${foo=x}\": unsupported modifier (=) in substitution");
  CHECK(expand_error("${foo:=x}") ==
        "failed to process \"${foo:=x}\": unsupported modifier (:=) in substitution");
  CHECK(expand_error("${foo:#x}") ==
        "failed to process \"${foo:#x}\": unsupported modifier (:#) in substitution");
  CHECK(expand_error("${foo x}") ==
        "failed to process \"${foo x}\": unsupported modifier ( ) in substitution");
  CHECK(expand_error("${foo/x}") == "failed to process \"${foo/x}\": syntax error: missing '/' in ${}");
  CHECK(expand_error("${unset?}") == "failed to process \"${unset?}\": unset: is not allowed to be unset");
  CHECK(expand_error("${unset:?must be set}") ==
        "failed to process \"${unset:?must be set}\": unset: must be set");
  CHECK(expand_error("${empty:?}") == "failed to process \"${empty:?}\": empty: is not allowed to be empty");
  CHECK(expand_error("'abc") ==
        "failed to process \"'abc\": unexpected end of statement while looking for matching single-quote");
  CHECK(expand_error("\"abc") ==
        "failed to process \"\\\"abc\": unexpected end of statement while looking for matching double-quote");
  CHECK(expand_error("${foo#\\x}") ==
        "failed to process \"${foo#\\\\x}\": invalid pattern (\\x) in substitution: invalid escape '\\x'");
}

}  // namespace
}  // namespace tug::build
