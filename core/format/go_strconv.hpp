// Go's strconv and encoding/json text rules (UTF-8 decoding, Quote, FormatFloat, JSON encoding)
// for the template engine: the low layer under go_fmt, go_template and listing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "util/json.hpp"

namespace tug::gofmt {

constexpr char32_t kRuneError = 0xFFFD;

/// Decodes the UTF-8 sequence at s[i] into (rune, byte length); invalid or truncated input
/// yields (U+FFFD, 1) as Go's utf8.DecodeRuneInString does.
std::pair<char32_t, size_t> decode_rune(std::string_view s, size_t i);

/// Appends `r` UTF-8 encoded (invalid runes become U+FFFD).
void append_rune(std::string& out, char32_t r);

/// Number of UTF-8 code points in `s` (invalid bytes count as one each, like Go).
size_t rune_count(std::string_view s);

/// Approximation of unicode.IsPrint (controls, separators and a few format characters are not).
bool is_print(char32_t r);

/// strconv.Quote: double-quoted, Go escapes, printable Unicode kept, bad UTF-8 as \x..
std::string quote(std::string_view s);

/// strconv.FormatFloat(v, fmt, prec, 64) for fmt in 'e','E','f','g','G'; prec -1 = shortest
/// representation that round-trips ('g' shortest switches to exponent form at 1e+06 / 1e-05).
std::string format_float(double v, char fmt, int prec);

/// encoding/json output, compact, without trailing newline. Key order is the Json's insertion
/// order (docker encodes structs in field order). Strings escape `"`, `\`, control characters
/// (\n \r \t \b \f, else \u00XX), U+2028/U+2029 and invalid UTF-8 (as \ufffd); when
/// `escape_html` also <, > and & as \u003c \u003e \u0026 (json.Marshal's default; docker's
/// template `json` turns it off). Floats as Go: 1e+21 and up or below 1e-6 in exponent form.
/// Throws tug::Error for NaN/Inf, like Go's "json: unsupported value".
std::string json_encode(const Json& v, bool escape_html);

}  // namespace tug::gofmt
