// Registry hosts and URL manipulation for the registry client (pure string work, unit-tested).
#include "registry/url.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cctype>

namespace tug {
namespace {

/// The host part of host[:port], without the brackets of "[::1]:5000".
std::string_view host_part(std::string_view registry) {
  if (registry.starts_with('[')) {
    size_t close = registry.find(']');
    return close == std::string_view::npos ? registry.substr(1) : registry.substr(1, close - 1);
  }
  // More than one ':' without brackets: a bare IPv6 address, no port.
  size_t colon = registry.find(':');
  if (colon != std::string_view::npos && registry.find(':', colon + 1) == std::string_view::npos)
    return registry.substr(0, colon);
  return registry;
}

}  // namespace

std::string registry_api_host(std::string_view registry) {
  if (registry == "docker.io" || registry == "index.docker.io" || registry == "registry-1.docker.io")
    return "registry-1.docker.io";
  return std::string(registry);
}

bool is_loopback_registry(std::string_view registry) {
  std::string host(host_part(registry));
  if (host == "localhost" || host == "::1") return true;
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1) return false;
  return (ntohl(addr.s_addr) >> 24) == 127;
}

std::string url_encode(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string url_origin(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  size_t path = url.find_first_of("/?#", scheme_end + 3);
  return std::string(url.substr(0, path));
}

std::string resolve_location(std::string_view request_url, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  std::string origin = url_origin(request_url);
  if (location.starts_with('/')) return origin + std::string(location);
  // Relative to the directory of the request's path (RFC 3986 merge, without dot segments:
  // registries do not send them).
  std::string_view path = request_url.substr(origin.size());
  path = path.substr(0, path.find_first_of("?#"));
  size_t slash = path.rfind('/');
  std::string_view dir = slash == std::string_view::npos ? "/" : path.substr(0, slash + 1);
  return origin + std::string(dir) + std::string(location);
}

std::string add_query_param(std::string_view url, std::string_view name, std::string_view value) {
  char separator = url.find('?') == std::string_view::npos ? '?' : '&';
  if (url.ends_with('?') || url.ends_with('&')) return fmt::format("{}{}={}", url, name, url_encode(value));
  return fmt::format("{}{}{}={}", url, separator, name, url_encode(value));
}

}  // namespace tug
