// docker's signal.ParseSignal for Linux.
#include "core/signal_names.hpp"

#include <signal.h>

#include <cctype>
#include <string_view>

#include "util/error.hpp"

namespace tug {

namespace {

struct Named {
  std::string_view name;
  int number;
};

constexpr Named kSignals[] = {
    {"ABRT", SIGABRT},     {"ALRM", SIGALRM},   {"BUS", SIGBUS},   {"CHLD", SIGCHLD}, {"CLD", SIGCHLD},
    {"CONT", SIGCONT},     {"FPE", SIGFPE},     {"HUP", SIGHUP},   {"ILL", SIGILL},   {"INT", SIGINT},
    {"IO", SIGIO},         {"IOT", SIGIOT},     {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},
    {"PROF", SIGPROF},     {"PWR", SIGPWR},     {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV}, {"STKFLT", SIGSTKFLT},
    {"STOP", SIGSTOP},     {"SYS", SIGSYS},     {"TERM", SIGTERM}, {"TRAP", SIGTRAP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},   {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
    {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

int parse_signal(const std::string& text) {
  std::string upper;
  for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view s = upper;
  if (all_digits(s)) {
    int n = std::stoi(std::string(s));
    if (n < 1 || n > SIGRTMAX) fail("Invalid signal: {}", text);
    return n;
  }
  if (s.starts_with("SIG")) s.remove_prefix(3);
  for (const auto& named : kSignals)
    if (named.name == s) return named.number;
  for (std::string_view base : {"RTMIN", "RTMAX"}) {
    if (!s.starts_with(base)) continue;
    std::string_view rest = s.substr(base.size());
    int origin = base == "RTMIN" ? SIGRTMIN : SIGRTMAX;
    if (rest.empty()) return origin;
    if ((rest[0] == '+' || rest[0] == '-') && all_digits(rest.substr(1))) {
      int offset = std::stoi(std::string(rest.substr(1)));
      int n = rest[0] == '+' ? origin + offset : origin - offset;
      if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
    }
  }
  fail("Invalid signal: {}", text);
}

}  // namespace tug
