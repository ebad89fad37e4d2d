// Values seen while a Go template executes and the function table (Go's builtins plus docker's
// templates.go functions); internal to core/format, shared by go_template_exec and _funcs.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.hpp"

namespace tug::gotmpl {

/// A value during execution: a Json node borrowed from the data (kept alive by `owner` when it
/// lives inside a computed value), or "invalid" — Go's zero reflect.Value, which is what a
/// missing map key yields and which prints as <no value>.
class Value {
 public:
  Value() = default;
  explicit Value(Json j) : owner_(std::make_shared<const Json>(std::move(j))), ptr_(owner_.get()) {}
  Value(const Json* borrowed, std::shared_ptr<const Json> owner) : owner_(std::move(owner)), ptr_(borrowed) {}

  bool valid() const { return ptr_ != nullptr; }
  const Json& operator*() const { return *ptr_; }
  const Json* operator->() const { return ptr_; }
  /// A value inside this one (an element or member), sharing its lifetime.
  Value child(const Json& inner) const { return Value(&inner, owner_); }

 private:
  std::shared_ptr<const Json> owner_;
  const Json* ptr_ = nullptr;
};

/// How an argument is checked before a call, like Go's parameter types.
enum class Param {
  kValue,       // reflect.Value: anything, even invalid (eq, index, len ...)
  kAny,         // interface{}: invalid becomes null
  kString,      // string
  kInt,         // int
  kStringList,  // []string; any array is accepted, non-strings are printed with %v
};

/// A function callable from templates. `call` throws CallError for "error calling X: ...".
struct Builtin {
  std::string_view name;
  std::vector<Param> params;  // Go's parameters; when variadic the last one repeats (0+ times)
  bool variadic;
  Value (*call)(std::vector<Value>& args);  // null for and/or, which the evaluator short-circuits
};

/// An error returned by a function; reported as "error calling NAME: MESSAGE".
struct CallError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The function named `name`, or null. `header` selects docker's HeaderFunctions, which
/// return their first argument unchanged so a table header shows the column names.
const Builtin* find_builtin(std::string_view name, bool header);

/// Whether any template function is called `name` (the parser's check).
bool builtin_exists(std::string_view name);

/// Go's truth: false, 0, "", null, empty arrays/objects and invalid values are false.
bool is_true(const Value& v);

}  // namespace tug::gotmpl
