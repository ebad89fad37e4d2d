// Docker-compatible `--format` templates: a Go text/template interpreter evaluated against
// tug::Json, with docker's template functions; used by listing.hpp and by `inspect --format`.
//
// Supported: text, {{actions}} with trim markers ({{- -}}), comments, fields (.A.B), `.`, `$`,
// variables ($x := / $x =), if/else if/else, with/else with, range (arrays, objects in sorted key
// order, integers; `$i, $e :=`), break/continue, pipes, parenthesised calls, and the functions
// and or not len index slice eq ne lt le gt ge print printf println html js urlquery (Go) plus
// json split join title lower upper pad truncate (docker). Not supported: define/template/block.
//
// Values print like Go's fmt %v: null as <nil>, arrays [a b], objects map[k:v] (sorted keys).
// Json cannot tell a Go struct from a map, so objects always print as maps, and a missing key
// prints <no value> (Go's behaviour for maps) unless TemplateOptions::missing_key_error is set —
// docker itself would fail on a struct ("can't evaluate field") or, for inspect's raw fallback,
// with "map has no entry for key", which is what missing_key_error reproduces.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.hpp"

namespace tug {

namespace gotmpl {
struct Node;
}

/// How a template executes.
struct TemplateOptions {
  /// Go's missingkey=error: a missing object key fails with `map has no entry for key "X"`.
  bool missing_key_error = false;
  /// docker's HeaderFunctions: json, split, join, title, lower, upper and truncate return their
  /// first argument unchanged; used to render table headers.
  bool header_functions = false;
};

/// A parsed template. Errors (tug::Error) read like docker's:
///   parse:   template parsing error: template: :1: unexpected "}" in operand
///   execute: template parsing error: template: :1:2: executing "" at <.X>: <why>
class GoTemplate {
 public:
  /// Parses `source`; throws tug::Error on a syntax error.
  explicit GoTemplate(std::string_view source);
  ~GoTemplate();
  GoTemplate(GoTemplate&&) noexcept;
  GoTemplate& operator=(GoTemplate&&) noexcept;

  /// Executes against `data`, appending to `out`. On error `out` keeps what was written before
  /// it, as Go's Execute leaves it in the writer (docker's table header relies on that).
  void execute(const Json& data, std::string& out, const TemplateOptions& options = {}) const;
  std::string execute(const Json& data, const TemplateOptions& options = {}) const;

  /// The first name of every field the template mentions (.A.B → "A"), in order of appearance,
  /// without duplicates; used to give every column of a table a header.
  std::vector<std::string> field_names() const;

 private:
  std::string source_;
  std::unique_ptr<gotmpl::Node> root_;
};

/// Parses and executes `tmpl` on `data` once: what `inspect --format` prints for one object
/// (the caller appends the "\n"). Throws tug::Error as GoTemplate does.
std::string render_template(std::string_view tmpl, const Json& data, const TemplateOptions& options = {});

}  // namespace tug
