// Bringing up "lo" in a fresh network namespace (it starts down).
#pragma once

namespace tug {

/// Sets IFF_UP on lo in the caller's network namespace; throws on failure.
void bring_loopback_up();

}  // namespace tug
