#include "registry/remote_file.hpp"

#include <curl/curl.h>

#include <ctime>

#include "registry/http.hpp"
#include "registry/tls.hpp"
#include "util/error.hpp"

namespace tug {

RemoteFile fetch_remote_file(const std::string& url, size_t max_bytes) {
  http::ensure_curl_initialized();
  http::EasyHandle easy = http::new_easy();
  curl_easy_setopt(easy.get(), CURLOPT_USERAGENT, "tug/" TUG_VERSION);
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(easy.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(easy.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(easy.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  TlsConfig tls(TlsFiles{});
  tls.apply(easy.get(), true);
  http::Request request;
  request.url = url;
  http::Response response = http::perform(easy.get(), request, max_bytes);
  if (!response.ok())
    fail("failed to fetch {}: {}", url, http::describe_failure(response.curl_code, response.curl_error));
  if (response.status != 200) fail("failed to fetch {}: {}", url, http::status_text(response.status));
  RemoteFile file;
  std::string path = url.substr(url.find("://") + 3);
  path = path.substr(0, path.find_first_of("?#"));
  auto slash = path.find('/');
  path = slash == std::string::npos ? "" : path.substr(slash);
  file.name = path.substr(path.rfind('/') + 1);
  file.content = std::move(response.body);
  if (auto modified = response.headers.get("Last-Modified"))
    file.mtime = curl_getdate(modified->c_str(), nullptr);
  if (file.mtime < 0) file.mtime = 0;
  return file;
}

}  // namespace tug
