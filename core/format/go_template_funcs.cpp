// Functions callable from --format templates: Go's text/template builtins (eq, index, len,
// printf, ...) and docker's templates.go additions (json, join, split, pad, truncate, ...).
#include "core/format/go_template_funcs.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/format/go_fmt.hpp"

namespace tug::gotmpl {
namespace {

using P = Param;

enum class BasicKind { kInvalid, kBool, kInt, kFloat, kString, kOther };

BasicKind basic_kind(const Value& v) {
  if (!v.valid() || v->is_null()) return BasicKind::kInvalid;  // nil interface: Go unwraps to invalid
  if (v->is_boolean()) return BasicKind::kBool;
  if (v->is_number_integer()) return BasicKind::kInt;  // signed and unsigned
  if (v->is_number_float()) return BasicKind::kFloat;
  if (v->is_string()) return BasicKind::kString;
  return BasicKind::kOther;
}

bool is_number(BasicKind k) { return k == BasicKind::kInt || k == BasicKind::kFloat; }

/// Compares two numbers of any representation; -1, 0 or 1. Go would refuse int against float
/// ("incompatible types for comparison"); Json loses Go's static types, so tug compares values.
int compare_numbers(const Json& a, const Json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    bool an = a.is_number_unsigned() ? false : a.get<int64_t>() < 0;
    bool bn = b.is_number_unsigned() ? false : b.get<int64_t>() < 0;
    if (an != bn) return an ? -1 : 1;
    if (an) return a.get<int64_t>() < b.get<int64_t>() ? -1 : a.get<int64_t>() > b.get<int64_t>() ? 1 : 0;
    return a.get<uint64_t>() < b.get<uint64_t>() ? -1 : a.get<uint64_t>() > b.get<uint64_t>() ? 1 : 0;
  }
  double x = a.get<double>(), y = b.get<double>();
  return x < y ? -1 : x > y ? 1 : 0;
}

bool equal(const Value& a, const Value& b) {
  BasicKind k1 = basic_kind(a), k2 = basic_kind(b);
  if (k1 != k2) {
    if (is_number(k1) && is_number(k2)) return compare_numbers(*a, *b) == 0;
    if (k1 == BasicKind::kInvalid || k2 == BasicKind::kInvalid) return false;
    throw CallError("incompatible types for comparison");
  }
  switch (k1) {
    case BasicKind::kInvalid:
      return true;
    case BasicKind::kOther:
      throw CallError("non-comparable type " + gofmt::print_value(*a) + ": " + gofmt::type_name(*a));
    case BasicKind::kInt:
    case BasicKind::kFloat:
      return compare_numbers(*a, *b) == 0;
    default:
      return *a == *b;
  }
}

bool less(const Value& a, const Value& b) {
  BasicKind k1 = basic_kind(a), k2 = basic_kind(b);
  auto ordered = [](BasicKind k) { return is_number(k) || k == BasicKind::kString; };
  if (!ordered(k1) || !ordered(k2)) throw CallError("invalid type for comparison");
  if (is_number(k1) && is_number(k2)) return compare_numbers(*a, *b) < 0;
  if (k1 != k2) throw CallError("incompatible types for comparison");
  return a->get_ref<const std::string&>() < b->get_ref<const std::string&>();
}

Value f_eq(std::vector<Value>& a) {
  if (a.size() < 2) throw CallError("missing argument for comparison");
  for (size_t i = 1; i < a.size(); ++i)
    if (equal(a[0], a[i])) return Value(Json(true));
  return Value(Json(false));
}
Value f_ne(std::vector<Value>& a) { return Value(Json(!equal(a[0], a[1]))); }
Value f_lt(std::vector<Value>& a) { return Value(Json(less(a[0], a[1]))); }
Value f_le(std::vector<Value>& a) { return Value(Json(less(a[0], a[1]) || equal(a[0], a[1]))); }
Value f_gt(std::vector<Value>& a) { return Value(Json(!(less(a[0], a[1]) || equal(a[0], a[1])))); }
Value f_ge(std::vector<Value>& a) { return Value(Json(!less(a[0], a[1]))); }
Value f_not(std::vector<Value>& a) { return Value(Json(!is_true(a[0]))); }

Value f_len(std::vector<Value>& a) {
  const Value& v = a[0];
  if (!v.valid() || v->is_null()) throw CallError("len of nil pointer");
  if (v->is_string()) return Value(Json(static_cast<int64_t>(v->get_ref<const std::string&>().size())));
  if (v->is_array() || v->is_object()) return Value(Json(static_cast<int64_t>(v->size())));
  throw CallError("len of type " + gofmt::type_name(*v));
}

/// Go's indexArg: an integer index within [0, len).
int64_t index_arg(const Value& index, size_t len, bool allow_len) {
  if (basic_kind(index) == BasicKind::kInvalid) throw CallError("cannot index slice/array with nil");
  if (!index->is_number_integer())
    throw CallError("cannot index slice/array with type " + gofmt::type_name(*index));
  int64_t x = index->is_number_unsigned()
                  ? static_cast<int64_t>(std::min<uint64_t>(index->get<uint64_t>(), INT64_MAX))
                  : index->get<int64_t>();
  if (x < 0 || static_cast<uint64_t>(x) > len || (!allow_len && static_cast<uint64_t>(x) == len))
    throw CallError("index out of range: " + std::to_string(x));
  return x;
}

Value f_index(std::vector<Value>& a) {
  Value item = a[0];
  if (!item.valid()) throw CallError("index of untyped nil");
  for (size_t i = 1; i < a.size(); ++i) {
    if (!item.valid() || item->is_null()) throw CallError("index of nil pointer");
    if (item->is_array()) {
      item = item.child((*item)[static_cast<size_t>(index_arg(a[i], item->size(), false))]);
    } else if (item->is_string()) {
      const std::string& s = item->get_ref<const std::string&>();
      auto byte = static_cast<unsigned char>(s[static_cast<size_t>(index_arg(a[i], s.size(), false))]);
      item = Value(Json(static_cast<int64_t>(byte)));
    } else if (item->is_object()) {
      if (!a[i].valid() || !a[i]->is_string())
        throw CallError("value has type " + (a[i].valid() ? gofmt::type_name(*a[i]) : "nil") +
                        "; should be string");
      auto it = item->find(a[i]->get_ref<const std::string&>());
      item = it == item->end() ? Value() : item.child(*it);  // a missing key prints <no value>
    } else {
      throw CallError("can't index item of type " + gofmt::type_name(*item));
    }
  }
  return item;
}

Value f_slice(std::vector<Value>& a) {
  const Value& item = a[0];
  if (!item.valid() || item->is_null()) throw CallError("slice of untyped nil");
  if (a.size() > 3) throw CallError("cannot 3-index slice");
  size_t len = item->is_string() ? item->get_ref<const std::string&>().size() : item->size();
  if (!item->is_string() && !item->is_array())
    throw CallError("can't slice item of type " + gofmt::type_name(*item));
  int64_t lo = a.size() > 1 ? index_arg(a[1], len, true) : 0;
  int64_t hi = a.size() > 2 ? index_arg(a[2], len, true) : static_cast<int64_t>(len);
  if (lo > hi) throw CallError("invalid slice index: " + std::to_string(lo) + " > " + std::to_string(hi));
  if (item->is_string()) return Value(Json(item->get_ref<const std::string&>().substr(lo, hi - lo)));
  Json out = Json::array();
  for (int64_t i = lo; i < hi; ++i) out.push_back((*item)[static_cast<size_t>(i)]);
  return Value(std::move(out));
}

std::vector<Json> plain(const std::vector<Value>& a, size_t from = 0) {
  std::vector<Json> out;
  for (size_t i = from; i < a.size(); ++i) out.push_back(a[i].valid() ? *a[i] : Json());
  return out;
}

const std::string& str(const Value& v) { return v->get_ref<const std::string&>(); }
int64_t integer(const Value& v) {
  return v->is_number_unsigned() ? static_cast<int64_t>(v->get<uint64_t>()) : v->get<int64_t>();
}

Value f_print(std::vector<Value>& a) { return Value(Json(gofmt::sprint(plain(a)))); }
Value f_println(std::vector<Value>& a) { return Value(Json(gofmt::sprintln(plain(a)))); }
Value f_printf(std::vector<Value>& a) { return Value(Json(gofmt::sprintf(str(a[0]), plain(a, 1)))); }

/// Go's evalArgs for html/js/urlquery: one string as is, anything else through fmt.Sprint.
std::string eval_args(const std::vector<Value>& a) {
  if (a.size() == 1 && a[0].valid() && a[0]->is_string()) return str(a[0]);
  return gofmt::sprint(plain(a));
}

Value f_html(std::vector<Value>& a) {
  std::string out;
  for (char c : eval_args(a)) {
    switch (c) {
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      default:
        out += c;
    }
  }
  return Value(Json(out));
}

Value f_js(std::vector<Value>& a) {
  std::string s = eval_args(a), out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      auto [r, n] = gofmt::decode_rune(s, i);
      if (gofmt::is_print(r)) {
        out += s.substr(i, n);
      } else {
        char buf[16];
        std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(r));
        out += buf;
      }
      i += n;
      continue;
    }
    ++i;
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '"':
        out += "\\\"";
        break;
      case '<':
        out += "\\u003C";
        break;
      case '>':
        out += "\\u003E";
        break;
      case '&':
        out += "\\u0026";
        break;
      case '=':
        out += "\\u003D";
        break;
      default:
        if (c < ' ') {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u00%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return Value(Json(out));
}

Value f_urlquery(std::vector<Value>& a) {
  std::string out;
  for (char ch : eval_args(a)) {
    auto c = static_cast<unsigned char>(ch);
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return Value(Json(out));
}

// docker's templates.go functions.

Value f_json(std::vector<Value>& a) {
  // docker's encoder calls SetEscapeHTML(false): <, > and & stay as they are.
  return Value(Json(gofmt::json_encode(a[0].valid() ? *a[0] : Json(), false)));
}

Value f_split(std::vector<Value>& a) {
  const std::string& s = str(a[0]);
  const std::string& sep = str(a[1]);
  Json out = Json::array();
  if (sep.empty()) {  // strings.Split with "" splits after each UTF-8 sequence
    for (size_t i = 0; i < s.size();) {
      size_t n = gofmt::decode_rune(s, i).second;
      out.push_back(s.substr(i, n));
      i += n;
    }
    return Value(std::move(out));
  }
  size_t start = 0, at;
  while ((at = s.find(sep, start)) != std::string::npos) {
    out.push_back(s.substr(start, at - start));
    start = at + sep.size();
  }
  out.push_back(s.substr(start));
  return Value(std::move(out));
}

Value f_join(std::vector<Value>& a) {
  std::string out;
  bool first = true;
  for (const auto& e : *a[0]) {
    if (!first) out += str(a[1]);
    first = false;
    out += gofmt::print_value(e);
  }
  return Value(Json(out));
}

/// strings.Title: upper-cases the first letter of each word (ASCII letters only).
Value f_title(std::vector<Value>& a) {
  std::string s = str(a[0]);
  bool prev_sep = true;
  for (size_t i = 0; i < s.size();) {
    auto [r, n] = gofmt::decode_rune(s, i);
    if (prev_sep && r >= 'a' && r <= 'z') s[i] = static_cast<char>(r - 'a' + 'A');
    bool alnum = (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_';
    prev_sep = r < 0x80 ? !alnum
                        : (r == 0x85 || r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200A) ||
                           r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000);
    i += n;
  }
  return Value(Json(s));
}

/// strings.ToLower / ToUpper, ASCII letters only (non-ASCII text passes through unchanged).
Value f_lower(std::vector<Value>& a) {
  std::string s = str(a[0]);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return Value(Json(s));
}
Value f_upper(std::vector<Value>& a) {
  std::string s = str(a[0]);
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return Value(Json(s));
}

Value f_pad(std::vector<Value>& a) {
  const std::string& s = str(a[0]);
  if (s.empty()) return Value(Json(s));
  int64_t before = integer(a[1]), after = integer(a[2]);
  if (before < 0 || after < 0) throw CallError("strings: negative Repeat count");
  return Value(Json(std::string(before, ' ') + s + std::string(after, ' ')));
}

/// docker's truncateWithLength cuts bytes, not characters, exactly like this.
Value f_truncate(std::vector<Value>& a) {
  const std::string& s = str(a[0]);
  int64_t n = integer(a[1]);
  if (static_cast<int64_t>(s.size()) < n) return Value(Json(s));
  if (n < 0) throw CallError("runtime error: slice bounds out of range [:" + std::to_string(n) + "]");
  return Value(Json(s.substr(0, static_cast<size_t>(n))));
}

Value f_first(std::vector<Value>& a) { return a[0]; }

const std::vector<Builtin>& basic_table() {
  static const std::vector<Builtin> table = {
      {"and", {P::kValue, P::kValue}, true, nullptr},
      {"or", {P::kValue, P::kValue}, true, nullptr},
      {"not", {P::kValue}, false, f_not},
      {"len", {P::kValue}, false, f_len},
      {"index", {P::kValue, P::kValue}, true, f_index},
      {"slice", {P::kValue, P::kValue}, true, f_slice},
      {"eq", {P::kValue, P::kValue}, true, f_eq},
      {"ne", {P::kValue, P::kValue}, false, f_ne},
      {"lt", {P::kValue, P::kValue}, false, f_lt},
      {"le", {P::kValue, P::kValue}, false, f_le},
      {"gt", {P::kValue, P::kValue}, false, f_gt},
      {"ge", {P::kValue, P::kValue}, false, f_ge},
      {"print", {P::kAny}, true, f_print},
      {"println", {P::kAny}, true, f_println},
      {"printf", {P::kString, P::kAny}, true, f_printf},
      {"html", {P::kAny}, true, f_html},
      {"js", {P::kAny}, true, f_js},
      {"urlquery", {P::kAny}, true, f_urlquery},
      {"json", {P::kAny}, false, f_json},
      {"split", {P::kString, P::kString}, false, f_split},
      {"join", {P::kStringList, P::kString}, false, f_join},
      {"title", {P::kString}, false, f_title},
      {"lower", {P::kString}, false, f_lower},
      {"upper", {P::kString}, false, f_upper},
      {"pad", {P::kString, P::kInt, P::kInt}, false, f_pad},
      {"truncate", {P::kString, P::kInt}, false, f_truncate},
  };
  return table;
}

// docker's HeaderFunctions (pad is deliberately absent there, so headers keep its padding).
const std::vector<Builtin>& header_table() {
  static const std::vector<Builtin> table = {
      {"json", {P::kString}, false, f_first},
      {"split", {P::kString, P::kString}, false, f_first},
      {"join", {P::kString, P::kString}, false, f_first},
      {"title", {P::kString}, false, f_first},
      {"lower", {P::kString}, false, f_first},
      {"upper", {P::kString}, false, f_first},
      {"truncate", {P::kString, P::kInt}, false, f_first},
  };
  return table;
}

}  // namespace

const Builtin* find_builtin(std::string_view name, bool header) {
  if (header) {
    for (const auto& b : header_table())
      if (b.name == name) return &b;
  }
  for (const auto& b : basic_table())
    if (b.name == name) return &b;
  return nullptr;
}

bool builtin_exists(std::string_view name) { return find_builtin(name, false) != nullptr; }

bool is_true(const Value& v) {
  if (!v.valid()) return false;
  const Json& j = *v;
  switch (j.type()) {
    case Json::value_t::null:
      return false;
    case Json::value_t::boolean:
      return j.get<bool>();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return j.get<int64_t>() != 0;
    case Json::value_t::number_float:
      return j.get<double>() != 0;
    case Json::value_t::string:
      return !j.get_ref<const std::string&>().empty();
    case Json::value_t::array:
    case Json::value_t::object:
      return !j.empty();
    default:
      return true;
  }
}

}  // namespace tug::gotmpl
