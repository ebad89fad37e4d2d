// Docker's shell-like lexer for Dockerfile arguments (BuildKit's frontend/dockerfile/shell): quotes,
// escapes and $variable expansion, without running a shell. The builder calls it for each step.
//
// Supported: $v ${v} ${v:-w} ${v-w} ${v:+w} ${v+w} ${v:?msg} ${v?msg} ${v#p} ${v##p} ${v%p} ${v%%p}
// ${v/p/r} ${v//p/r} (p a shell pattern with * and ?), 'single quotes' (literal), "double quotes"
// (expansion, escapes only before " $ and the escape character), and the escape character (\ or `)
// outside quotes. Anything else inside ${} is docker's "unsupported modifier" or "bad substitution".
// Names are ASCII letters, digits and _ (docker also takes non-ASCII letters); unset is not empty.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tug::build {

/// Variables visible to an expansion: name → value. A name absent from the map is unset.
using VariableMap = std::map<std::string, std::string, std::less<>>;

/// How quotes, escapes and unset variables are treated. The defaults are how docker expands
/// instruction arguments; the parser uses the raw settings to find heredoc delimiters.
struct LexOptions {
  char escape = '\\';           ///< the Dockerfile's escape character
  bool keep_quotes = false;     ///< leave ' and " in the result (BuildKit's RawQuotes)
  bool keep_escapes = false;    ///< leave escape characters in the result (RawEscapes)
  bool keep_unset = false;      ///< leave $v / ${v...} of unset variables as written (SkipUnsetEnv)
  bool literal_quotes = false;  ///< quotes are ordinary characters (SkipProcessQuotes): heredoc bodies
};

/// Expands `text` as one word: variables replaced, quotes and escapes removed, whitespace kept
/// (BuildKit's ProcessWord). Throws Error `failed to process "<text>": <why>`.
std::string expand_word(std::string_view text, const VariableMap& variables, const LexOptions& options = {});

/// Expands `text` and splits it into words at unquoted whitespace; whitespace coming from a
/// variable's value splits too, as in a shell (BuildKit's ProcessWords). Same errors.
std::vector<std::string> expand_words(std::string_view text, const VariableMap& variables,
                                      const LexOptions& options = {});

}  // namespace tug::build
