// Go's fmt printing rules (%v, Sprint, Sprintln, Sprintf) applied to tug::Json values, so that
// what `--format` templates print matches docker's CLI byte for byte (used by go_template).
#include "core/format/go_fmt.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tug::gofmt {
namespace {

const char* kLowerHex = "0123456789abcdef";
const char* kUpperHex = "0123456789ABCDEF";

/// Formatting flags of one printf verb (Go's fmt.fmtFlags plus width and precision).
struct Spec {
  bool minus = false, plus = false, sharp = false, zero = false, space = false;
  bool has_wid = false, has_prec = false;
  int wid = 0, prec = 0;
};

/// One fmt.pp: formats values into buf according to the current Spec.
class Printer {
 public:
  std::string buf;
  Spec f;

  void write_padding(int n) {
    if (n <= 0) return;
    buf.append(static_cast<size_t>(n), f.zero && !f.minus ? '0' : ' ');
  }

  void pad(std::string_view s) {
    if (!f.has_wid || f.wid == 0) {
      buf += s;
      return;
    }
    int width = f.wid - static_cast<int>(rune_count(s));
    if (!f.minus) write_padding(width);
    buf += s;
    if (f.minus) write_padding(width);
  }

  void fmt_integer(uint64_t u, bool negative, int base, char verb, const char* digits) {
    int prec = 0;
    if (f.has_prec) {
      prec = f.prec;
      if (prec == 0 && u == 0) {
        bool old = f.zero;
        f.zero = false;
        write_padding(f.wid);
        f.zero = old;
        return;
      }
    } else if (f.zero && !f.minus && f.has_wid) {
      prec = f.wid;
      if (negative || f.plus || f.space) --prec;  // leave room for the sign
    }
    std::string num;
    while (u >= static_cast<uint64_t>(base)) {
      num += digits[u % base];
      u /= base;
    }
    num += digits[u];
    while (static_cast<int>(num.size()) < prec) num += '0';
    if (f.sharp) {
      if (base == 2) num += "b0";
      if (base == 8 && num.back() != '0') num += '0';
      if (base == 16) num += digits == kUpperHex ? "X0" : "x0";
    }
    if (verb == 'O') num += "o0";
    if (negative) {
      num += '-';
    } else if (f.plus) {
      num += '+';
    } else if (f.space) {
      num += ' ';
    }
    std::reverse(num.begin(), num.end());
    bool old = f.zero;
    f.zero = false;
    pad(num);
    f.zero = old;
  }

  void fmt_float(double v, char verb, int prec) {
    if (f.has_prec) prec = f.prec;
    std::string num;
    if (std::isnan(v)) {  // Go drops the sign of NaN unless asked for one
      num = f.plus ? "+NaN" : f.space ? " NaN" : "NaN";
    } else if (std::isinf(v)) {  // ... but always shows the sign of Inf
      num = v < 0 ? "-Inf" : (f.space && !f.plus) ? " Inf" : "+Inf";
    }
    if (!num.empty()) {
      bool old = f.zero;
      f.zero = false;
      pad(num);
      f.zero = old;
      return;
    }
    num = format_float(v, verb, prec);
    char sign = num[0] == '-' ? '-' : '+';
    std::string_view digits = num[0] == '-' ? std::string_view(num).substr(1) : std::string_view(num);
    if (sign == '+' && f.space && !f.plus) sign = ' ';
    if (f.plus || sign != '+') {
      if (f.zero && !f.minus && f.has_wid && f.wid > static_cast<int>(digits.size()) + 1) {
        buf += sign;
        write_padding(f.wid - static_cast<int>(digits.size()) - 1);
        buf += digits;
        return;
      }
      pad(std::string(1, sign) + std::string(digits));
      return;
    }
    pad(digits);
  }

  void fmt_string(std::string_view full, char verb) {
    std::string_view s = full;
    if (f.has_prec) {  // precision truncates to that many runes
      size_t i = 0;
      for (int n = 0; i < s.size() && n < f.prec; ++n) i += decode_rune(s, i).second;
      s = s.substr(0, i);
    }
    switch (verb) {
      case 'v':
      case 's':
        pad(s);
        return;
      case 'q':
        pad(quote(s));
        return;
      case 'x':
      case 'X': {
        const char* digits = verb == 'x' ? kLowerHex : kUpperHex;
        std::string out;
        for (size_t i = 0; i < s.size(); ++i) {
          if (i > 0 && f.space) out += ' ';
          if (f.sharp && (i == 0 || f.space)) out += verb == 'x' ? "0x" : "0X";
          auto c = static_cast<unsigned char>(s[i]);
          out += digits[c >> 4];
          out += digits[c & 0xF];
        }
        bool old = f.zero;
        f.zero = false;
        pad(out);
        f.zero = old;
        return;
      }
    }
    bad_verb(Json(std::string(full)), verb);
  }

  void bad_verb(const Json& v, char verb) {
    buf += "%!";
    buf += verb;
    buf += '(';
    if (v.is_null()) {
      buf += "<nil>";
    } else {
      buf += type_name(v);
      buf += '=';
      print_value(v, 'v', 0);
    }
    buf += ')';
  }

  /// Go's printArg/printValue: containers format each element with the same verb.
  void print_value(const Json& v, char verb, int depth) {
    if (verb == 'T') {
      f.zero = false;
      pad(type_name(v));
      return;
    }
    switch (v.type()) {
      case Json::value_t::null:
        if (depth > 0) {
          buf += "<nil>";  // a nil element inside a container is never padded
        } else if (verb == 'v') {
          pad("<nil>");
        } else {
          bad_verb(v, verb);
        }
        return;
      case Json::value_t::boolean:
        if (verb == 't' || verb == 'v') {
          pad(v.get<bool>() ? "true" : "false");
        } else {
          bad_verb(v, verb);
        }
        return;
      case Json::value_t::number_integer:
      case Json::value_t::number_unsigned: {
        bool neg = !v.is_number_unsigned() && v.get<int64_t>() < 0;
        uint64_t u =
            neg ? static_cast<uint64_t>(0) - static_cast<uint64_t>(v.get<int64_t>()) : v.get<uint64_t>();
        switch (verb) {
          case 'v':
          case 'd':
            return fmt_integer(u, neg, 10, verb, kLowerHex);
          case 'b':
            return fmt_integer(u, neg, 2, verb, kLowerHex);
          case 'o':
          case 'O':
            return fmt_integer(u, neg, 8, verb, kLowerHex);
          case 'x':
            return fmt_integer(u, neg, 16, verb, kLowerHex);
          case 'X':
            return fmt_integer(u, neg, 16, verb, kUpperHex);
          case 'c': {
            std::string s;
            append_rune(s, neg || u > 0x10FFFF ? kRuneError : static_cast<char32_t>(u));
            return pad(s);
          }
          case 'q': {
            std::string s;
            append_rune(s, neg || u > 0x10FFFF ? kRuneError : static_cast<char32_t>(u));
            std::string q = quote(s);
            return pad("'" + q.substr(1, q.size() - 2) + "'");
          }
        }
        return bad_verb(v, verb);
      }
      case Json::value_t::number_float:
        switch (verb) {
          case 'v':
            return fmt_float(v.get<double>(), 'g', -1);
          case 'g':
          case 'G':
            return fmt_float(v.get<double>(), verb, -1);
          case 'e':
          case 'E':
          case 'f':
          case 'F':
            return fmt_float(v.get<double>(), verb == 'F' ? 'f' : verb, 6);
        }
        return bad_verb(v, verb);
      case Json::value_t::string:
        return fmt_string(v.get_ref<const std::string&>(), verb);
      case Json::value_t::array:
        buf += '[';
        for (size_t i = 0; i < v.size(); ++i) {
          if (i > 0) buf += ' ';
          print_value(v[i], verb, depth + 1);
        }
        buf += ']';
        return;
      case Json::value_t::object: {
        std::vector<std::string_view> keys;
        for (auto& [k, _] : v.items()) keys.push_back(k);
        std::sort(keys.begin(), keys.end());
        buf += "map[";
        bool first = true;
        for (auto k : keys) {
          if (!first) buf += ' ';
          first = false;
          print_value(Json(std::string(k)), verb, depth + 1);
          buf += ':';
          print_value(v.at(std::string(k)), verb, depth + 1);
        }
        buf += ']';
        return;
      }
      default:
        buf += "<unsupported>";
    }
  }
};

/// Parses a decimal number at format[i]; Go's parsenum.
bool parse_num(std::string_view format, size_t& i, int& out) {
  size_t start = i;
  out = 0;
  while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
    if (out > 1000000) return false;  // Go: "num too big", treated as absent
    out = out * 10 + (format[i] - '0');
    ++i;
  }
  return i > start;
}

bool int_from_arg(const std::vector<Json>& args, size_t& arg_num, int& out) {
  if (arg_num >= args.size()) return false;
  const Json& a = args[arg_num++];
  if (!a.is_number_integer()) return false;
  int64_t v = a.get<int64_t>();
  if (v > 1000000 || v < -1000000) return false;
  out = static_cast<int>(v);
  return true;
}

}  // namespace

std::string type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "<nil>";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::number_integer:
      return "int";
    case Json::value_t::number_unsigned:
      return v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX) ? "uint64" : "int";
    case Json::value_t::number_float:
      return "float64";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "[]interface {}";
    case Json::value_t::object:
      return "map[string]interface {}";
    default:
      return "interface {}";
  }
}

std::string print_value(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  Printer p;
  p.print_value(v, 'v', 0);
  return p.buf;
}

std::string sprint(const std::vector<Json>& args) {
  Printer p;
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    bool str = args[i].is_string();
    if (i > 0 && !str && !prev_string) p.buf += ' ';
    p.print_value(args[i], 'v', 0);
    prev_string = str;
  }
  return p.buf;
}

std::string sprintln(const std::vector<Json>& args) {
  Printer p;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) p.buf += ' ';
    p.print_value(args[i], 'v', 0);
  }
  p.buf += '\n';
  return p.buf;
}

std::string sprintf(std::string_view format, const std::vector<Json>& args) {
  Printer p;
  size_t arg_num = 0;
  bool reordered = false;
  size_t i = 0;
  const size_t end = format.size();
  // Go's argNumber: an explicit "[n]" index before a width, precision or verb.
  auto arg_number = [&](bool& good) {
    if (i >= end || format[i] != '[') return;
    reordered = true;
    size_t close = format.find(']', i);
    int n = 0;
    size_t j = i + 1;
    if (close == std::string_view::npos || !parse_num(format, j, n) || j != close || n < 1 ||
        static_cast<size_t>(n) > args.size()) {
      good = false;
      i = close == std::string_view::npos ? end : close + 1;
      return;
    }
    arg_num = static_cast<size_t>(n - 1);
    i = close + 1;
  };
  while (i < end) {
    size_t last = i;
    while (i < end && format[i] != '%') ++i;
    p.buf += format.substr(last, i - last);
    if (i >= end) break;
    ++i;  // skip '%'
    p.f = Spec{};
    bool good = true;
    for (; i < end; ++i) {
      char c = format[i];
      if (c == '#') {
        p.f.sharp = true;
      } else if (c == '0') {
        p.f.zero = !p.f.minus;
      } else if (c == '+') {
        p.f.plus = true;
      } else if (c == '-') {
        p.f.minus = true;
        p.f.zero = false;
      } else if (c == ' ') {
        p.f.space = true;
      } else {
        break;
      }
    }
    arg_number(good);
    if (i < end && format[i] == '*') {
      ++i;
      p.f.has_wid = int_from_arg(args, arg_num, p.f.wid);
      if (!p.f.has_wid) p.buf += "%!(BADWIDTH)";
      if (p.f.wid < 0) {
        p.f.wid = -p.f.wid;
        p.f.minus = true;
        p.f.zero = false;
      }
    } else {
      p.f.has_wid = parse_num(format, i, p.f.wid);
    }
    if (i + 1 < end && format[i] == '.') {
      ++i;
      arg_number(good);
      if (i < end && format[i] == '*') {
        ++i;
        p.f.has_prec = int_from_arg(args, arg_num, p.f.prec);
        if (p.f.prec < 0) {
          p.f.prec = 0;
          p.f.has_prec = false;
        }
        if (!p.f.has_prec) p.buf += "%!(BADPREC)";
      } else {
        parse_num(format, i, p.f.prec);
        p.f.has_prec = true;
      }
    }
    arg_number(good);
    if (i >= end) {
      p.buf += "%!(NOVERB)";
      break;
    }
    auto [verb_rune, size] = decode_rune(format, i);
    i += size;
    char verb = verb_rune < 0x80 ? static_cast<char>(verb_rune) : '?';
    if (verb == '%') {
      p.buf += '%';
    } else if (!good) {
      p.buf += std::string("%!") + verb + "(BADINDEX)";
    } else if (arg_num >= args.size()) {
      p.buf += std::string("%!") + verb + "(MISSING)";
    } else {
      if (verb == 'v') p.f.plus = false;   // %+v only matters for structs
      if (verb == 'v') p.f.sharp = false;  // %#v (Go syntax) is printed as %v
      p.print_value(args[arg_num++], verb, 0);
    }
  }
  if (!reordered && arg_num < args.size()) {
    p.f = Spec{};
    p.buf += "%!(EXTRA ";
    for (size_t k = arg_num; k < args.size(); ++k) {
      if (k > arg_num) p.buf += ", ";
      if (args[k].is_null()) {
        p.buf += "<nil>";
      } else {
        p.buf += type_name(args[k]) + "=";
        p.print_value(args[k], 'v', 0);
      }
    }
    p.buf += ')';
  }
  return p.buf;
}

}  // namespace tug::gofmt
