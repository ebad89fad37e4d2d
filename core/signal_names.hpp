// Signal names as docker accepts them (--stop-signal, kill -s, STOPSIGNAL).
#pragma once

#include <string>

namespace tug {

/// "KILL", "SIGKILL", "sigkill", "9", "SIGRTMIN+3" → the number; throws docker's
/// "Invalid signal: X" otherwise.
int parse_signal(const std::string& text);

}  // namespace tug
