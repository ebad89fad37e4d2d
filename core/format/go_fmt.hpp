// Go's fmt printing rules (%v, Sprint, Sprintln, Sprintf) applied to tug::Json values, so that
// what `--format` templates print matches docker's CLI byte for byte (used by go_template).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/format/go_strconv.hpp"
#include "util/json.hpp"

namespace tug::gofmt {

/// Go type name a Json value would have after encoding/json decoding into interface{}, except
/// that integers keep Go's `int` (docker's structs hold ints): "string", "int", "uint",
/// "float64", "bool", "[]interface {}", "map[string]interface {}"; null is "<nil>".
std::string type_name(const Json& v);

/// fmt's %v: strings raw, ints in decimal, floats like strconv 'g' shortest (1e+06), bools,
/// null as <nil>, arrays as [a b], objects as map[k:v] with keys sorted by bytes.
std::string print_value(const Json& v);

/// fmt.Sprint: operands joined, with a space between two operands when neither is a string.
std::string sprint(const std::vector<Json>& args);

/// fmt.Sprintln: operands always separated by spaces, newline appended.
std::string sprintln(const std::vector<Json>& args);

/// fmt.Sprintf with Go's verbs (%v %s %d %q %t %x %X %o %b %c %e %f %g %T %%), flags (-+# 0),
/// width and precision (including `*`), and Go's error forms (%!d(string=x), %!v(MISSING),
/// %!(EXTRA ...)).
std::string sprintf(std::string_view format, const std::vector<Json>& args);

}  // namespace tug::gofmt
