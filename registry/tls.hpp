// TLS trust for one registry: the system CA store plus docker's certs.d layout
// (<dir>/<host[:port]>/*.crt as extra CAs, client.cert + client.key for mutual TLS).
#pragma once

#include <curl/curl.h>

#include <string>
#include <string_view>
#include <vector>

typedef struct x509_st X509;

namespace tug {

/// The certs.d files that apply to one registry.
struct TlsFiles {
  std::vector<std::string> ca_files;  ///< every *.crt, from every cert dir, in order
  std::string client_cert;            ///< a *.cert with its matching *.key, or empty
  std::string client_key;
};

/// $XDG_CONFIG_HOME/tug/certs.d (~/.config/tug/certs.d), /etc/tug/certs.d,
/// /etc/containers/certs.d, /etc/docker/certs.d.
std::vector<std::string> default_cert_dirs();

/// The files under "<dir>/<registry>/" of each dir (missing dirs are skipped). Throws when a
/// client certificate has no key (or the reverse), as docker does.
TlsFiles find_tls_files(const std::vector<std::string>& cert_dirs, std::string_view registry);

/// TLS settings applied to every curl handle talking to one registry; the extra CAs are parsed
/// once here and added to each new TLS context.
class TlsConfig {
 public:
  /// Loads the CA files; throws naming a file that holds no certificate.
  explicit TlsConfig(TlsFiles files);
  ~TlsConfig();
  TlsConfig(const TlsConfig&) = delete;
  TlsConfig& operator=(const TlsConfig&) = delete;

  /// Sets CA bundle, extra CAs, client certificate and verification on `easy`; with `verify`
  /// false any server certificate is accepted (--tls-verify=false, insecure registries).
  void apply(CURL* easy, bool verify) const;

 private:
  static CURLcode add_extra_cas(CURL* easy, void* ssl_ctx, void* self);

  TlsFiles files_;
  std::vector<X509*> extra_cas_;
};

}  // namespace tug
