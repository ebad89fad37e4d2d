// Parse tree of a Go text/template (the subset docker's --format needs) and the entry points of
// the parser (go_template_parse.cpp) and evaluator (go_template_exec.cpp); internal to core/format.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.hpp"

namespace tug {
struct TemplateOptions;
}

namespace tug::gotmpl {

/// One node of the tree; which members matter depends on `kind` (see each member's comment).
/// Mirrors Go's text/template/parse node types, folded into one struct to keep the code small.
struct Node {
  enum class Kind {
    // Structure.
    kList,      // children: the items in order
    kText,      // text: literal output
    kAction,    // pipe: {{pipeline}}; printed unless it declares variables
    kIf,        // pipe, list, else_list
    kRange,     // pipe (its decl holds $i/$e), list, else_list
    kWith,      // pipe, list, else_list
    kBreak,     // {{break}}
    kContinue,  // {{continue}}
    kElse,      // {{else}}: only while parsing, never in a finished tree
    kEnd,       // {{end}}: only while parsing, never in a finished tree
    // Pipelines.
    kPipe,     // decl (variables), is_assign, children: commands
    kCommand,  // children: operands; the first one is the function (or the value)
    // Operands.
    kField,       // idents: .A.B → {"A","B"}
    kVariable,    // idents: $x.A → {"$x","A"}; "$" alone is the root data
    kChain,       // operand (in `chain`) followed by fields: (pipeline).A.B → idents {"A","B"}
    kIdentifier,  // text: function name
    kDot,         // .
    kNil,         // nil
    kBool,        // value: true/false
    kNumber,      // value (int64 or double), text: the literal as written, is_int
    kString,      // text: the literal as written (quoted), value: the unquoted string
  };

  Kind kind;
  size_t pos = 0;  // byte offset in the template source, for error messages

  std::string text;
  std::vector<std::string> idents;
  Json value;
  bool is_int = false;  // kNumber: value is integral and fits int64 (Go's NumberNode.IsInt)

  std::vector<std::unique_ptr<Node>> children;
  std::unique_ptr<Node> pipe;       // control nodes and kAction
  std::unique_ptr<Node> list;       // control nodes: body
  std::unique_ptr<Node> else_list;  // control nodes: {{else}} body, or an `else if` chain
  std::unique_ptr<Node> chain;      // kChain: the operand the fields apply to

  std::vector<std::string> decl;  // kPipe: declared/assigned variable names, "$x"
  bool is_assign = false;         // kPipe: `=` rather than `:=`

  Node(Kind k, size_t p) : kind(k), pos(p) {}
};

using NodePtr = std::unique_ptr<Node>;

/// Go's node String(): the text form used in error contexts ("at <.State.Status>").
std::string node_string(const Node& n);

/// Parses `source` into its root list. Throws tug::Error "template: :LINE: MESSAGE" (without
/// docker's "template parsing error: " prefix, which the public API adds).
/// `function_exists` tells the parser which identifiers are functions (Go checks at parse time).
NodePtr parse(std::string_view source, bool (*function_exists)(std::string_view));

/// Runs the tree on `data`, appending to `out`. Throws tug::Error
/// "template: :LINE:COL: executing \"\" at <NODE>: MESSAGE" (no docker prefix).
void execute(const Node& root, std::string_view source, const Json& data, const TemplateOptions& options,
             std::string& out);

}  // namespace tug::gotmpl
