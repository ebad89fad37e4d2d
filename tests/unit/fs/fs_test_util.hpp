// Helpers for the fs tests: a temp directory that cleans up after itself, and a tar writer that
// builds archives byte by byte, so tests can also build what no sane tool writes ("../x" names,
// bad checksums, truncated streams).
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "fs/safe_path.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

// Tests describe tar entries with designated initializers naming only the fields that matter;
// the rest keep their defaults on purpose, which GCC's -Wextra would otherwise flag.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace tug::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    const char* base = ::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/tug-fs-test-XXXXXX";
    if (!::mkdtemp(templ.data())) fail_errno("mkdtemp {}", templ);
    path_ = templ;
    fd_.reset(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_) fail_errno("open {}", path_);
  }
  ~TempDir() {
    try {
      fd_.reset();
      auto slash = path_.rfind('/');
      UniqueFd parent(::open(path_.substr(0, slash).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      remove_at(parent.get(), path_.substr(slash + 1), path_);
    } catch (...) {
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
  UniqueFd fd_;
};

/// One tar member. `type` is the ustar typeflag: '0' file, '1' hardlink, '2' symlink,
/// '3' char device, '4' block device, '5' directory, '6' fifo.
struct TarEntry {
  std::string name;
  char type = '0';
  std::string data;
  std::string link;
  unsigned mode = 0644;
  uint64_t uid = 0;
  uint64_t gid = 0;
  int64_t mtime = 1700000000;
  unsigned devmajor = 0;
  unsigned devminor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;  // written as SCHILY.xattr pax records
};

/// Writes ustar headers (plus a pax header for xattrs and names over 100 bytes).
class TarBuilder {
 public:
  TarBuilder& add(const TarEntry& e) {
    std::string pax;
    if (e.name.size() > 100) pax += record("path", e.name);
    for (const auto& [k, v] : e.xattrs) pax += record("SCHILY.xattr." + k, v);
    if (!pax.empty()) {
      TarEntry x;
      x.name = "PaxHeaders/" + e.name.substr(0, 80);
      x.type = 'x';
      x.data = pax;
      header(x);
      body(pax);
    }
    header(e);
    if (e.type == '0') body(e.data);
    return *this;
  }
  TarBuilder& file(const std::string& name, const std::string& data, unsigned mode = 0644) {
    return add({.name = name, .type = '0', .data = data, .mode = mode});
  }
  TarBuilder& dir(const std::string& name, unsigned mode = 0755) {
    return add({.name = name, .type = '5', .mode = mode});
  }
  TarBuilder& symlink(const std::string& name, const std::string& target) {
    return add({.name = name, .type = '2', .link = target, .mode = 0777});
  }
  TarBuilder& hardlink(const std::string& name, const std::string& target) {
    return add({.name = name, .type = '1', .link = target});
  }
  /// The archive so far, without the end-of-archive blocks.
  const std::string& bytes() const { return out_; }
  /// The archive with its two zero end blocks.
  std::string finish() const { return out_ + std::string(1024, '\0'); }

 private:
  static std::string record(const std::string& key, const std::string& value) {
    std::string rest = " " + key + "=" + value + "\n";
    size_t len = rest.size() + 1;
    while (std::to_string(len).size() + rest.size() != len) ++len;
    return std::to_string(len) + rest;
  }
  // Zero-padded octal in width - 1 digits, then NUL, as ustar numeric fields are.
  static void octal(char* field, size_t width, uint64_t value) {
    for (size_t i = width - 1; i-- > 0; value >>= 3) field[i] = static_cast<char>('0' + (value & 7));
    field[width - 1] = '\0';
  }
  void header(const TarEntry& e) {
    char h[512] = {};
    std::memcpy(h, e.name.data(), std::min<size_t>(e.name.size(), 100));
    octal(h + 100, 8, e.mode);
    octal(h + 108, 8, e.uid);
    octal(h + 116, 8, e.gid);
    octal(h + 124, 12, (e.type == '0' || e.type == 'x') ? e.data.size() : 0);
    octal(h + 136, 12, static_cast<uint64_t>(e.mtime));
    h[156] = e.type;
    std::memcpy(h + 157, e.link.data(), std::min<size_t>(e.link.size(), 100));
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    octal(h + 329, 8, e.devmajor);
    octal(h + 337, 8, e.devminor);
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    octal(h + 148, 7, sum);  // six digits and a NUL; the eighth byte stays a space
    out_.append(h, sizeof h);
  }
  void body(const std::string& data) {
    out_ += data;
    out_.append((512 - data.size() % 512) % 512, '\0');
  }

  std::string out_;
};

}  // namespace tug::test
