// Docker reference grammar (distribution/reference): domain detection, "library/" for
// official images, lowercase path components, tag and digest validation.
#include "registry/reference.hpp"

#include <algorithm>
#include <cctype>

#include "util/error.hpp"
#include "util/sha256.hpp"

namespace tug {

namespace {

constexpr std::string_view kDefaultDomain = "docker.io";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// path-component := alnum+ (separator alnum+)*, separator := [_.] | "__" | "-"+
bool valid_path_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    if (c[i] == '.') {
      j = i + 1;
    } else if (c[i] == '_') {
      j = i + 1;
      if (j < c.size() && c[j] == '_') ++j;
    } else if (c[i] == '-') {
      while (j < c.size() && c[j] == '-') ++j;
    } else {
      return false;
    }
    if (j >= c.size() || !is_lower_alnum(c[j])) return false;
    i = j;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(t[0])) return false;
  return std::all_of(t.begin(), t.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool valid_domain(std::string_view d) {
  if (d.empty()) return false;
  if (d.front() == '[') return d.find(']') != std::string_view::npos;  // IPv6 literal
  auto colon = d.rfind(':');
  std::string_view host = colon == std::string_view::npos ? d : d.substr(0, colon);
  if (colon != std::string_view::npos) {
    auto port = d.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), ::isdigit)) return false;
  }
  if (host.empty()) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
}

[[noreturn]] void invalid(std::string_view why = {}) {
  if (why.empty()) fail("invalid reference format");
  fail("invalid reference format: {}", why);
}

}  // namespace

std::string Reference::full() const {
  if (!tag.empty()) return repository() + ":" + tag + (digest.empty() ? "" : "@" + digest);
  return repository() + "@" + digest;
}

std::string Reference::familiar_repository() const {
  if (domain != kDefaultDomain) return repository();
  constexpr std::string_view kLibrary = "library/";
  if (path.starts_with(kLibrary) && path.find('/', kLibrary.size()) == std::string::npos)
    return path.substr(kLibrary.size());
  return path;
}

std::string Reference::familiar() const {
  std::string out = familiar_repository();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Reference parse_reference(std::string_view text) {
  if (text.empty()) invalid();
  Reference ref;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!is_sha256_digest(ref.digest)) invalid();
  }
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!valid_tag(ref.tag)) invalid();
  }
  if (rest.empty()) invalid();
  std::string_view name = rest;
  auto first_slash = name.find('/');
  std::string_view first = name.substr(0, first_slash);
  if (first_slash != std::string_view::npos &&
      (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
       first == "localhost")) {
    if (!valid_domain(first)) invalid();
    ref.domain = std::string(first);
    ref.path = std::string(name.substr(first_slash + 1));
  } else {
    ref.domain = std::string(kDefaultDomain);
    ref.path = std::string(name);
  }
  if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos)
    ref.path = "library/" + ref.path;
  // Docker's own check: uppercase letters get a dedicated message.
  if (std::any_of(ref.path.begin(), ref.path.end(), ::isupper))
    invalid(fmt::format("repository name ({}) must be lowercase", ref.path));
  if (ref.domain.size() + 1 + ref.path.size() > 255)
    invalid("repository name must not be more than 255 characters");
  size_t start = 0;
  for (;;) {
    auto slash = ref.path.find('/', start);
    if (!valid_path_component(std::string_view(ref.path).substr(start, slash - start))) invalid();
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

bool looks_like_image_id(std::string_view text) {
  if (text.starts_with("sha256:")) text.remove_prefix(7);
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace tug
