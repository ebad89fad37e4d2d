// `tug login` / `tug logout`: credentials checked against the registry, then kept in tug's own
// auth file (docker's "auths" format, mode 0600).
#pragma once

#include <string>

#include "registry/credentials.hpp"
#include "registry/registry_client.hpp"

namespace tug {

/// The registry a login/logout argument names: "" → docker.io; "https://host:5000/" → "host:5000".
std::string login_registry(const std::string& server);

/// Checks `credentials` against `registry` (GET /v2/, through the token flow when asked) and
/// saves them. Throws "unauthorized: ..." as docker does; nothing is saved then.
void login(const std::string& registry, const Credentials& credentials, const RegistryOptions& options);

/// Removes the registry's entry from tug's auth file; false when there was none.
bool logout(const std::string& registry);

}  // namespace tug
