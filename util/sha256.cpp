// SHA-256 through OpenSSL's direct SHA256_* functions rather than EVP: in OpenSSL 3 the first
// EVP digest fetch initialises the provider machinery, ~1.5 ms that every `tug run` would pay
// before hashing a few bytes. The direct functions use the same SHA-NI/AVX2 code.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "util/sha256.hpp"

#include <openssl/sha.h>

#include "util/error.hpp"

namespace tug {

Sha256::Sha256() : ctx_(std::make_unique<SHA256_CTX>()) {
  if (SHA256_Init(ctx_.get()) != 1) fail("sha256: init failed");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) {
  if (size && SHA256_Update(ctx_.get(), data, size) != 1) fail("sha256: update failed");
}

std::string Sha256::hex() {
  unsigned char md[SHA256_DIGEST_LENGTH];
  unsigned int len = SHA256_DIGEST_LENGTH;
  if (SHA256_Final(md, ctx_.get()) != 1) fail("sha256: final failed");
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string sha256_digest(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.digest();
}

bool is_sha256_digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.size() != kPrefix.size() + 64 || digest.substr(0, kPrefix.size()) != kPrefix) return false;
  for (char c : digest.substr(kPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string_view digest_hex(std::string_view digest) {
  auto colon = digest.find(':');
  return colon == std::string_view::npos ? digest : digest.substr(colon + 1);
}

}  // namespace tug
