// The one error type tug throws: a message plus the exit code the process should end with.
// Caught once in main(), printed as "tug: <message>", exit code 125 unless said otherwise.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace tug {

/// Exit codes docker users rely on.
constexpr int kExitToolError = 125;
constexpr int kExitCannotExecute = 126;
constexpr int kExitNotFound = 127;

/// A failure to report to the user; `exit_code` is what tug exits with.
class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, int exit_code = kExitToolError)
      : std::runtime_error(std::move(message)), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

/// Throws Error with a formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

/// Throws Error "<what>: <strerror(errno)>" for a failed system call; reads errno at call time.
template <typename... Args>
[[noreturn]] void fail_errno(fmt::format_string<Args...> f, Args&&... args) {
  int saved = errno;
  throw Error(fmt::format("{}: {}", fmt::format(f, std::forward<Args>(args)...), std::strerror(saved)));
}

}  // namespace tug
