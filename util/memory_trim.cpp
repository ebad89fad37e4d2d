// The monitor is a fork of the `tug run -d` process, so it starts with every page of the 13 MB
// binary that the command touched (pulling, parsing, mounting) mapped: ~5 MB of RSS, though
// shared with the page cache. MADV_DONTNEED on a private file mapping that was never written
// only drops our page table entries, so the code the monitor's loop runs afterwards faults
// back in (minor faults, from the page cache) and the rest stops counting.
#include "util/memory_trim.hpp"

#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace tug {

namespace {

constexpr uint64_t kPagePresent = 1ULL << 63;
constexpr uint64_t kPageFileOrShared = 1ULL << 61;

/// Drops the pages of [start, end) that still hold the file's own content: every page of a
/// read-only segment, and in a writable one (relocated data, RELRO, .data) only the pages
/// /proc/self/pagemap reports as file pages, i.e. never written: a written page became an
/// anonymous copy, and dropping it would lose what was written.
void drop_file_pages(uintptr_t start, uintptr_t end, uintptr_t page, bool writable, int pagemap) {
  if (!writable) {
    ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
    return;
  }
  if (pagemap < 0) return;
  for (uintptr_t addr = start; addr < end; addr += page) {
    uint64_t entry = 0;
    off_t at = static_cast<off_t>(addr / page * sizeof entry);
    if (::pread(pagemap, &entry, sizeof entry, at) != static_cast<ssize_t>(sizeof entry)) return;
    if ((entry & kPagePresent) && (entry & kPageFileOrShared))
      ::madvise(reinterpret_cast<void*>(addr), page, MADV_DONTNEED);
  }
}

struct TrimState {
  bool first = true;
  int pagemap = -1;
};

int drop_program_pages(struct dl_phdr_info* info, size_t, void* data) {
  // Only the executable itself (the first object); a static binary has no other.
  auto& state = *static_cast<TrimState*>(data);
  if (!state.first) return 1;
  state.first = false;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    // Whole pages inside the segment's file-backed part only: a page it shares with a
    // neighbour, or the anonymous .bss beyond p_filesz, stays.
    uintptr_t start = (info->dlpi_addr + ph.p_vaddr + page - 1) & ~(page - 1);
    uintptr_t end = (info->dlpi_addr + ph.p_vaddr + ph.p_filesz) & ~(page - 1);
    if (end > start) drop_file_pages(start, end, page, ph.p_flags & PF_W, state.pagemap);
  }
  return 1;
}

}  // namespace

void trim_resident_memory() {
  TrimState state;
  state.pagemap = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  ::dl_iterate_phdr(drop_program_pages, &state);
  if (state.pagemap >= 0) ::close(state.pagemap);
  ::malloc_trim(0);
}

}  // namespace tug
