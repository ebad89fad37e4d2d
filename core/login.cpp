#include "core/login.hpp"

#include <memory>

namespace tug {

std::string login_registry(const std::string& server) {
  if (server.empty()) return "docker.io";
  return normalize_registry_key(server);
}

void login(const std::string& registry, const Credentials& credentials, const RegistryOptions& options) {
  auto store = std::make_shared<CredentialStore>();
  RegistryClient client(registry, options, store);
  client.use_credentials(credentials);
  client.check_login();
  store->save(registry, credentials);
}

bool logout(const std::string& registry) { return CredentialStore().erase(registry); }

}  // namespace tug
