// Registry error bodies ({"errors":[{"code","message","detail"}]}) turned into docker's one-line
// wording: "manifest unknown: manifest unknown", "denied: requested access to the resource is denied".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "registry/http.hpp"

namespace tug {

/// "<code, lowercased, '_' as ' '>: <message>" of the first error; nullopt when the body is not
/// a registry error document.
std::optional<std::string> registry_error_message(std::string_view body);

/// "sha256:0123456789ab": enough of a digest to name a blob in a message.
std::string short_digest(const std::string& digest);

/// registry_error_message of the response body, else its status ("503 Service Unavailable").
std::string describe_response(const http::Response& response);

}  // namespace tug
