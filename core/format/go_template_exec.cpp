// Evaluator for parsed Go templates: walks the Node tree against tug::Json data the way Go's
// text/template/exec.go does (variables, dot, pipelines, range/if/with, function calls).
#include <algorithm>
#include <optional>

#include "core/format/go_fmt.hpp"
#include "core/format/go_template.hpp"
#include "core/format/go_template_ast.hpp"
#include "core/format/go_template_funcs.hpp"
#include "util/error.hpp"

namespace tug::gotmpl {
namespace {

using K = Node::Kind;

/// The previous pipeline stage's result, passed as the last argument; nullopt = none (Go's
/// missingVal), which differs from an invalid Value.
using Final = std::optional<Value>;

struct BreakSignal {};
struct ContinueSignal {};

class Exec {
 public:
  Exec(std::string_view source, const TemplateOptions& options, std::string& out)
      : source_(source), options_(options), out_(out) {}

  void run(const Node& root, const Json& data) {
    Value dot(&data, nullptr);
    vars_.push_back({"$", dot});
    walk(dot, root);
  }

 private:
  struct Var {
    std::string name;
    Value value;
  };

  std::string_view source_;
  const TemplateOptions& options_;
  std::string& out_;
  std::vector<Var> vars_;
  const Node* at_ = nullptr;  // the node being evaluated, for error messages (Go's s.at)

  [[noreturn]] void errorf(const std::string& msg) {
    size_t pos = at_ ? std::min(at_->pos, source_.size()) : 0;
    std::string_view before = source_.substr(0, pos);
    size_t line = 1 + std::count(before.begin(), before.end(), '\n');
    size_t nl = before.rfind('\n');
    size_t col = nl == std::string_view::npos ? pos : pos - nl - 1;
    std::string context = at_ ? node_string(*at_) : "";
    if (gofmt::rune_count(context) > 20) {
      size_t i = 0;
      for (int k = 0; k < 20; ++k) i += gofmt::decode_rune(context, i).second;
      context = context.substr(0, i) + "...";
    }
    throw Error("template: :" + std::to_string(line) + ":" + std::to_string(col) + ": executing \"\" at <" +
                context + ">: " + msg);
  }

  void walk(const Value& dot, const Node& n) {
    at_ = &n;
    switch (n.kind) {
      case K::kList:
        for (const auto& c : n.children) walk(dot, *c);
        return;
      case K::kText:
        out_ += n.text;
        return;
      case K::kAction: {
        Value v = eval_pipeline(dot, *n.pipe);
        if (n.pipe->decl.empty()) print(v);
        return;
      }
      case K::kIf:
      case K::kWith: {
        size_t mark = vars_.size();
        Value v = eval_pipeline(dot, *n.pipe);
        if (is_true(v)) {
          walk(n.kind == K::kWith ? v : dot, *n.list);
        } else if (n.else_list) {
          walk(dot, *n.else_list);
        }
        vars_.resize(mark);
        return;
      }
      case K::kRange:
        return walk_range(dot, n);
      case K::kBreak:
        throw BreakSignal{};
      case K::kContinue:
        throw ContinueSignal{};
      default:
        errorf("unknown node: " + node_string(n));
    }
  }

  void print(const Value& v) { out_ += v.valid() ? gofmt::print_value(*v) : "<no value>"; }

  void walk_range(const Value& dot, const Node& r) {
    size_t outer = vars_.size();
    Value val = eval_pipeline(dot, *r.pipe);
    size_t mark = vars_.size();
    const auto& decl = r.pipe->decl;
    // Go's oneIteration: bind $e (and $i), walk the body, drop the body's variables.
    auto one = [&](const Value& index, const Value& elem) {
      if (!decl.empty()) {
        if (r.pipe->is_assign) {
          set_var(decl[0], decl.size() > 1 ? index : elem);
        } else {
          vars_[mark - 1].value = elem;
        }
      }
      if (decl.size() > 1) {
        if (r.pipe->is_assign) {
          set_var(decl[1], elem);
        } else {
          vars_[mark - 2].value = index;
        }
      }
      bool stop = false;
      try {
        walk(elem, *r.list);
      } catch (const BreakSignal&) {
        stop = true;
      } catch (const ContinueSignal&) {
      }
      vars_.resize(mark);
      return !stop;
    };
    bool iterated = false;
    if (val.valid() && val->is_array() && !val->empty()) {
      iterated = true;
      for (size_t i = 0; i < val->size(); ++i)
        if (!one(Value(Json(static_cast<int64_t>(i))), val.child((*val)[i]))) break;
    } else if (val.valid() && val->is_object() && !val->empty()) {
      iterated = true;
      std::vector<std::string_view> keys;
      for (const auto& [k, _] : val->items()) keys.push_back(k);
      std::sort(keys.begin(), keys.end());
      for (auto k : keys) {
        auto it = val->find(std::string(k));
        if (!one(Value(Json(std::string(k))), val.child(*it))) break;
      }
    } else if (val.valid() && val->is_number_integer()) {  // Go 1.22: range over an int
      if (decl.size() > 1)
        errorf("can't use " + gofmt::print_value(*val) + " to iterate over more than one variable");
      int64_t n =
          val->is_number_unsigned() ? static_cast<int64_t>(val->get<uint64_t>()) : val->get<int64_t>();
      iterated = n > 0;
      for (int64_t i = 0; i < n; ++i)
        if (!one(Value(Json(i)), Value(Json(i)))) break;
    } else if (val.valid() && !val->is_null() && !val->is_array() && !val->is_object()) {
      errorf("range can't iterate over " + gofmt::print_value(*val));
    }
    if (!iterated && r.else_list) walk(dot, *r.else_list);
    vars_.resize(outer);
  }

  void set_var(const std::string& name, const Value& v) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].name == name) {
        vars_[i].value = v;
        return;
      }
    }
    errorf("undefined variable: " + name);
  }

  Value var_value(const std::string& name) {
    for (size_t i = vars_.size(); i-- > 0;)
      if (vars_[i].name == name) return vars_[i].value;
    errorf("undefined variable: " + name);
  }

  Value eval_pipeline(const Value& dot, const Node& pipe) {
    at_ = &pipe;
    Final value;
    for (const auto& cmd : pipe.children) value = eval_command(dot, *cmd, value);
    Value result = value.value_or(Value());
    for (const auto& name : pipe.decl) {
      if (pipe.is_assign) {
        set_var(name, result);
      } else {
        vars_.push_back({name, result});
      }
    }
    return result;
  }

  void not_a_function(const std::vector<NodePtr>& args, const Final& final) {
    if (args.size() > 1 || final) errorf("can't give argument to non-function " + node_string(*args[0]));
  }

  Value eval_command(const Value& dot, const Node& cmd, const Final& final) {
    const Node& first = *cmd.children[0];
    switch (first.kind) {
      case K::kField:
        return eval_field_node(dot, first, &cmd.children, final);
      case K::kChain:
        return eval_chain_node(dot, first, &cmd.children, final);
      case K::kIdentifier:
        return eval_function(dot, first, cmd, &cmd.children, final);
      case K::kPipe:
        not_a_function(cmd.children, final);
        return eval_pipeline(dot, first);
      case K::kVariable:
        return eval_variable_node(dot, first, &cmd.children, final);
      default:
        break;
    }
    at_ = &first;
    not_a_function(cmd.children, final);
    switch (first.kind) {
      case K::kBool:
      case K::kString:
        return Value(first.value);
      case K::kDot:
        return dot;
      case K::kNil:
        errorf("nil is not a command");
      case K::kNumber:
        return Value(first.value);
      default:
        errorf("can't evaluate command " + node_string(first));
    }
  }

  Value eval_field_node(const Value& dot, const Node& field, const std::vector<NodePtr>* args,
                        const Final& final) {
    at_ = &field;
    return eval_field_chain(dot, field, field.idents, 0, args, final);
  }

  Value eval_chain_node(const Value& dot, const Node& chain, const std::vector<NodePtr>* args,
                        const Final& final) {
    at_ = &chain;
    if (chain.chain->kind == K::kNil) errorf("indirection through explicit nil in " + node_string(chain));
    Value receiver = eval_arg(dot, Param::kValue, *chain.chain);
    at_ = &chain;
    return eval_field_chain(receiver, chain, chain.idents, 0, args, final);
  }

  Value eval_variable_node(const Value& dot, const Node& var, const std::vector<NodePtr>* args,
                           const Final& final) {
    (void)dot;
    at_ = &var;
    Value value = var_value(var.idents[0]);
    if (var.idents.size() == 1) {
      if (args) not_a_function(*args, final);
      return value;
    }
    return eval_field_chain(value, var, var.idents, 1, args, final);
  }

  Value eval_field_chain(Value receiver, const Node& node, const std::vector<std::string>& idents,
                         size_t from, const std::vector<NodePtr>* args, const Final& final) {
    for (size_t i = from; i + 1 < idents.size(); ++i)
      receiver = eval_field(idents[i], node, nullptr, {}, receiver);
    return eval_field(idents.back(), node, args, final, receiver);
  }

  Value eval_field(const std::string& name, const Node& node, const std::vector<NodePtr>* args,
                   const Final& final, const Value& receiver) {
    at_ = &node;
    if (!receiver.valid()) {
      if (options_.missing_key_error) errorf("nil data; no entry for key " + gofmt::quote(name));
      return Value();  // a field of <no value> is <no value>, as Go does for maps
    }
    const Json& j = *receiver;
    if (j.is_null()) errorf("nil pointer evaluating interface {}." + name);
    if (!j.is_object()) errorf("can't evaluate field " + name + " in type " + gofmt::type_name(j));
    if ((args && args->size() > 1) || final) errorf(name + " is not a method but has arguments");
    auto it = j.find(name);
    if (it == j.end()) {
      if (options_.missing_key_error) errorf("map has no entry for key " + gofmt::quote(name));
      return Value();
    }
    return receiver.child(*it);
  }

  Value eval_function(const Value& dot, const Node& ident, const Node& cmd, const std::vector<NodePtr>* args,
                      const Final& final) {
    at_ = &ident;
    const Builtin* fn = find_builtin(ident.text, options_.header_functions);
    if (!fn) errorf(gofmt::quote(ident.text) + " is not a defined function");
    // args[0] is the function itself; the rest (plus the piped value) are its arguments.
    size_t nargs = args ? args->size() - 1 : 0;
    size_t num_in = nargs + (final ? 1 : 0);
    size_t num_fixed = fn->variadic ? fn->params.size() - 1 : fn->params.size();
    if (fn->variadic && num_in < num_fixed) {
      errorf("wrong number of args for " + ident.text + ": want at least " + std::to_string(num_fixed) +
             " got " + std::to_string(nargs));
    }
    if (!fn->variadic && num_in != fn->params.size()) {
      errorf("wrong number of args for " + ident.text + ": want " + std::to_string(fn->params.size()) +
             " got " + std::to_string(num_in));
    }
    auto param = [&](size_t i) { return fn->params[std::min(i, fn->params.size() - 1)]; };
    if (!fn->call) {  // and/or: evaluate left to right, stop at the first deciding value
      bool is_or = ident.text == "or";
      Value v;
      for (size_t i = 1; i <= nargs; ++i) {
        v = eval_arg(dot, Param::kValue, *(*args)[i]);
        if (is_true(v) == is_or) return v;
      }
      return final ? *final : v;
    }
    std::vector<Value> argv;
    for (size_t i = 1; i <= nargs; ++i) argv.push_back(eval_arg(dot, param(i - 1), *(*args)[i]));
    if (final) argv.push_back(validate(*final, param(num_in - 1)));
    try {
      return fn->call(argv);
    } catch (const CallError& e) {
      at_ = &cmd;
      errorf("error calling " + ident.text + ": " + e.what());
    }
  }

  Value eval_arg(const Value& dot, Param p, const Node& n) {
    at_ = &n;
    switch (n.kind) {
      case K::kDot:
        return validate(dot, p);
      case K::kNil:
        if (p == Param::kAny || p == Param::kValue) return Value(Json());
        errorf("cannot assign nil to " + param_type(p));
      case K::kField:
        return validate(eval_field_node(dot, n, nullptr, {}), p);
      case K::kVariable:
        return validate(eval_variable_node(dot, n, nullptr, {}), p);
      case K::kPipe:
        return validate(eval_pipeline(dot, n), p);
      case K::kIdentifier:
        return validate(eval_function(dot, n, n, nullptr, {}), p);
      case K::kChain:
        return validate(eval_chain_node(dot, n, nullptr, {}), p);
      default:
        break;
    }
    switch (p) {
      case Param::kString:
        if (n.kind == K::kString) return Value(n.value);
        errorf("expected string; found " + node_string(n));
      case Param::kInt:
        if (n.kind == K::kNumber && n.is_int) {
          return Value(Json(n.value.is_number_integer() ? n.value.get<int64_t>()
                                                        : static_cast<int64_t>(n.value.get<double>())));
        }
        errorf("expected integer; found " + node_string(n));
      case Param::kStringList:
        errorf("can't handle " + node_string(n) + " for arg of type []string");
      default:
        return Value(n.value);  // bool, number (Go's idealConstant) or string literal
    }
  }

  static std::string param_type(Param p) {
    switch (p) {
      case Param::kString:
        return "string";
      case Param::kInt:
        return "int";
      case Param::kStringList:
        return "[]string";
      default:
        return "interface {}";
    }
  }

  /// Go's validateType: checks a computed value against a parameter type.
  Value validate(const Value& v, Param p) {
    if (p == Param::kValue) return v;
    if (!v.valid()) {
      if (p == Param::kAny) return Value(Json());
      errorf("invalid value; expected " + param_type(p));
    }
    bool ok = p == Param::kAny || (p == Param::kString && v->is_string()) ||
              (p == Param::kInt && v->is_number_integer()) || (p == Param::kStringList && v->is_array());
    if (!ok) errorf("wrong type for value; expected " + param_type(p) + "; got " + gofmt::type_name(*v));
    return v;
  }
};

}  // namespace

void execute(const Node& root, std::string_view source, const Json& data, const TemplateOptions& options,
             std::string& out) {
  Exec(source, options, out).run(root, data);
}

}  // namespace tug::gotmpl
