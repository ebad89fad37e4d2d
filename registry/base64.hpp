// Base64 (standard alphabet, padded) over OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock, for
// the "auth" fields of credential files and Basic authorization.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tug {

std::string base64_encode(std::string_view data);
/// nullopt when `text` is not valid base64 (whitespace around it is ignored).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tug
