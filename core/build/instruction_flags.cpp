// Instruction flags after BuildKit's BFlags: `--name=value` for strings (the `=` is required),
// `--name` or `--name=true|false` for booleans, repeatable flags collect every value.
#include "core/build/instruction_flags.hpp"

#include <algorithm>
#include <cctype>

#include "util/error.hpp"

namespace tug::build {

namespace {

size_t levenshtein(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string closest_match(std::string_view value, const std::vector<std::string>& options,
                          bool case_sensitive) {
  std::string wanted = case_sensitive ? std::string(value) : lower(value);
  std::string match;
  size_t best = 3;  // BuildKit (like HCL) only suggests within distance 2
  for (const auto& option : options) {
    std::string candidate = case_sensitive ? option : lower(option);
    if (candidate == wanted) return "";  // an exact match means the error is about something else
    size_t distance = levenshtein(wanted, candidate);
    if (distance < best) {
      best = distance;
      match = candidate;
    }
  }
  if (match.empty() || case_sensitive) return match;
  if (value == lower(value)) return match;
  if (value == upper(value)) return upper(match);
  return match;
}

void InstructionFlags::add_bool(std::string name, bool default_value) {
  flags_[std::move(name)] = Flag{Kind::kBool, default_value ? "true" : "false", {}, false};
}

void InstructionFlags::add_string(std::string name, std::string default_value) {
  flags_[std::move(name)] = Flag{Kind::kString, std::move(default_value), {}, false};
}

void InstructionFlags::add_strings(std::string name) {
  flags_[std::move(name)] = Flag{Kind::kStrings, {}, {}, false};
}

void InstructionFlags::parse() {
  for (const auto& arg : given_) {
    if (arg == "--") return;
    std::string_view text = arg;
    size_t eq = text.find('=');
    bool has_value = eq != std::string_view::npos;
    std::string_view flag_name = text.substr(0, eq);  // "--from"
    std::string_view value = has_value ? text.substr(eq + 1) : std::string_view();
    std::string_view name = flag_name.substr(2);
    auto it = flags_.find(name);
    if (it == flags_.end()) {
      std::vector<std::string> names;
      for (const auto& [known, _] : flags_) names.push_back(known);
      std::string suggestion = closest_match(name, names, true);
      if (suggestion.empty()) fail("unknown flag: {}", flag_name);
      fail("unknown flag: {} (did you mean {}?)", flag_name, suggestion);
    }
    Flag& flag = it->second;
    if (flag.used && flag.kind != Kind::kStrings) fail("duplicate flag specified: {}", flag_name);
    flag.used = true;
    switch (flag.kind) {
      case Kind::kBool: {
        if (has_value && value.empty()) fail("missing a value on flag: {}", flag_name);
        std::string lowered = lower(value);
        if (lowered.empty() || lowered == "true") {
          flag.value = "true";
        } else if (lowered == "false") {
          flag.value = "false";
        } else {
          fail("expecting boolean value for flag {}, not: {}", flag_name, value);
        }
        break;
      }
      case Kind::kString:
        if (!has_value) fail("missing a value on flag: {}", flag_name);
        flag.value = value;
        break;
      case Kind::kStrings:
        if (!has_value) fail("missing a value on flag: {}", flag_name);
        flag.values.emplace_back(value);
        break;
    }
  }
}

const InstructionFlags::Flag& InstructionFlags::flag(std::string_view name) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) fail("internal error: flag --{} was not declared", name);
  return it->second;
}

bool InstructionFlags::boolean(std::string_view name) const { return flag(name).value == "true"; }
const std::string& InstructionFlags::string(std::string_view name) const { return flag(name).value; }
const std::vector<std::string>& InstructionFlags::strings(std::string_view name) const {
  return flag(name).values;
}
bool InstructionFlags::used(std::string_view name) const { return flag(name).used; }

}  // namespace tug::build
