// Registry credentials: tug's own auth file (docker's "auths" format, mode 0600), and read-only
// the files docker and podman users already have: ~/.docker/config.json (auths, credsStore,
// credHelpers through docker-credential-* helpers) and podman's auth.json.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tug {

struct Credentials {
  std::string username;
  std::string password;        ///< or the helper's Secret
  std::string identity_token;  ///< a refresh token (helper Username "<token>", auths "identitytoken")
};

/// Where credentials are looked up, in order. Paths are fixed at construction.
struct CredentialPaths {
  std::string tug_auth_file;     ///< $TUG_AUTH_FILE, else $XDG_CONFIG_HOME/tug/auth.json
                                 ///< (default ~/.config/tug/auth.json); written by login
  std::string docker_config;     ///< $DOCKER_CONFIG/config.json, else ~/.docker/config.json
  std::string podman_auth_file;  ///< $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json
  static CredentialPaths defaults();
};

class CredentialStore {
 public:
  explicit CredentialStore(CredentialPaths paths = CredentialPaths::defaults());
  const CredentialPaths& paths() const { return paths_; }

  /// Credentials for a registry host ("localhost:5000", "docker.io"). Keys in the files may be
  /// "host", "https://host", "http://host/v1/" ...; docker.io also matches
  /// "https://index.docker.io/v1/". Order: tug's file, docker's credHelpers[host], docker's
  /// credsStore, docker's auths, podman's auths. A failing helper is an error naming it.
  std::optional<Credentials> lookup(const std::string& registry) const;

  /// Saves into tug's auth file (created 0600, replaced atomically; other entries kept).
  void save(const std::string& registry, const Credentials& credentials) const;
  /// Removes the registry from tug's auth file; false when it was not there.
  bool erase(const std::string& registry) const;

 private:
  CredentialPaths paths_;
};

/// The key a registry host is stored under: "https://index.docker.io/v1/" for docker.io, the
/// host[:port] otherwise.
std::string credential_key(const std::string& registry);

/// The registry a key of a credentials file stands for: scheme, path and "/v1/" dropped,
/// docker.io's aliases (index.docker.io, registry-1.docker.io) as "docker.io".
std::string normalize_registry_key(std::string_view key);

}  // namespace tug
