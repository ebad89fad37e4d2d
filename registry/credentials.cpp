// Finding and keeping registry credentials: tug's own auth file (read-write), docker's
// config.json with its credential helpers and podman's auth.json (read-only).
#include "registry/credentials.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>

#include "registry/base64.hpp"
#include "registry/credential_helper.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"
#include "util/json.hpp"

namespace tug {
namespace {

constexpr const char* kDockerHubKey = "https://index.docker.io/v1/";

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

/// A credentials file as JSON; nullopt when it does not exist. Broken files are errors: a
/// silently ignored login is worse than a clear message.
std::optional<Json> read_json_file(const std::string& path) {
  if (path.empty()) return std::nullopt;
  auto text = read_file_if_exists(path);
  if (!text) return std::nullopt;
  Json doc = Json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) fail("reading credentials from {}: invalid JSON", path);
  return doc;
}

std::string string_field(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// The entry of an object ("auths", "credHelpers") whose key stands for `registry`: the exact
/// key first, then any key that normalises to it.
const Json* find_entry(const Json& object, const std::string& registry) {
  if (!object.is_object()) return nullptr;
  auto exact = object.find(credential_key(registry));
  if (exact != object.end()) return &*exact;
  for (auto it = object.begin(); it != object.end(); ++it)
    if (normalize_registry_key(it.key()) == registry) return &*it;
  return nullptr;
}

/// Credentials of an "auths" entry: "auth" (base64 of user:password), or username/password
/// fields, and "identitytoken".
std::optional<Credentials> credentials_from_auth_entry(const Json& entry, const std::string& path,
                                                       const std::string& key) {
  if (!entry.is_object()) return std::nullopt;
  Credentials credentials;
  std::string auth = string_field(entry, "auth");
  if (!auth.empty()) {
    auto decoded = base64_decode(auth);
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) fail("reading credentials from {}: invalid auth entry for {}", path, key);
    credentials.username = decoded->substr(0, colon);
    credentials.password = decoded->substr(colon + 1);
  } else {
    credentials.username = string_field(entry, "username");
    credentials.password = string_field(entry, "password");
  }
  credentials.identity_token = string_field(entry, "identitytoken");
  if (credentials.username.empty() && credentials.password.empty() && credentials.identity_token.empty())
    return std::nullopt;
  return credentials;
}

std::optional<Credentials> from_auths(const std::optional<Json>& doc, const std::string& path,
                                      const std::string& registry) {
  if (!doc || !doc->contains("auths")) return std::nullopt;
  const Json* entry = find_entry((*doc)["auths"], registry);
  if (!entry) return std::nullopt;
  return credentials_from_auth_entry(*entry, path, registry);
}

}  // namespace

CredentialPaths CredentialPaths::defaults() {
  CredentialPaths paths;
  std::string home = env_or_empty("HOME");
  std::string xdg_config = env_or_empty("XDG_CONFIG_HOME");
  if (xdg_config.empty() && !home.empty()) xdg_config = join_path(home, ".config");

  paths.tug_auth_file = env_or_empty("TUG_AUTH_FILE");
  if (paths.tug_auth_file.empty() && !xdg_config.empty())
    paths.tug_auth_file = join_path(xdg_config, "tug/auth.json");

  std::string docker_dir = env_or_empty("DOCKER_CONFIG");
  if (docker_dir.empty() && !home.empty()) docker_dir = join_path(home, ".docker");
  if (!docker_dir.empty()) paths.docker_config = join_path(docker_dir, "config.json");

  paths.podman_auth_file = env_or_empty("REGISTRY_AUTH_FILE");
  if (paths.podman_auth_file.empty()) {
    std::string runtime_dir = env_or_empty("XDG_RUNTIME_DIR");
    // podman's own fallback when XDG_RUNTIME_DIR is unset.
    if (runtime_dir.empty()) runtime_dir = "/run/user/" + std::to_string(::getuid());
    paths.podman_auth_file = join_path(runtime_dir, "containers/auth.json");
  }
  return paths;
}

CredentialStore::CredentialStore(CredentialPaths paths) : paths_(std::move(paths)) {}

std::string normalize_registry_key(std::string_view key) {
  size_t scheme = key.find("://");
  if (scheme != std::string_view::npos) key.remove_prefix(scheme + 3);
  key = key.substr(0, key.find('/'));
  std::string host(key);
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host == "index.docker.io" || host == "registry-1.docker.io" || host == "registry.hub.docker.com")
    return "docker.io";
  return host;
}

std::string credential_key(const std::string& registry) {
  std::string normalized = normalize_registry_key(registry);
  return normalized == "docker.io" ? kDockerHubKey : normalized;
}

std::optional<Credentials> CredentialStore::lookup(const std::string& registry_name) const {
  std::string registry = normalize_registry_key(registry_name);
  if (auto found = from_auths(read_json_file(paths_.tug_auth_file), paths_.tug_auth_file, registry))
    return found;

  auto docker = read_json_file(paths_.docker_config);
  if (docker) {
    if (docker->contains("credHelpers"))
      if (const Json* helper = find_entry((*docker)["credHelpers"], registry); helper && helper->is_string())
        if (auto found = credential_helper_get(helper->get<std::string>(), credential_key(registry)))
          return found;
    std::string store = string_field(*docker, "credsStore");
    if (!store.empty())
      if (auto found = credential_helper_get(store, credential_key(registry))) return found;
    if (auto found = from_auths(docker, paths_.docker_config, registry)) return found;
  }
  return from_auths(read_json_file(paths_.podman_auth_file), paths_.podman_auth_file, registry);
}

void CredentialStore::save(const std::string& registry, const Credentials& credentials) const {
  const std::string& path = paths_.tug_auth_file;
  if (path.empty()) fail("saving credentials: no auth file (set TUG_AUTH_FILE or HOME)");
  Json doc = read_json_file(path).value_or(Json::object());
  if (!doc.contains("auths") || !doc["auths"].is_object()) doc["auths"] = Json::object();
  Json entry = Json::object();
  if (!credentials.username.empty() || !credentials.password.empty())
    entry["auth"] = base64_encode(credentials.username + ":" + credentials.password);
  if (!credentials.identity_token.empty()) entry["identitytoken"] = credentials.identity_token;
  doc["auths"][credential_key(registry)] = std::move(entry);

  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) make_dirs(path.substr(0, slash), 0700);
  // 0600: the file holds passwords (base64 is no protection).
  write_file_atomic(path, doc.dump(1, '\t') + "\n", 0600);
}

bool CredentialStore::erase(const std::string& registry_name) const {
  const std::string& path = paths_.tug_auth_file;
  auto doc = read_json_file(path);
  if (!doc || !doc->contains("auths") || !(*doc)["auths"].is_object()) return false;
  std::string registry = normalize_registry_key(registry_name);
  Json& auths = (*doc)["auths"];
  Json kept = Json::object();
  bool removed = false;
  for (auto it = auths.begin(); it != auths.end(); ++it) {
    if (normalize_registry_key(it.key()) == registry)
      removed = true;
    else
      kept[it.key()] = it.value();
  }
  if (!removed) return false;
  auths = std::move(kept);
  write_file_atomic(path, doc->dump(1, '\t') + "\n", 0600);
  return true;
}

}  // namespace tug
