// Docker-compatible `--format` templates: a Go text/template interpreter evaluated against
// tug::Json, with docker's template functions; used by listing.hpp and by `inspect --format`.
#include "core/format/go_template.hpp"

#include <algorithm>

#include "core/format/go_template_ast.hpp"
#include "core/format/go_template_funcs.hpp"
#include "util/error.hpp"

namespace tug {

namespace {
constexpr std::string_view kErrorPrefix = "template parsing error: ";

bool function_exists(std::string_view name) { return gotmpl::builtin_exists(name); }
}  // namespace

GoTemplate::GoTemplate(std::string_view source) : source_(source) {
  try {
    root_ = gotmpl::parse(source_, function_exists);
  } catch (const Error& e) {
    throw Error(std::string(kErrorPrefix) + e.what());
  }
}

GoTemplate::~GoTemplate() = default;
GoTemplate::GoTemplate(GoTemplate&&) noexcept = default;
GoTemplate& GoTemplate::operator=(GoTemplate&&) noexcept = default;

void GoTemplate::execute(const Json& data, std::string& out, const TemplateOptions& options) const {
  try {
    gotmpl::execute(*root_, source_, data, options, out);
  } catch (const Error& e) {
    throw Error(std::string(kErrorPrefix) + e.what());
  }
}

std::string GoTemplate::execute(const Json& data, const TemplateOptions& options) const {
  std::string out;
  execute(data, out, options);
  return out;
}

namespace {
void collect_fields(const gotmpl::Node& n, std::vector<std::string>& out) {
  if (n.kind == gotmpl::Node::Kind::kField && std::find(out.begin(), out.end(), n.idents[0]) == out.end())
    out.push_back(n.idents[0]);
  for (const auto& c : n.children) collect_fields(*c, out);
  for (const auto* p : {&n.pipe, &n.list, &n.else_list, &n.chain})
    if (*p) collect_fields(**p, out);
}
}  // namespace

std::vector<std::string> GoTemplate::field_names() const {
  std::vector<std::string> out;
  collect_fields(*root_, out);
  return out;
}

std::string render_template(std::string_view tmpl, const Json& data, const TemplateOptions& options) {
  return GoTemplate(tmpl).execute(data, options);
}

}  // namespace tug
