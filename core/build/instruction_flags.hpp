// The --flags of one Dockerfile instruction (`COPY --from=build --link ...`), checked against the
// flags that instruction accepts, with BuildKit's messages. Internal to core/build.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tug::build {

/// Declare the accepted flags, then parse() the given ones, then read the values.
class InstructionFlags {
 public:
  explicit InstructionFlags(std::vector<std::string> given) : given_(std::move(given)) {}

  void add_bool(std::string name, bool default_value = false);
  void add_string(std::string name, std::string default_value = "");
  /// A flag that may repeat (--mount, --exclude); each use adds a value.
  void add_strings(std::string name);

  /// Checks the given flags; throws Error ("unknown flag: --x (did you mean y?)", "duplicate flag
  /// specified: --from", "missing a value on flag: --from", "expecting boolean value for flag
  /// --link, not: x"). A bare `--` ends the flags.
  void parse();

  bool boolean(std::string_view name) const;
  const std::string& string(std::string_view name) const;
  const std::vector<std::string>& strings(std::string_view name) const;
  bool used(std::string_view name) const;

 private:
  enum class Kind { kBool, kString, kStrings };
  struct Flag {
    Kind kind;
    std::string value;                ///< kBool: "true"/"false"; kString: the value
    std::vector<std::string> values;  ///< kStrings
    bool used = false;
  };

  const Flag& flag(std::string_view name) const;

  std::vector<std::string> given_;
  std::map<std::string, Flag, std::less<>> flags_;
};

/// BuildKit's "did you mean" helper: the option closest to `value` (Levenshtein distance below
/// 3), in `value`'s case when case-insensitive; "" when none is close.
std::string closest_match(std::string_view value, const std::vector<std::string>& options,
                          bool case_sensitive);

}  // namespace tug::build
