// Go's strconv and encoding/json text rules (UTF-8 decoding, Quote, FormatFloat, JSON encoding)
// for the template engine: the low layer under go_fmt, go_template and listing.
#include "core/format/go_strconv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "util/error.hpp"

namespace tug::gofmt {
namespace {

const char* kLowerHex = "0123456789abcdef";

/// Decimal digits of a float: value = 0.d1d2d3... * 10^dp, no trailing zeros (nd = size);
/// mirrors strconv's decimalSlice. Produced by std::to_chars, which rounds exactly like Go.
struct Digits {
  std::string d;
  int dp = 0;
  bool neg = false;
};

Digits digits_scientific(double v, int prec /* -1 shortest */) {
  char buf[512];
  auto res = prec < 0
                 ? std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific)
                 : std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific, prec);
  std::string_view s(buf, res.ptr - buf);
  Digits out;
  out.neg = std::signbit(v);
  size_t e = s.find('e');
  for (char c : s.substr(0, e))
    if (c != '.') out.d += c;
  out.dp = std::atoi(std::string(s.substr(e + 1)).c_str()) + 1;
  while (!out.d.empty() && out.d.back() == '0') out.d.pop_back();
  if (out.d.empty()) out.dp = 0;  // zero has no digits
  return out;
}

Digits digits_fixed(double v, int prec) {
  char buf[512];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::fixed, prec);
  std::string_view s(buf, res.ptr - buf);
  Digits out;
  out.neg = std::signbit(v);
  size_t dot = s.find('.');
  std::string_view int_part = s.substr(0, dot);
  std::string all(int_part);
  if (dot != std::string_view::npos) all += s.substr(dot + 1);
  size_t lead = all.find_first_not_of('0');
  if (lead == std::string::npos) return out;
  out.dp = static_cast<int>(int_part.size()) - static_cast<int>(lead);
  out.d = all.substr(lead);
  while (!out.d.empty() && out.d.back() == '0') out.d.pop_back();
  return out;
}

std::string fmt_e(const Digits& d, int prec, char e) {
  std::string out = d.neg ? "-" : "";
  out += d.d.empty() ? '0' : d.d[0];
  if (prec > 0) {
    out += '.';
    for (int i = 1; i <= prec; ++i) out += i < static_cast<int>(d.d.size()) ? d.d[i] : '0';
  }
  out += e;
  int exp = d.d.empty() ? 0 : d.dp - 1;
  out += exp < 0 ? '-' : '+';
  exp = std::abs(exp);
  if (exp < 10) out += '0';
  out += std::to_string(exp);
  return out;
}

std::string fmt_f(const Digits& d, int prec) {
  std::string out = d.neg ? "-" : "";
  int nd = static_cast<int>(d.d.size());
  if (d.dp > 0) {
    for (int i = 0; i < d.dp; ++i) out += i < nd ? d.d[i] : '0';
  } else {
    out += '0';
  }
  if (prec > 0) {
    out += '.';
    for (int i = 1; i <= prec; ++i) {
      int j = d.dp + i - 1;
      out += (j >= 0 && j < nd) ? d.d[j] : '0';
    }
  }
  return out;
}

}  // namespace

std::pair<char32_t, size_t> decode_rune(std::string_view s, size_t i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1};
  size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 ? 2 : 0;
  if (n == 0 || b0 > 0xF4 || i + n > s.size()) return {kRuneError, 1};
  char32_t r = b0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return {kRuneError, 1};
    r = (r << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid in Go too.
  if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10FFFF)) || (r >= 0xD800 && r <= 0xDFFF))
    return {kRuneError, 1};
  return {r, n};
}

void append_rune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

bool is_print(char32_t r) {
  if (r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) || r == 0xAD) return false;
  if ((r >= 0x200B && r <= 0x200F) || (r >= 0x2028 && r <= 0x202E) || r == 0xFEFF) return false;
  return r != kRuneError;
}

size_t rune_count(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += decode_rune(s, i).second) ++n;
  return n;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto [r, n] = decode_rune(s, i);
    if (r == kRuneError && n == 1) {  // an invalid byte, not a real U+FFFD
      out += "\\x";
      out += kLowerHex[static_cast<unsigned char>(s[i]) >> 4];
      out += kLowerHex[static_cast<unsigned char>(s[i]) & 0xF];
      i += 1;
      continue;
    }
    i += n;
    switch (r) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
    }
    if (is_print(r)) {
      append_rune(out, r);
    } else if (r < 0x20 || r == 0x7F) {
      out += "\\x";
      out += kLowerHex[r >> 4];
      out += kLowerHex[r & 0xF];
    } else {
      char tmp[16];
      std::snprintf(tmp, sizeof tmp, r < 0x10000 ? "\\u%04x" : "\\U%08x", static_cast<unsigned>(r));
      out += tmp;
    }
  }
  out += '"';
  return out;
}

std::string format_float(double v, char fmt, int prec) {
  bool shortest = prec < 0;
  char lower = static_cast<char>(fmt | 0x20);
  Digits d;
  if (lower == 'e') {
    d = digits_scientific(v, prec);
    if (shortest) prec = std::max(static_cast<int>(d.d.size()) - 1, 0);
    return fmt_e(d, prec, fmt);
  }
  if (lower == 'f') {
    if (shortest) {
      d = digits_scientific(v, -1);
      prec = std::max(static_cast<int>(d.d.size()) - d.dp, 0);
    } else {
      d = digits_fixed(v, prec);
    }
    return fmt_f(d, prec);
  }
  // 'g' / 'G': strconv's formatDigits.
  if (shortest) {
    d = digits_scientific(v, -1);
    prec = static_cast<int>(d.d.size());
  } else {
    if (prec == 0) prec = 1;
    d = digits_scientific(v, prec - 1);
  }
  int nd = static_cast<int>(d.d.size());
  int eprec = prec;
  if (eprec > nd && nd >= d.dp) eprec = nd;
  if (shortest) eprec = 6;
  int exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > nd) prec = nd;
    return fmt_e(d, prec - 1, fmt == 'G' ? 'E' : 'e');
  }
  if (prec > d.dp) prec = nd;
  return fmt_f(d, std::max(prec - d.dp, 0));
}

namespace {

void json_string(std::string& out, std::string_view s, bool escape_html) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      bool html = escape_html && (c == '<' || c == '>' || c == '&');
      if (c >= 0x20 && c != '"' && c != '\\' && !html) {
        out += static_cast<char>(c);
      } else if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\b') {
        out += "\\b";
      } else if (c == '\f') {
        out += "\\f";
      } else {
        out += "\\u00";
        out += kLowerHex[c >> 4];
        out += kLowerHex[c & 0xF];
      }
      ++i;
      continue;
    }
    auto [r, n] = decode_rune(s, i);
    if (r == kRuneError && n == 1) {
      out += "\\ufffd";
    } else if (r == 0x2028 || r == 0x2029) {
      out += r == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out += s.substr(i, n);
    }
    i += n;
  }
  out += '"';
}

void json_value(std::string& out, const Json& v, bool escape_html) {
  switch (v.type()) {
    case Json::value_t::null:
      out += "null";
      return;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      out += std::to_string(v.get<int64_t>());
      return;
    case Json::value_t::number_unsigned:
      out += std::to_string(v.get<uint64_t>());
      return;
    case Json::value_t::number_float: {
      double f = v.get<double>();
      if (!std::isfinite(f)) throw Error("json: unsupported value: " + format_float(f, 'g', -1));
      // encoding/json's floatEncoder: 'f' unless the magnitude is tiny or huge, and e-07 → e-7.
      double a = std::fabs(f);
      bool exp_form = a != 0 && (a < 1e-6 || a >= 1e21);
      std::string s = format_float(f, exp_form ? 'e' : 'f', -1);
      size_t n = s.size();
      if (exp_form && n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
      out += s;
      return;
    }
    case Json::value_t::string:
      json_string(out, v.get_ref<const std::string&>(), escape_html);
      return;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        json_value(out, e, escape_html);
      }
      out += ']';
      return;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) out += ',';
        first = false;
        json_string(out, k, escape_html);
        out += ':';
        json_value(out, e, escape_html);
      }
      out += '}';
      return;
    }
    default:
      out += "null";
  }
}

}  // namespace

std::string json_encode(const Json& v, bool escape_html) {
  std::string out;
  json_value(out, v, escape_html);
  return out;
}

}  // namespace tug::gofmt
