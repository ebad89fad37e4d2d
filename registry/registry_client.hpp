// The OCI distribution API as a client: manifests, blobs (streamed, resumed, retried), uploads,
// cross-repository mounts. Authentication (Bearer token flow, Basic) and TLS policy are handled
// here, so callers in core/ only speak in repositories, references and digests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fs/byte_stream.hpp"
#include "registry/credentials.hpp"

namespace tug {

/// How tug talks to registries. Defaults are what a docker user expects.
struct RegistryOptions {
  /// false (--tls-verify=false): accept any certificate and fall back to plain http.
  bool tls_verify = true;
  /// host[:port] entries allowed over plain http / unverified TLS, besides localhost and
  /// 127.0.0.0/8 (always allowed over http).
  std::vector<std::string> insecure_registries;
  /// Directories searched for "<host[:port]>/" holding ca.crt / *.crt, client.cert +
  /// client.key (docker's certs.d layout). Empty: the defaults ($XDG_CONFIG_HOME/tug/certs.d,
  /// /etc/tug/certs.d, /etc/containers/certs.d, /etc/docker/certs.d).
  std::vector<std::string> cert_dirs;
  /// Transfers retried after a reset, a 5xx, a 429 or a stall before giving up
  /// (env TUG_REGISTRY_RETRIES overrides).
  int max_retries = 5;
  /// First back-off delay; doubled at each retry, capped at 8 s (env TUG_REGISTRY_RETRY_DELAY_MS).
  int retry_delay_ms = 500;
  /// A transfer making no progress for this long counts as stalled (env TUG_REGISTRY_STALL_SECONDS).
  int stall_seconds = 30;
  /// Connecting gives up after this long.
  int connect_timeout_seconds = 15;
  /// host[:port] serving Docker Hub's images instead of registry-1.docker.io (docker's
  /// --registry-mirror; env TUG_REGISTRY_MIRROR). Credentials stay keyed by "docker.io".
  std::string docker_hub_mirror;
};

/// Reads the TUG_REGISTRY_* environment overrides into defaults.
RegistryOptions registry_options_from_env();

/// A manifest or index as the registry served it.
struct FetchedManifest {
  std::string media_type;  ///< Content-Type, or the body's mediaType when the header is generic
  std::string digest;      ///< sha256 of `body`, verified against Docker-Content-Digest and the
                           ///< requested digest when the reference is one
  std::string body;        ///< exact bytes (digests are computed over them)
};

/// Called with the total bytes delivered so far for one blob; may be called from any thread
/// that reads the stream.
using ProgressFn = std::function<void(uint64_t bytes_done)>;

/// One registry (a host[:port], "docker.io" meaning registry-1.docker.io). Thread-safe: several
/// threads may download blobs at once through one client; tokens are shared and cached per
/// scope until they expire.
class RegistryClient {
 public:
  /// `registry` is Reference::domain. Credentials are looked up in `credentials` lazily, when a
  /// registry first asks for them.
  RegistryClient(std::string registry, RegistryOptions options,
                 std::shared_ptr<const CredentialStore> credentials);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  /// "https://localhost:5000" or "http://..." once decided (after the first request).
  std::string base_url();

  /// Uses `credentials` instead of looking them up in the store (`tug login` checks the
  /// credentials it was given before saving them).
  void use_credentials(Credentials credentials);

  /// GET /v2/ with credentials: throws "unauthorized: ..." (docker's wording) when refused.
  /// Used by `tug login` to check credentials before saving them.
  void check_login();

  /// GET /v2/<repo>/manifests/<reference> with docker's Accept list (OCI index, OCI manifest,
  /// Docker manifest list, Docker schema 2). `reference` is a tag or "sha256:...".
  /// Throws: "manifest unknown: <repo>:<ref>" style errors with docker's text for 404
  /// ("manifest for <ref> not found: manifest unknown: manifest unknown"), digest mismatch,
  /// unauthorized (after the token flow failed: no endless 401 loop).
  FetchedManifest get_manifest(const std::string& repo, const std::string& reference);

  /// HEAD /v2/<repo>/manifests/<reference>: the digest and media type, or nullopt on 404.
  std::optional<FetchedManifest> head_manifest(const std::string& repo, const std::string& reference);

  /// GET a small blob (an image config) into memory, verified against `digest`.
  std::string get_blob(const std::string& repo, const std::string& digest);

  /// Streams a blob. Reading the returned source yields the blob's bytes exactly once, in
  /// order, to the end: a transfer cut short (reset, 5xx, stall, registry restarted) is
  /// retried with back-off and resumed with a Range request from the first byte not yet
  /// delivered (or, when the server ignores Range, by skipping what was delivered). The source
  /// does NOT verify the digest (the caller hashes while it consumes); it throws when the
  /// stream ends with a size other than `expected_size` (when >= 0) or when retries run out,
  /// with a one-line message naming the blob and the last failure. `resume_from` > 0 starts
  /// with a Range request at that offset (the caller already holds those bytes).
  std::unique_ptr<ByteSource> open_blob(const std::string& repo, const std::string& digest,
                                        int64_t expected_size, ProgressFn progress = {},
                                        uint64_t resume_from = 0);

  /// HEAD /v2/<repo>/blobs/<digest>: whether the registry has it (for push).
  bool has_blob(const std::string& repo, const std::string& digest);

  /// POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<from_repo>: true when the registry
  /// mounted it (201); false when it did not (202: the upload session it opened is cancelled
  /// or reused by the next upload). Asks for pull on `from_repo` and push on `repo`.
  bool mount_blob(const std::string& repo, const std::string& digest, const std::string& from_repo);

  /// Uploads a blob whose digest and size are known: POST to open a session, then one PUT
  /// with the content when size <= chunk threshold, else PATCH chunks and a final PUT.
  /// `open_content` is called once per attempt (a retried upload starts over from byte 0).
  void upload_blob(const std::string& repo, const std::string& digest, int64_t size,
                   const std::function<std::unique_ptr<ByteSource>()>& open_content,
                   ProgressFn progress = {});

  /// PUT /v2/<repo>/manifests/<reference> with `media_type`; returns the digest the registry
  /// reports (Docker-Content-Digest), checked against our own sha256 of `body`.
  std::string put_manifest(const std::string& repo, const std::string& reference,
                           const std::string& media_type, const std::string& body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tug
