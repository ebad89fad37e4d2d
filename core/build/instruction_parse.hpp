// Third stage of Dockerfile parsing: a split instruction line → the typed Instruction, with the
// per-instruction checks and messages of BuildKit's instructions package. Internal to core/build.
#pragma once

#include "core/build/dockerfile.hpp"
#include "core/build/instruction_syntax.hpp"

namespace tug::build {

/// Checks the arguments and flags of one instruction and fills its typed body. Throws Error
/// with BuildKit's message, without location ("FROM requires either one or three arguments").
Instruction build_instruction(const InstructionSyntax& syntax);

}  // namespace tug::build
