// Giving back what a long-lived, mostly idle tug process (a container's monitor) keeps
// resident from the command that forked it: the program's pages touched while starting the
// container, and the heap's free memory.
#pragma once

namespace tug {

/// Unmaps, from this process only, the resident pages of tug's program that still hold the
/// file's content (code, constants, data never written: they come back from the page cache if
/// used again) and returns free heap to the kernel. Pages written since startup are kept.
void trim_resident_memory();

}  // namespace tug
