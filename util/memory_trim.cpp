// The monitor is a fork of the `tug run -d` process, so it starts with every page of the 13 MB
// binary that the command touched (pulling, parsing, mounting) mapped: ~5 MB of RSS, though
// shared with the page cache. MADV_DONTNEED on a private file mapping that was never written
// only drops our page table entries, so the code the monitor's loop runs afterwards faults
// back in (minor faults, from the page cache) and the rest stops counting.
#include "util/memory_trim.hpp"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace tug {

namespace {

int drop_read_only_segments(struct dl_phdr_info* info, size_t, void* data) {
  // Only the executable itself (the first object); a static binary has no other.
  bool& first = *static_cast<bool*>(data);
  if (!first) return 1;
  first = false;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W)) continue;
    // Whole pages inside the segment only: a page it shares with a writable neighbour stays.
    uintptr_t start = (info->dlpi_addr + ph.p_vaddr + page - 1) & ~(page - 1);
    uintptr_t end = (info->dlpi_addr + ph.p_vaddr + ph.p_memsz) & ~(page - 1);
    if (end > start) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  }
  return 1;
}

}  // namespace

void trim_resident_memory() {
  bool first = true;
  ::dl_iterate_phdr(drop_read_only_segments, &first);
  ::malloc_trim(0);
}

}  // namespace tug
