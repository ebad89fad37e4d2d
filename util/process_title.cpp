#include "util/process_title.hpp"

#include <cstddef>
#include <cstring>

namespace tug {

namespace {

char* g_area = nullptr;
size_t g_area_size = 0;

}  // namespace

void remember_command_line(int argc, char** argv) {
  if (argc <= 0 || !argv[0]) return;
  // Only the contiguous run of strings from argv[0] on can be rewritten.
  char* end = argv[0] + std::strlen(argv[0]) + 1;
  for (int i = 1; i < argc && argv[i] == end; ++i) end = argv[i] + std::strlen(argv[i]) + 1;
  g_area = argv[0];
  g_area_size = static_cast<size_t>(end - argv[0]);
}

void rewrite_command_line(const char* first, const char* const* rest) {
  if (!g_area || g_area_size == 0) return;
  size_t at = 0;
  auto put = [&](const char* s) {
    while (*s && at + 1 < g_area_size) g_area[at++] = *s++;
    if (at < g_area_size) g_area[at++] = '\0';
  };
  put(first);
  for (; rest && *rest && at + 1 < g_area_size; ++rest) put(*rest);
  while (at < g_area_size) g_area[at++] = '\0';
}

}  // namespace tug
