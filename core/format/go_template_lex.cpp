// Lexer for Go text/template sources: splits text and {{actions}} into tokens exactly like
// Go's text/template/parse/lex.go (trim markers, comments, numbers, quotes); feeds the parser.
#include "core/format/go_template_lex.hpp"

#include "core/format/go_fmt.hpp"

namespace tug::gotmpl {
namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";
constexpr size_t kTrimMarkerLen = 2;  // "-" plus one space

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/// Go's isAlphaNumeric; every non-ASCII byte counts as a letter (Go asks unicode.IsLetter).
bool is_alnum(char c) {
  auto u = static_cast<unsigned char>(c);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || u >= 0x80;
}

bool has_left_trim_marker(std::string_view s) { return s.size() >= 2 && s[0] == '-' && is_space(s[1]); }
bool has_right_trim_marker(std::string_view s) { return s.size() >= 2 && is_space(s[0]) && s[1] == '-'; }

Tok keyword(std::string_view w) {
  if (w == "block") return Tok::kBlock;
  if (w == "break") return Tok::kBreak;
  if (w == "continue") return Tok::kContinue;
  if (w == "define") return Tok::kDefine;
  if (w == "else") return Tok::kElse;
  if (w == "end") return Tok::kEnd;
  if (w == "if") return Tok::kIf;
  if (w == "nil") return Tok::kNil;
  if (w == "range") return Tok::kRange;
  if (w == "template") return Tok::kTemplate;
  if (w == "with") return Tok::kWith;
  return Tok::kIdentifier;
}

/// The lexer state machine; every function consumes input and appends tokens.
class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> run() {
    try {
      lex_text();
    } catch (const Token& error) {
      out_.push_back(error);
    }
    return std::move(out_);
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  int paren_depth_ = 0;
  std::vector<Token> out_;

  char peek() const { return pos_ < in_.size() ? in_[pos_] : '\0'; }
  bool at_eof() const { return pos_ >= in_.size(); }

  void emit(Tok t) {
    out_.push_back({t, start_, std::string(in_.substr(start_, pos_ - start_))});
    start_ = pos_;
  }
  void ignore() { start_ = pos_; }
  [[noreturn]] void error(std::string msg) { throw Token{Tok::kError, start_, std::move(msg)}; }

  bool accept(std::string_view valid) {
    if (!at_eof() && valid.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void accept_run(std::string_view valid) {
    while (accept(valid)) {
    }
  }

  /// Whether a right delimiter (optionally preceded by " -") starts at pos_.
  std::pair<bool, bool> at_right_delim() const {
    std::string_view rest = in_.substr(pos_);
    if (has_right_trim_marker(rest) && rest.substr(kTrimMarkerLen).starts_with(kRightDelim))
      return {true, true};
    return {rest.starts_with(kRightDelim), false};
  }

  bool at_terminator() const {
    char r = peek();
    if (at_eof() || is_space(r)) return true;
    if (r == '.' || r == ',' || r == '|' || r == ':' || r == ')' || r == '(') return true;
    return in_.substr(pos_).starts_with(kRightDelim);
  }

  void lex_text() {
    while (true) {
      size_t x = in_.find(kLeftDelim, pos_);
      if (x == std::string_view::npos) {
        pos_ = in_.size();
        if (pos_ > start_) emit(Tok::kText);
        emit(Tok::kEOF);
        return;
      }
      size_t end_text = x;
      if (has_left_trim_marker(in_.substr(x + kLeftDelim.size()))) {
        while (end_text > start_ && is_space(in_[end_text - 1])) --end_text;
      }
      pos_ = end_text;
      if (pos_ > start_) emit(Tok::kText);
      pos_ = x;
      ignore();
      lex_left_delim();
    }
  }

  void lex_left_delim() {
    size_t after_marker = has_left_trim_marker(in_.substr(pos_ + kLeftDelim.size())) ? kTrimMarkerLen : 0;
    if (in_.substr(pos_ + kLeftDelim.size() + after_marker).starts_with(kLeftComment)) {
      pos_ += kLeftDelim.size() + after_marker;
      ignore();
      lex_comment();
      return;
    }
    pos_ += kLeftDelim.size();
    emit(Tok::kLeftDelim);
    pos_ += after_marker;
    ignore();
    paren_depth_ = 0;
    lex_inside_action();
  }

  void lex_comment() {
    pos_ += kLeftComment.size();
    size_t x = in_.find(kRightComment, pos_);
    if (x == std::string_view::npos) error("unclosed comment");
    pos_ = x + kRightComment.size();
    auto [delim, trim] = at_right_delim();
    if (!delim) error("comment ends before closing delimiter");
    if (trim) pos_ += kTrimMarkerLen;
    pos_ += kRightDelim.size();
    if (trim) skip_leading_space();
    ignore();
  }

  void skip_leading_space() {
    while (!at_eof() && is_space(in_[pos_])) ++pos_;
  }

  void lex_right_delim(bool trim) {
    if (trim) {
      pos_ += kTrimMarkerLen;
      ignore();
    }
    pos_ += kRightDelim.size();
    emit(Tok::kRightDelim);
    if (trim) {
      skip_leading_space();
      ignore();
    }
  }

  void lex_inside_action() {
    while (true) {
      auto [delim, trim] = at_right_delim();
      if (delim) {
        if (paren_depth_ != 0) error("unclosed left paren");
        lex_right_delim(trim);
        return;
      }
      if (at_eof()) error("unclosed action");
      char r = in_[pos_++];
      if (is_space(r)) {
        --pos_;
        if (lex_space()) return;  // the space belonged to " -}}"
      } else if (r == '=') {
        emit(Tok::kAssign);
      } else if (r == ':') {
        if (peek() != '=') error("expected :=");
        ++pos_;
        emit(Tok::kDeclare);
      } else if (r == '|') {
        emit(Tok::kPipe);
      } else if (r == '"') {
        lex_quote();
      } else if (r == '`') {
        lex_raw_quote();
      } else if (r == '$') {
        lex_field_or_variable(Tok::kVariable);
      } else if (r == '\'') {
        lex_char();
      } else if (r == '.' && !(peek() >= '0' && peek() <= '9')) {
        lex_field_or_variable(Tok::kField);
      } else if (r == '.' || r == '+' || r == '-' || (r >= '0' && r <= '9')) {
        --pos_;
        lex_number();
      } else if (is_alnum(r)) {
        --pos_;
        lex_identifier();
      } else if (r == '(') {
        emit(Tok::kLeftParen);
        ++paren_depth_;
      } else if (r == ')') {
        emit(Tok::kRightParen);
        if (--paren_depth_ < 0) error("unexpected right paren");
      } else if (static_cast<unsigned char>(r) < 0x7F && r >= 0x20) {
        emit(Tok::kChar);
      } else {
        auto [rune, n] = gofmt::decode_rune(in_, pos_ - 1);
        pos_ += n - 1;
        char buf[64];
        std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(rune));
        error(std::string("unrecognized character in action: ") + buf);
      }
    }
  }

  /// Returns true when it consumed a trim-marked right delimiter (ending the action).
  bool lex_space() {
    size_t spaces = 0;
    while (!at_eof() && is_space(in_[pos_])) {
      ++pos_;
      ++spaces;
    }
    std::string_view before = in_.substr(pos_ - 1);
    if (has_right_trim_marker(before) && before.substr(kTrimMarkerLen).starts_with(kRightDelim)) {
      --pos_;  // back before the space that belongs to the marker
      if (spaces == 1) {
        lex_right_delim(true);
        return true;
      }
    }
    emit(Tok::kSpace);
    return false;
  }

  std::string bad_char(char c) const {
    char buf[64];
    if (c == '\0' && at_eof()) return "bad character U+0000";
    std::snprintf(buf, sizeof buf, "bad character U+%04X '%c'", static_cast<unsigned char>(c), c);
    return buf;
  }

  void lex_field_or_variable(Tok type) {
    if (at_terminator()) {
      emit(type == Tok::kVariable ? Tok::kVariable : Tok::kDot);
      return;
    }
    while (!at_eof() && is_alnum(in_[pos_])) ++pos_;
    if (!at_terminator()) error(bad_char(peek()));
    emit(type);
  }

  void lex_identifier() {
    while (!at_eof() && is_alnum(in_[pos_])) ++pos_;
    std::string_view word = in_.substr(start_, pos_ - start_);
    if (!at_terminator()) error(bad_char(peek()));
    if (word == "true" || word == "false") {
      emit(Tok::kBool);
    } else {
      emit(keyword(word));
    }
  }

  void lex_quoted(char close, const char* what) {
    while (true) {
      if (at_eof()) error(std::string("unterminated ") + what);
      char c = in_[pos_++];
      if (c == '\\') {
        if (at_eof() || in_[pos_] == '\n') error(std::string("unterminated ") + what);
        ++pos_;
      } else if (c == '\n') {
        error(std::string("unterminated ") + what);
      } else if (c == close) {
        return;
      }
    }
  }

  void lex_quote() {
    lex_quoted('"', "quoted string");
    emit(Tok::kString);
  }

  void lex_char() {
    lex_quoted('\'', "character constant");
    emit(Tok::kCharConstant);
  }

  void lex_raw_quote() {
    size_t x = in_.find('`', pos_);
    if (x == std::string_view::npos) error("unterminated raw quoted string");
    pos_ = x + 1;
    emit(Tok::kRawString);
  }

  void lex_number() {
    accept("+-");
    std::string_view digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (accept("oO")) {
        digits = "01234567_";
      } else if (accept("bB")) {
        digits = "01_";
      }
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 11 && accept("eE")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (digits.size() == 23 && accept("pP")) {
      accept("+-");
      accept_run("0123456789_");
    }
    accept("i");
    if (!at_eof() && is_alnum(peek())) {
      ++pos_;
      error("bad number syntax: " + gofmt::quote(in_.substr(start_, pos_ - start_)));
    }
    emit(Tok::kNumber);
  }
};

}  // namespace

std::vector<Token> lex(std::string_view source) { return Lexer(source).run(); }

bool is_keyword(Tok t) { return t >= Tok::kBlock; }

}  // namespace tug::gotmpl
