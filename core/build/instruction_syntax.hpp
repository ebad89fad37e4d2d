// Second stage of Dockerfile parsing: one logical line → keyword, leading --flags and arguments,
// shaped per instruction as BuildKit's line parsers shape them (JSON array or shell string for
// RUN/CMD/ENTRYPOINT/SHELL, word lists for FROM/EXPOSE/COPY, name=value words for ENV/LABEL/ARG).
// Internal to core/build.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/build/dockerfile.hpp"

namespace tug::build {

/// An instruction line split, before its instruction-specific checks.
struct InstructionSyntax {
  std::string keyword;             ///< as written ("run", "RUN")
  std::vector<std::string> flags;  ///< the leading --flags, quotes removed ("--from=build")
  std::vector<std::string> args;   ///< ENV/LABEL: key, value, key, value...; ONBUILD: the trigger's
                                   ///< keyword then its arguments; HEALTHCHECK: the type then the command
  bool json = false;               ///< the arguments were a JSON array (ONBUILD: the trigger's were)
  std::string original;            ///< the logical line
  std::vector<Heredoc> heredocs;   ///< bodies filled in by the parser after the line
  LineRange lines;
};

/// Splits one logical line. Throws Error with BuildKit's message (no location) for the errors
/// its line parsers raise: JSON arrays of non-strings, ENV/LABEL without a value or without `=`.
InstructionSyntax split_instruction(std::string_view line, char escape);

/// Whether heredoc bodies follow this line: shell-form RUN, COPY, ADD, also as ONBUILD triggers.
bool can_contain_heredoc(const InstructionSyntax& syntax);

/// The JSON array `text` holds, nullopt when it is no valid JSON array (→ shell form). Throws
/// Error "when using JSON array syntax, arrays must be comprised of strings only".
std::optional<std::vector<std::string>> parse_json_array(std::string_view text);

}  // namespace tug::build
