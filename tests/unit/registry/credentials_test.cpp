// Credential files, key normalisation, lookup order, helpers and tug's auth file
// (registry/credentials.cpp, registry/credential_helper.cpp).
#include "registry/credentials.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "registry/base64.hpp"
#include "registry/credential_helper.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"
#include "util/json.hpp"

namespace {

/// A temporary directory, removed at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/tug-credentials-test-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() { tug::remove_tree(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

/// Sets an environment variable for one test and restores it afterwards.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> saved;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
    if (const char* old = std::getenv(name.c_str())) saved = old;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (saved)
      ::setenv(name.c_str(), saved->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

std::string auths_file(const std::string& key, const std::string& user, const std::string& password) {
  tug::Json doc;
  doc["auths"][key]["auth"] = tug::base64_encode(user + ":" + password);
  return doc.dump();
}

tug::CredentialPaths paths_in(const TempDir& dir) {
  return {dir.file("tug/auth.json"), dir.file("docker/config.json"), dir.file("podman/auth.json")};
}

void write(const std::string& path, const std::string& text, int mode = 0644) {
  tug::make_dirs(path.substr(0, path.rfind('/')));
  tug::write_file_atomic(path, text, mode);
}

}  // namespace

TEST_CASE("credential keys are normalised like docker's") {
  CHECK(tug::normalize_registry_key("https://index.docker.io/v1/") == "docker.io");
  CHECK(tug::normalize_registry_key("index.docker.io") == "docker.io");
  CHECK(tug::normalize_registry_key("registry-1.docker.io") == "docker.io");
  CHECK(tug::normalize_registry_key("docker.io") == "docker.io");
  CHECK(tug::normalize_registry_key("http://localhost:5000/v1/") == "localhost:5000");
  CHECK(tug::normalize_registry_key("https://Registry.Example.com/some/path") == "registry.example.com");
  CHECK(tug::normalize_registry_key("127.0.0.1:5000") == "127.0.0.1:5000");
  CHECK(tug::credential_key("docker.io") == "https://index.docker.io/v1/");
  CHECK(tug::credential_key("localhost:5000") == "localhost:5000");
}

TEST_CASE("default paths follow the environment") {
  ScopedEnv home("HOME", "/home/u");
  ScopedEnv xdg("XDG_CONFIG_HOME", "/cfg");
  ScopedEnv runtime("XDG_RUNTIME_DIR", "/run/user/1000");
  ::unsetenv("TUG_AUTH_FILE");
  ::unsetenv("DOCKER_CONFIG");
  ::unsetenv("REGISTRY_AUTH_FILE");
  auto paths = tug::CredentialPaths::defaults();
  CHECK(paths.tug_auth_file == "/cfg/tug/auth.json");
  CHECK(paths.docker_config == "/home/u/.docker/config.json");
  CHECK(paths.podman_auth_file == "/run/user/1000/containers/auth.json");
  {
    ScopedEnv tug_file("TUG_AUTH_FILE", "/x/auth.json");
    ScopedEnv docker("DOCKER_CONFIG", "/d");
    ScopedEnv podman("REGISTRY_AUTH_FILE", "/p.json");
    auto overridden = tug::CredentialPaths::defaults();
    CHECK(overridden.tug_auth_file == "/x/auth.json");
    CHECK(overridden.docker_config == "/d/config.json");
    CHECK(overridden.podman_auth_file == "/p.json");
  }
}

TEST_CASE("auths entries are found under any spelling of the registry") {
  TempDir dir;
  auto paths = paths_in(dir);
  write(paths.docker_config, auths_file("https://index.docker.io/v1/", "hubuser", "hubpw"));
  write(paths.podman_auth_file, auths_file("http://localhost:5000/v1/", "podman", "pw:with:colons"));
  tug::CredentialStore store(paths);

  auto hub = store.lookup("docker.io");
  REQUIRE(hub);
  CHECK(hub->username == "hubuser");
  CHECK(hub->password == "hubpw");
  CHECK(store.lookup("index.docker.io")->username == "hubuser");
  auto local = store.lookup("localhost:5000");
  REQUIRE(local);
  CHECK(local->username == "podman");
  CHECK(local->password == "pw:with:colons");
  CHECK_FALSE(store.lookup("localhost:5001").has_value());
}

TEST_CASE("lookup order: tug's file, docker's auths, podman's auths; identity tokens") {
  TempDir dir;
  auto paths = paths_in(dir);
  write(paths.podman_auth_file, auths_file("reg.example", "from-podman", "p"));
  tug::CredentialStore store(paths);
  CHECK(store.lookup("reg.example")->username == "from-podman");

  write(paths.docker_config, R"({"auths":{"https://reg.example":{"auth":")" +
                                 tug::base64_encode("from-docker:d") + R"(","identitytoken":"refresh-1"}}})");
  auto docker = store.lookup("reg.example");
  CHECK(docker->username == "from-docker");
  CHECK(docker->identity_token == "refresh-1");

  write(paths.tug_auth_file, auths_file("reg.example", "from-tug", "t"));
  CHECK(store.lookup("reg.example")->username == "from-tug");

  write(paths.tug_auth_file, "{broken");
  CHECK_THROWS_AS(store.lookup("reg.example"), tug::Error);
}

TEST_CASE("credential helpers: credHelpers before credsStore before auths") {
  TempDir dir;
  auto paths = paths_in(dir);
  // A fake helper: logs its stdin, answers by server URL.
  std::string log = dir.file("helper.log");
  write(dir.file("bin/docker-credential-tugtest"),
        "#!/bin/sh\n"
        "[ \"$1\" = get ] || exit 3\n"
        "read -r url\n"
        "echo \"$url\" >> " +
            log +
            "\n"
            "case \"$url\" in\n"
            "  helped.example) echo "
            "'{\"ServerURL\":\"helped.example\",\"Username\":\"helper-user\",\"Secret\":\"s1\"}' ;;\n"
            "  token.example) echo '{\"Username\":\"<token>\",\"Secret\":\"identity-1\"}' ;;\n"
            "  broken.example) echo 'the keychain is locked'; exit 1 ;;\n"
            "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
            "esac\n",
        0755);
  write(dir.file("bin/docker-credential-other"),
        "#!/bin/sh\necho '{\"Username\":\"other\",\"Secret\":\"o\"}'\n", 0755);
  ScopedEnv path("PATH",
                 dir.file("bin") + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin"));

  write(paths.docker_config, R"({"credsStore":"tugtest","credHelpers":{"special.example":"other"},
      "auths":{"fallback.example":{"auth":")" +
                                 tug::base64_encode("file-user:f") + R"("}}})");
  tug::CredentialStore store(paths);

  auto helped = store.lookup("helped.example");
  REQUIRE(helped);
  CHECK(helped->username == "helper-user");
  CHECK(helped->password == "s1");
  CHECK(helped->identity_token.empty());

  auto token = store.lookup("token.example");
  REQUIRE(token);
  CHECK(token->username.empty());
  CHECK(token->identity_token == "identity-1");

  CHECK(store.lookup("special.example")->username == "other");
  // "credentials not found" from the store: the file's auths are next.
  CHECK(store.lookup("fallback.example")->username == "file-user");
  CHECK_FALSE(store.lookup("nowhere.example").has_value());
  // docker.io goes to the helper under docker's key.
  CHECK_FALSE(store.lookup("docker.io").has_value());
  CHECK(tug::read_file(log).find("https://index.docker.io/v1/\n") != std::string::npos);

  CHECK_THROWS_WITH_AS(
      store.lookup("broken.example"),
      doctest::Contains("docker-credential-tugtest (exit status 1), out: `the keychain is locked`"),
      tug::Error);
  write(paths.docker_config, R"({"credsStore":"missing"})");
  CHECK_THROWS_WITH_AS(store.lookup("x.example"),
                       doctest::Contains("\"docker-credential-missing\": executable file not found"),
                       tug::Error);
}

TEST_CASE("helper answers are parsed strictly") {
  auto plain = tug::parse_credential_helper_output(R"({"ServerURL":"x","Username":"u","Secret":"p"})", "h");
  CHECK(plain.username == "u");
  CHECK(plain.password == "p");
  CHECK_THROWS_AS(tug::parse_credential_helper_output("nope", "h"), tug::Error);
  CHECK_THROWS_AS(tug::parse_credential_helper_output(R"({"Username":"u"})", "h"), tug::Error);
}

TEST_CASE("save and erase: tug's file only, mode 0600, other entries kept") {
  TempDir dir;
  auto paths = paths_in(dir);
  tug::CredentialStore store(paths);
  CHECK_FALSE(store.erase("localhost:5000"));

  store.save("localhost:5000", {"alice", "pw1", ""});
  store.save("docker.io", {"bob", "pw2", ""});
  struct stat st {};
  REQUIRE(::stat(paths.tug_auth_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(dir.file("tug").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  auto doc = tug::Json::parse(tug::read_file(paths.tug_auth_file));
  CHECK(doc["auths"]["localhost:5000"]["auth"] == tug::base64_encode("alice:pw1"));
  CHECK(doc["auths"]["https://index.docker.io/v1/"]["auth"] == tug::base64_encode("bob:pw2"));
  CHECK(store.lookup("localhost:5000")->password == "pw1");
  CHECK(store.lookup("docker.io")->username == "bob");

  // Replacing keeps the other entry and unknown top-level keys.
  doc["HttpHeaders"] = {{"X-Meta", "1"}};
  tug::write_file_atomic(paths.tug_auth_file, doc.dump(), 0600);
  store.save("localhost:5000", {"alice", "pw3", ""});
  CHECK(store.lookup("localhost:5000")->password == "pw3");
  CHECK(tug::Json::parse(tug::read_file(paths.tug_auth_file)).contains("HttpHeaders"));

  CHECK(store.erase("localhost:5000"));
  CHECK_FALSE(store.erase("localhost:5000"));
  CHECK_FALSE(store.lookup("localhost:5000").has_value());
  CHECK(store.lookup("docker.io")->username == "bob");
  REQUIRE(::stat(paths.tug_auth_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(store.erase("index.docker.io"));
  CHECK_FALSE(store.lookup("docker.io").has_value());
}
