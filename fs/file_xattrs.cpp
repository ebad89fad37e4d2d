// flistxattr/fgetxattr with the sizes asked first, as both calls require.
#include "fs/file_xattrs.hpp"

#include <sys/xattr.h>

namespace tug {

bool is_overlay_xattr(std::string_view name) {
  return name.starts_with("user.overlay.") || name.starts_with("trusted.overlay.");
}

std::vector<std::pair<std::string, std::string>> file_xattrs(int fd) {
  std::vector<std::pair<std::string, std::string>> out;
  ssize_t size = ::flistxattr(fd, nullptr, 0);
  if (size <= 0) return out;
  std::string names(static_cast<size_t>(size), '\0');
  size = ::flistxattr(fd, names.data(), names.size());
  if (size <= 0) return out;
  names.resize(static_cast<size_t>(size));
  for (size_t pos = 0; pos < names.size();) {
    std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    if (name.empty() || is_overlay_xattr(name)) continue;
    ssize_t len = ::fgetxattr(fd, name.c_str(), nullptr, 0);
    if (len < 0) continue;
    std::string value(static_cast<size_t>(len), '\0');
    len = ::fgetxattr(fd, name.c_str(), value.data(), value.size());
    if (len < 0) continue;
    value.resize(static_cast<size_t>(len));
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace tug
