// Streaming SHA-256 (OpenSSL libcrypto) and "sha256:<hex>" digest helpers.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct SHA256state_st;

namespace tug {

/// Incremental SHA-256; `hex()` finishes and returns 64 lowercase hex characters.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  std::string hex();
  /// "sha256:" + hex().
  std::string digest() { return "sha256:" + hex(); }

 private:
  std::unique_ptr<SHA256state_st> ctx_;
};

/// "sha256:<hex>" of a whole buffer.
std::string sha256_digest(std::string_view data);

/// True for "sha256:" followed by exactly 64 lowercase hex characters.
bool is_sha256_digest(std::string_view digest);

/// The hex part of "sha256:<hex>" (the input unchanged when it has no algorithm prefix).
std::string_view digest_hex(std::string_view digest);

}  // namespace tug
