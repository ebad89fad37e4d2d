// Tokens of a Go text/template source and the lexer producing them (go_template_lex.cpp);
// internal to core/format, consumed by the parser in go_template_parse.cpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tug::gotmpl {

/// Token types, in Go's order: everything from kBlock on is a keyword (printed as <name>).
enum class Tok {
  kError,  // val: the message; always the last token
  kEOF,
  kText,
  kLeftDelim,
  kRightDelim,
  kSpace,
  kField,     // .Name
  kVariable,  // $name or $
  kIdentifier,
  kBool,
  kNumber,
  kCharConstant,
  kString,     // "quoted", val keeps the quotes
  kRawString,  // `raw`, val keeps the backquotes
  kDeclare,    // :=
  kAssign,     // =
  kPipe,       // |
  kLeftParen,
  kRightParen,
  kChar,  // any other printable ASCII character, e.g. ','
  // Keywords.
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Token {
  Tok type;
  size_t pos;       // byte offset of the token in the source
  std::string val;  // the token's text (or the error message)
};

/// Lexes the whole source; the result ends with kEOF, or with kError at the first lexical error
/// (the parser reports it only when it reaches it, so earlier syntax errors win, as in Go).
std::vector<Token> lex(std::string_view source);

bool is_keyword(Tok t);

}  // namespace tug::gotmpl
