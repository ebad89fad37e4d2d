// Image references as docker parses them: "nginx" is docker.io/library/nginx:latest,
// "host:5000/a/b:tag", "name@sha256:...". Invalid references are rejected with docker's wording.
#pragma once

#include <string>
#include <string_view>

namespace tug {

/// A parsed, normalised image reference.
struct Reference {
  std::string domain;  ///< "docker.io", "localhost:5000", ...
  std::string path;    ///< "library/nginx", "team/app"
  std::string tag;     ///< empty when only a digest was given
  std::string digest;  ///< "sha256:<hex>" or empty

  /// "docker.io/library/nginx"
  std::string repository() const { return domain + "/" + path; }
  /// "docker.io/library/nginx:latest" (tag form when there is a tag, else digest form)
  std::string full() const;
  /// Docker's short form for display: "nginx", "team/app", "localhost:5000/x".
  std::string familiar_repository() const;
  /// familiar_repository() + ":tag" / "@digest".
  std::string familiar() const;
};

/// Parses and normalises; a missing tag becomes "latest" unless a digest is given.
/// Throws tug::Error("invalid reference format...") like docker.
Reference parse_reference(std::string_view text);

/// True when `text` looks like an image ID or a prefix of one: hex only, optionally "sha256:".
bool looks_like_image_id(std::string_view text);

}  // namespace tug
