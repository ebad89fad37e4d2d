// Docker formats registry errors as the lowercased error code, a colon and the message; the same
// text here lets users (and scripts) match tug's failures against docker's.
#include "registry/registry_error.hpp"

#include <algorithm>
#include <cctype>

#include "util/json.hpp"

namespace tug {

std::optional<std::string> registry_error_message(std::string_view body) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  auto errors = doc.find("errors");
  if (errors == doc.end() || !errors->is_array() || errors->empty() || !(*errors)[0].is_object())
    return std::nullopt;
  const Json& first = (*errors)[0];
  auto text = [&](const char* name) {
    auto field = first.find(name);
    return field != first.end() && field->is_string() ? field->get<std::string>() : std::string();
  };
  std::string code = text("code");
  std::string message = text("message");
  for (char& c : code) c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (code.empty() && message.empty()) return std::nullopt;
  if (code.empty()) return message;
  if (message.empty()) return code;
  return code + ": " + message;
}

std::string short_digest(const std::string& digest) {
  size_t colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(0, std::min(digest.size(), colon + 13));
}

std::string describe_response(const http::Response& response) {
  if (auto message = registry_error_message(response.body)) return *message;
  if (response.status == 401) return "unauthorized: authentication required";
  return http::status_text(response.status);
}

}  // namespace tug
