// URL pieces of the distribution API: registry hosts (docker.io's API host, loopback hosts),
// query encoding, and upload Locations that may be relative and carry their own query.
#pragma once

#include <string>
#include <string_view>

namespace tug {

/// The host[:port] the API lives on: "docker.io" (and its aliases) → "registry-1.docker.io".
std::string registry_api_host(std::string_view registry);

/// True for localhost, 127.0.0.0/8 and ::1, with or without a port: registries docker lets
/// speak plain http without being told.
bool is_loopback_registry(std::string_view registry);

/// Percent-encodes everything but RFC 3986's unreserved characters (for query values).
std::string url_encode(std::string_view value);

/// "scheme://host[:port]" of an absolute URL ("" when it has none).
std::string url_origin(std::string_view url);

/// Where a Location header points, relative to the URL that answered: absolute URLs as they
/// are, "/path?q" on the same origin, "path" next to the request's path. Queries are kept.
std::string resolve_location(std::string_view request_url, std::string_view location);

/// `url` with "name=<encoded value>" appended to its query ('?' or '&' as needed).
std::string add_query_param(std::string_view url, std::string_view name, std::string_view value);

}  // namespace tug
