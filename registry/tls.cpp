// Which certificates a registry connection trusts and presents. A statically linked OpenSSL has
// no notion of the distribution's store, so the system bundle is named explicitly.
#include "registry/tls.hpp"

#include <dirent.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {
namespace {

/// The first CA bundle that exists among the usual places (Debian's first: curl is built for it).
const char* system_ca_bundle() {
  static const char* bundle = [] {
    for (const char* candidate : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                                  "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"})
      if (path_exists(candidate)) return candidate;
    return static_cast<const char*>(nullptr);
  }();
  return bundle;
}

std::vector<std::string> sorted_entries(const std::string& dir) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(dir.c_str()), ::closedir);
  if (!handle) return names;
  while (dirent* entry = ::readdir(handle.get())) names.emplace_back(entry->d_name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<X509*> load_certificates(const std::string& path) {
  std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!bio) fail("reading CA certificate {}: cannot open it", path);
  std::vector<X509*> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.push_back(cert);
  // The loop ends on the "no start line" error at the end of the file.
  ERR_clear_error();
  if (certs.empty()) fail("reading CA certificate {}: no PEM certificate in it", path);
  return certs;
}

}  // namespace

std::vector<std::string> default_cert_dirs() {
  std::vector<std::string> dirs;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && *xdg)
    dirs.push_back(join_path(xdg, "tug/certs.d"));
  else if (home && *home)
    dirs.push_back(join_path(home, ".config/tug/certs.d"));
  for (const char* dir : {"/etc/tug/certs.d", "/etc/containers/certs.d", "/etc/docker/certs.d"})
    dirs.push_back(dir);
  return dirs;
}

TlsFiles find_tls_files(const std::vector<std::string>& cert_dirs, std::string_view registry) {
  TlsFiles files;
  for (const auto& base : cert_dirs) {
    std::string dir = join_path(base, registry);
    for (const auto& name : sorted_entries(dir)) {
      std::string path = join_path(dir, name);
      if (name.ends_with(".crt")) {
        files.ca_files.push_back(path);
      } else if (name.ends_with(".cert") && files.client_cert.empty()) {
        std::string key = path.substr(0, path.size() - 5) + ".key";
        if (!path_exists(key)) fail("missing key {} for client certificate {}", key, path);
        files.client_cert = path;
        files.client_key = key;
      } else if (name.ends_with(".key")) {
        std::string cert = path.substr(0, path.size() - 4) + ".cert";
        if (!path_exists(cert)) fail("missing client certificate {} for key {}", cert, path);
      }
    }
  }
  return files;
}

TlsConfig::TlsConfig(TlsFiles files) : files_(std::move(files)) {
  try {
    for (const auto& path : files_.ca_files) {
      auto certs = load_certificates(path);
      extra_cas_.insert(extra_cas_.end(), certs.begin(), certs.end());
    }
  } catch (...) {
    for (X509* cert : extra_cas_) X509_free(cert);
    throw;
  }
}

TlsConfig::~TlsConfig() {
  for (X509* cert : extra_cas_) X509_free(cert);
}

CURLcode TlsConfig::add_extra_cas(CURL*, void* ssl_ctx, void* self) {
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  for (X509* cert : static_cast<const TlsConfig*>(self)->extra_cas_) X509_STORE_add_cert(store, cert);
  // A certificate already in the store (the same CA in two files) is not an error.
  ERR_clear_error();
  return CURLE_OK;
}

void TlsConfig::apply(CURL* easy, bool verify) const {
  const char* bundle = system_ca_bundle();
  curl_easy_setopt(easy, CURLOPT_CAINFO, bundle);
  curl_easy_setopt(easy, CURLOPT_CAPATH, path_exists("/etc/ssl/certs") ? "/etc/ssl/certs" : nullptr);
  if (!extra_cas_.empty()) {
    // curl may cache the CA store across handles; the extra CAs belong to this registry only.
    curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &TlsConfig::add_extra_cas);
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, const_cast<TlsConfig*>(this));
  }
  if (!files_.client_cert.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, files_.client_cert.c_str());
    curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(easy, CURLOPT_SSLKEY, files_.client_key.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
}

}  // namespace tug
