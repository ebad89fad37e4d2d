// Reading the extended attributes that travel with a file when it is copied or archived: all
// but overlayfs's own (user.overlay.*, trusted.overlay.*), which describe a layer, not the file.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tug {

/// True for overlayfs's bookkeeping attributes (whiteouts, opaque directories, redirects).
bool is_overlay_xattr(std::string_view name);

/// The name/value pairs of the file open (not O_PATH) at `fd`, overlay's own left out. Nothing
/// fails: a filesystem without xattrs, or one that vanished meanwhile, gives fewer pairs.
std::vector<std::pair<std::string, std::string>> file_xattrs(int fd);

}  // namespace tug
