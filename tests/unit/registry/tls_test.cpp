// docker's certs.d layout (registry/tls.cpp).
#include "registry/tls.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

#include "util/error.hpp"
#include "util/file_util.hpp"

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/tug-tls-test-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() { tug::remove_tree(path); }
};

}  // namespace

TEST_CASE("certs.d: every *.crt of every dir, a client cert with its key") {
  TempDir a, b;
  tug::make_dirs(a.path + "/localhost:5000");
  tug::make_dirs(b.path + "/localhost:5000");
  tug::write_file_atomic(a.path + "/localhost:5000/ca.crt", "x");
  tug::write_file_atomic(a.path + "/localhost:5000/other.crt", "x");
  tug::write_file_atomic(a.path + "/localhost:5000/client.cert", "x");
  tug::write_file_atomic(a.path + "/localhost:5000/client.key", "x");
  tug::write_file_atomic(b.path + "/localhost:5000/ca.crt", "x");

  auto files = tug::find_tls_files({a.path, "/nonexistent", b.path}, "localhost:5000");
  REQUIRE(files.ca_files.size() == 3);
  CHECK(files.ca_files[0] == a.path + "/localhost:5000/ca.crt");
  CHECK(files.ca_files[1] == a.path + "/localhost:5000/other.crt");
  CHECK(files.ca_files[2] == b.path + "/localhost:5000/ca.crt");
  CHECK(files.client_cert == a.path + "/localhost:5000/client.cert");
  CHECK(files.client_key == a.path + "/localhost:5000/client.key");

  CHECK(tug::find_tls_files({a.path}, "localhost:5001").ca_files.empty());

  tug::write_file_atomic(b.path + "/localhost:5000/lonely.key", "x");
  CHECK_THROWS_AS(tug::find_tls_files({b.path}, "localhost:5000"), tug::Error);
}

TEST_CASE("a CA file without a certificate is an error naming it") {
  TempDir dir;
  std::string path = dir.path + "/ca.crt";
  tug::write_file_atomic(path, "not a certificate\n");
  CHECK_THROWS_WITH_AS(tug::TlsConfig(tug::TlsFiles{{path}, "", ""}), doctest::Contains(path.c_str()),
                       tug::Error);
}

TEST_CASE("default cert dirs") {
  const char* old = std::getenv("XDG_CONFIG_HOME");
  std::string saved = old ? old : "";
  ::setenv("XDG_CONFIG_HOME", "/cfg", 1);
  auto dirs = tug::default_cert_dirs();
  if (old)
    ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
  else
    ::unsetenv("XDG_CONFIG_HOME");
  REQUIRE(dirs.size() == 4);
  CHECK(dirs[0] == "/cfg/tug/certs.d");
  CHECK(dirs[3] == "/etc/docker/certs.d");
}
