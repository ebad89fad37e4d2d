// docker-credential-<name> helpers (docker-compat §8): `get` with the server URL on stdin,
// {"Username","Secret"} on stdout; "<token>" as Username means Secret is an identity token.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "registry/credentials.hpp"

namespace tug {

/// Runs `docker-credential-<helper> get` (found in PATH). nullopt when the helper reports
/// "credentials not found"; any other failure throws an error naming the helper.
std::optional<Credentials> credential_helper_get(const std::string& helper, const std::string& server_url);

/// Reads a helper's `get` answer; throws when it is not {"Username","Secret"}.
Credentials parse_credential_helper_output(std::string_view output, const std::string& helper);

}  // namespace tug
