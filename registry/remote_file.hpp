// `ADD https://...` of the builder: one file fetched over HTTP(S) with the system's CAs, redirects
// followed, into memory (the build layer holds it whole anyway).
#pragma once

#include <cstdint>
#include <string>

namespace tug {

struct RemoteFile {
  std::string name;     ///< the URL path's last component ("" when the path ends with '/')
  std::string content;  ///< the body
  int64_t mtime = 0;    ///< Last-Modified as Unix seconds, 0 when the server sent none
};

/// GET `url`; throws a one-line Error for a transport failure, a status other than 200, or a
/// body above `max_bytes`.
RemoteFile fetch_remote_file(const std::string& url, size_t max_bytes = size_t{512} << 20);

}  // namespace tug
