// Parser for Go text/template: tokens (go_template_lex) to the Node tree (go_template_ast.hpp),
// following Go's text/template/parse/parse.go so errors read the same ("unexpected EOF", ...).
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "core/format/go_fmt.hpp"
#include "core/format/go_template_ast.hpp"
#include "core/format/go_template_lex.hpp"
#include "util/error.hpp"

namespace tug::gotmpl {
namespace {

using K = Node::Kind;

/// strconv.Unquote for "..." (Go escapes) and `...` (raw, carriage returns dropped).
/// Returns false on invalid syntax.
bool unquote(std::string_view lit, std::string& out) {
  out.clear();
  if (lit.size() < 2) return false;
  if (lit[0] == '`') {
    for (char c : lit.substr(1, lit.size() - 2))
      if (c != '\r') out += c;
    return true;
  }
  char q = lit[0];
  std::string_view s = lit.substr(1, lit.size() - 2);
  for (size_t i = 0; i < s.size();) {
    char c = s[i++];
    if (c == q) return false;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i >= s.size()) return false;
    char e = s[i++];
    auto hex = [&](size_t n, uint32_t& v) {
      if (i + n > s.size()) return false;
      v = 0;
      for (size_t k = 0; k < n; ++k) {
        char h = s[i + k];
        int d = (h >= '0' && h <= '9')   ? h - '0'
                : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                         : -1;
        if (d < 0) return false;
        v = v * 16 + static_cast<uint32_t>(d);
      }
      i += n;
      return true;
    };
    uint32_t v = 0;
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
      case '"':
        if (e != q) return false;
        out += e;
        break;
      case 'x':
        if (!hex(2, v)) return false;
        out += static_cast<char>(v);
        break;
      case 'u':
      case 'U':
        if (!hex(e == 'u' ? 4 : 8, v) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
        gofmt::append_rune(out, v);
        break;
      default:
        if (e < '0' || e > '7' || i + 2 > s.size()) return false;
        v = static_cast<uint32_t>(e - '0');
        for (int k = 0; k < 2; ++k) {
          char o = s[i++];
          if (o < '0' || o > '7') return false;
          v = v * 8 + static_cast<uint32_t>(o - '0');
        }
        if (v > 255) return false;
        out += static_cast<char>(v);
    }
  }
  return true;
}

/// Go's newNumber for integer, float and character literals (complex numbers unsupported).
void parse_number(Node& n, const Token& tok) {
  const std::string& text = tok.val;
  n.text = text;
  if (tok.type == Tok::kCharConstant) {
    std::string s;
    if (!unquote(text, s) || gofmt::rune_count(s) != 1) fail("malformed character constant: {}", text);
    n.value = static_cast<int64_t>(gofmt::decode_rune(s, 0).first);
    n.is_int = true;
    return;
  }
  std::string clean;
  for (char c : text)
    if (c != '_') clean += c;
  bool neg = !clean.empty() && clean[0] == '-';
  std::string body = (!clean.empty() && (clean[0] == '-' || clean[0] == '+')) ? clean.substr(1) : clean;
  int base = 10;
  std::string digits = body;
  if (body.size() > 1 && body[0] == '0') {
    char p = static_cast<char>(body[1] | 0x20);
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
    digits = (p == 'x' || p == 'o' || p == 'b') ? body.substr(2) : body.substr(1);
  }
  if (!digits.empty() && digits.find_first_of(".eEpPi") == std::string::npos) {
    errno = 0;
    char* end = nullptr;
    unsigned long long u = std::strtoull(digits.c_str(), &end, base);
    if (*end == '\0' && errno == 0) {
      if ((!neg && u > static_cast<unsigned long long>(INT64_MAX)) || (neg && u > (1ULL << 63)))
        fail("{} overflows int", text);
      n.value = neg ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
      n.is_int = true;
      return;
    }
  }
  if (base == 10 || body.find_first_of(".eE") != std::string::npos) {
    if (base == 16 || text.back() == 'i') fail("illegal number syntax: {}", gofmt::quote(text));
    char* end = nullptr;
    double f = std::strtod(clean.c_str(), &end);
    if (end != clean.c_str() && *end == '\0') {
      if (clean.find_first_of(".eE") == std::string::npos) fail("integer overflow: {}", gofmt::quote(text));
      n.value = f;
      n.is_int = f >= -9.2e18 && f <= 9.2e18 && f == static_cast<double>(static_cast<int64_t>(f));
      return;
    }
  }
  fail("illegal number syntax: {}", gofmt::quote(text));
}

/// Go's item String() for "unexpected X in Y" messages.
std::string token_string(const Token& t) {
  if (t.type == Tok::kEOF) return "EOF";
  if (t.type == Tok::kError) return t.val;
  if (is_keyword(t.type)) return "<" + t.val + ">";
  if (gofmt::rune_count(t.val) > 10) {
    size_t i = 0;
    for (int k = 0; k < 10; ++k) i += gofmt::decode_rune(t.val, i).second;
    return gofmt::quote(t.val.substr(0, i)) + "...";
  }
  return gofmt::quote(t.val);
}

class Parser {
 public:
  Parser(std::string_view src, bool (*has_func)(std::string_view))
      : src_(src), toks_(lex(src)), has_func_(has_func) {}

  NodePtr parse() {
    auto root = std::make_unique<Node>(K::kList, 0);
    while (peek().type != Tok::kEOF) {
      if (peek().type == Tok::kLeftDelim) {
        size_t save = i_;
        next();
        Tok t = next_non_space().type;
        if (t == Tok::kDefine || t == Tok::kTemplate || t == Tok::kBlock)
          errorf("{{define}}, {{template}} and {{block}} are not supported");
        i_ = save;
      }
      NodePtr n = text_or_action();
      if (n->kind == K::kEnd || n->kind == K::kElse) errorf("unexpected " + node_string(*n));
      root->children.push_back(std::move(n));
    }
    return root;
  }

 private:
  std::string_view src_;
  std::vector<Token> toks_;
  bool (*has_func_)(std::string_view);
  size_t i_ = 0;
  size_t seen_ = 0;  // furthest token looked at: Go reports its line
  std::vector<std::string> vars_{"$"};
  int range_depth_ = 0;

  const Token& at(size_t k) {
    k = std::min(k, toks_.size() - 1);
    seen_ = std::max(seen_, k);
    if (toks_[k].type == Tok::kError) errorf(toks_[k].val);
    return toks_[k];
  }
  const Token& next() { return at(i_ < toks_.size() - 1 ? i_++ : i_); }
  const Token& peek() { return at(i_); }
  void backup() { --i_; }
  const Token& next_non_space() {
    while (peek().type == Tok::kSpace) ++i_;
    return next();
  }
  const Token& peek_non_space() {
    while (peek().type == Tok::kSpace) ++i_;
    return peek();
  }

  [[noreturn]] void errorf(const std::string& msg) {
    size_t pos = toks_[std::min(seen_, toks_.size() - 1)].pos;
    int line =
        1 + static_cast<int>(std::count(src_.begin(), src_.begin() + std::min(pos, src_.size()), '\n'));
    throw Error("template: :" + std::to_string(line) + ": " + msg);
  }
  [[noreturn]] void unexpected(const Token& t, const std::string& context) {
    errorf("unexpected " + token_string(t) + " in " + context);
  }
  const Token& expect(Tok type, const std::string& context) {
    const Token& t = next_non_space();
    if (t.type != type) unexpected(t, context);
    return t;
  }

  NodePtr text_or_action() {
    const Token& t = next_non_space();
    if (t.type == Tok::kText) {
      auto n = std::make_unique<Node>(K::kText, t.pos);
      n->text = t.val;
      return n;
    }
    if (t.type == Tok::kLeftDelim) return action();
    unexpected(t, "input");
  }

  NodePtr action() {
    const Token& t = next_non_space();
    switch (t.type) {
      case Tok::kBreak:
      case Tok::kContinue: {
        std::string what = t.type == Tok::kBreak ? "{{break}}" : "{{continue}}";
        auto n = std::make_unique<Node>(t.type == Tok::kBreak ? K::kBreak : K::kContinue, t.pos);
        const Token& close = next_non_space();
        if (close.type != Tok::kRightDelim) unexpected(close, what);
        if (range_depth_ == 0) errorf(what + " outside {{range}}");
        return n;
      }
      case Tok::kElse: {
        const Token& p = peek_non_space();
        if (p.type == Tok::kIf || p.type == Tok::kWith) return std::make_unique<Node>(K::kElse, p.pos);
        return std::make_unique<Node>(K::kElse, expect(Tok::kRightDelim, "else").pos);
      }
      case Tok::kEnd:
        return std::make_unique<Node>(K::kEnd, expect(Tok::kRightDelim, "end").pos);
      case Tok::kIf:
        return control(K::kIf, "if");
      case Tok::kRange:
        return control(K::kRange, "range");
      case Tok::kWith:
        return control(K::kWith, "with");
      case Tok::kBlock:
      case Tok::kDefine:
      case Tok::kTemplate:
        errorf("{{" + t.val + "}} is not supported");
      default:
        break;
    }
    backup();
    size_t pos = peek().pos;
    auto n = std::make_unique<Node>(K::kAction, pos);
    n->pipe = pipeline("command", Tok::kRightDelim);
    return n;
  }

  /// Go's parseControl: {{if|range|with pipeline}} list [{{else ...}} list] {{end}}.
  NodePtr control(K kind, const std::string& context) {
    size_t saved_vars = vars_.size();
    auto n = std::make_unique<Node>(kind, 0);
    n->pipe = pipeline(context, Tok::kRightDelim);
    n->pos = n->pipe->pos;
    if (kind == K::kRange) ++range_depth_;
    NodePtr next_node;
    n->list = item_list(next_node);
    if (kind == K::kRange) --range_depth_;
    if (next_node->kind == K::kElse) {
      if ((kind == K::kIf && peek().type == Tok::kIf) || (kind == K::kWith && peek().type == Tok::kWith)) {
        next();
        n->else_list = std::make_unique<Node>(K::kList, next_node->pos);
        n->else_list->children.push_back(control(kind, context));
      } else {
        n->else_list = item_list(next_node);
        if (next_node->kind != K::kEnd) errorf("expected end; found " + node_string(*next_node));
      }
    }
    vars_.resize(saved_vars);
    return n;
  }

  NodePtr item_list(NodePtr& next_node) {
    auto list = std::make_unique<Node>(K::kList, peek_non_space().pos);
    while (peek_non_space().type != Tok::kEOF) {
      NodePtr n = text_or_action();
      if (n->kind == K::kEnd || n->kind == K::kElse) {
        next_node = std::move(n);
        return list;
      }
      list->children.push_back(std::move(n));
    }
    errorf("unexpected EOF");
  }

  NodePtr pipeline(const std::string& context, Tok end) {
    auto pipe = std::make_unique<Node>(K::kPipe, peek_non_space().pos);
    // Declarations: "$x :=", "$x =", and in range "$i, $e :=".
    while (peek_non_space().type == Tok::kVariable) {
      size_t var_at = i_;
      const Token& v = next();
      const Token& n = peek_non_space();
      if (n.type == Tok::kAssign || n.type == Tok::kDeclare) {
        pipe->is_assign = n.type == Tok::kAssign;
        next_non_space();
        pipe->decl.push_back(v.val);
        vars_.push_back(v.val);
        break;
      }
      if (n.type == Tok::kChar && n.val == ",") {
        next_non_space();
        pipe->decl.push_back(v.val);
        vars_.push_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          Tok t = peek_non_space().type;
          if (t == Tok::kVariable || t == Tok::kRightDelim || t == Tok::kRightParen) continue;
          errorf("range can only initialize variables");
        }
        errorf("too many declarations in " + context);
      }
      i_ = var_at;  // $x is an operand, not a declaration
      break;
    }
    while (true) {
      const Token& t = next_non_space();
      if (t.type == end) {
        if (pipe->children.empty()) errorf("missing value for " + context);
        for (size_t k = 1; k < pipe->children.size(); ++k) {
          K first = pipe->children[k]->children[0]->kind;
          if (first == K::kBool || first == K::kDot || first == K::kNil || first == K::kNumber ||
              first == K::kString)
            errorf("non executable command in pipeline stage " + std::to_string(k + 1));
        }
        return pipe;
      }
      switch (t.type) {
        case Tok::kBool:
        case Tok::kCharConstant:
        case Tok::kDot:
        case Tok::kField:
        case Tok::kIdentifier:
        case Tok::kNumber:
        case Tok::kNil:
        case Tok::kRawString:
        case Tok::kString:
        case Tok::kVariable:
        case Tok::kLeftParen:
          backup();
          pipe->children.push_back(command());
          break;
        default:
          unexpected(t, context);
      }
    }
  }

  NodePtr command() {
    auto cmd = std::make_unique<Node>(K::kCommand, peek_non_space().pos);
    while (true) {
      peek_non_space();
      if (NodePtr operand = this->operand()) cmd->children.push_back(std::move(operand));
      const Token& t = next();
      if (t.type == Tok::kSpace) continue;
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        backup();
      } else if (t.type != Tok::kPipe) {
        unexpected(t, "operand");
      }
      break;
    }
    if (cmd->children.empty()) errorf("empty command");
    return cmd;
  }

  NodePtr operand() {
    NodePtr node = term();
    if (!node || peek().type != Tok::kField) return node;
    std::vector<std::string> fields;
    size_t pos = peek().pos;
    while (peek().type == Tok::kField) fields.push_back(next().val.substr(1));
    switch (node->kind) {
      case K::kField:
      case K::kVariable:
        node->idents.insert(node->idents.end(), fields.begin(), fields.end());
        return node;
      case K::kBool:
      case K::kString:
      case K::kNumber:
      case K::kNil:
      case K::kDot:
        errorf("unexpected . after term " + gofmt::quote(node_string(*node)));
      default: {
        auto chain = std::make_unique<Node>(K::kChain, pos);
        chain->chain = std::move(node);
        chain->idents = std::move(fields);
        return chain;
      }
    }
  }

  NodePtr term() {
    const Token& t = next_non_space();
    switch (t.type) {
      case Tok::kIdentifier: {
        if (!has_func_(t.val)) errorf("function " + gofmt::quote(t.val) + " not defined");
        auto n = std::make_unique<Node>(K::kIdentifier, t.pos);
        n->text = t.val;
        return n;
      }
      case Tok::kDot:
        return std::make_unique<Node>(K::kDot, t.pos);
      case Tok::kNil:
        return std::make_unique<Node>(K::kNil, t.pos);
      case Tok::kVariable: {
        if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end())
          errorf("undefined variable " + gofmt::quote(t.val));
        auto n = std::make_unique<Node>(K::kVariable, t.pos);
        n->idents.push_back(t.val);
        return n;
      }
      case Tok::kField: {
        auto n = std::make_unique<Node>(K::kField, t.pos);
        n->idents.push_back(t.val.substr(1));
        return n;
      }
      case Tok::kBool: {
        auto n = std::make_unique<Node>(K::kBool, t.pos);
        n->value = t.val == "true";
        return n;
      }
      case Tok::kCharConstant:
      case Tok::kNumber: {
        auto n = std::make_unique<Node>(K::kNumber, t.pos);
        try {
          parse_number(*n, t);
        } catch (const Error& e) {
          errorf(e.what());
        }
        return n;
      }
      case Tok::kLeftParen:
        return pipeline("parenthesized pipeline", Tok::kRightParen);
      case Tok::kString:
      case Tok::kRawString: {
        auto n = std::make_unique<Node>(K::kString, t.pos);
        std::string s;
        if (!unquote(t.val, s)) errorf("invalid syntax");
        n->text = t.val;
        n->value = std::move(s);
        return n;
      }
      default:
        backup();
        return nullptr;
    }
  }
};

std::string join_fields(const std::vector<std::string>& idents, size_t from) {
  std::string s;
  for (size_t k = from; k < idents.size(); ++k) s += "." + idents[k];
  return s;
}

}  // namespace

std::string node_string(const Node& n) {
  std::string s;
  switch (n.kind) {
    case K::kList:
      for (const auto& c : n.children) s += node_string(*c);
      return s;
    case K::kText:
      return n.text;
    case K::kAction:
      return "{{" + node_string(*n.pipe) + "}}";
    case K::kIf:
    case K::kRange:
    case K::kWith:
      s = std::string("{{") +
          (n.kind == K::kIf      ? "if "
           : n.kind == K::kRange ? "range "
                                 : "with ") +
          node_string(*n.pipe) + "}}" + node_string(*n.list);
      if (n.else_list) s += "{{else}}" + node_string(*n.else_list);
      return s + "{{end}}";
    case K::kBreak:
      return "{{break}}";
    case K::kContinue:
      return "{{continue}}";
    case K::kElse:
      return "{{else}}";
    case K::kEnd:
      return "{{end}}";
    case K::kPipe:
      for (size_t k = 0; k < n.decl.size(); ++k) s += (k > 0 ? ", " : "") + n.decl[k];
      if (!n.decl.empty()) s += n.is_assign ? " = " : " := ";
      for (size_t k = 0; k < n.children.size(); ++k) s += (k > 0 ? " | " : "") + node_string(*n.children[k]);
      return s;
    case K::kCommand:
      for (size_t k = 0; k < n.children.size(); ++k) {
        if (k > 0) s += ' ';
        const Node& arg = *n.children[k];
        s += arg.kind == K::kPipe ? "(" + node_string(arg) + ")" : node_string(arg);
      }
      return s;
    case K::kField:
      return join_fields(n.idents, 0);
    case K::kVariable:
      return n.idents[0] + join_fields(n.idents, 1);
    case K::kChain:
      s = n.chain->kind == K::kPipe ? "(" + node_string(*n.chain) + ")" : node_string(*n.chain);
      return s + join_fields(n.idents, 0);
    case K::kIdentifier:
      return n.text;
    case K::kDot:
      return ".";
    case K::kNil:
      return "nil";
    case K::kBool:
      return n.value.get<bool>() ? "true" : "false";
    case K::kNumber:
    case K::kString:
      return n.text;
  }
  return s;
}

NodePtr parse(std::string_view source, bool (*function_exists)(std::string_view)) {
  return Parser(source, function_exists).parse();
}

}  // namespace tug::gotmpl
