// Byte sources and sinks over fds and memory, and the hashing pass-throughs.
#include "fs/byte_stream.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace tug {

namespace {
constexpr size_t kCopyBufferSize = 128 * 1024;
}  // namespace

ByteSource::~ByteSource() = default;
ByteSink::~ByteSink() = default;

size_t read_full(ByteSource& src, void* buf, size_t n) {
  auto* p = static_cast<char*>(buf);
  size_t done = 0;
  while (done < n) {
    size_t got = src.read(p + done, n - done);
    if (got == 0) break;
    done += got;
  }
  return done;
}

uint64_t drain(ByteSource& src) {
  std::string buf(kCopyBufferSize, '\0');
  uint64_t total = 0;
  while (size_t got = src.read(buf.data(), buf.size())) total += got;
  return total;
}

uint64_t copy_stream(ByteSource& src, ByteSink& dst) {
  std::string buf(kCopyBufferSize, '\0');
  uint64_t total = 0;
  while (size_t got = src.read(buf.data(), buf.size())) {
    dst.write(buf.data(), got);
    total += got;
  }
  return total;
}

size_t FdSource::read(void* buf, size_t n) {
  for (;;) {
    ssize_t got = ::read(fd_, buf, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) fail_errno("read {}", name_);
  }
}

size_t MemorySource::read(void* buf, size_t n) {
  size_t got = std::min(n, data_.size());
  std::memcpy(buf, data_.data(), got);
  data_.remove_prefix(got);
  return got;
}

size_t HashingSource::read(void* buf, size_t n) {
  size_t got = inner_.read(buf, n);
  sha256_.update(buf, got);
  bytes_ += got;
  return got;
}

void FdSink::write(const void* buf, size_t n) {
  const auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t done = ::write(fd_, p, n);
    if (done < 0) {
      if (errno == EINTR) continue;
      fail_errno("write {}", name_);
    }
    p += done;
    n -= static_cast<size_t>(done);
  }
}

void HashingSink::write(const void* buf, size_t n) {
  sha256_.update(buf, n);
  bytes_ += n;
  inner_.write(buf, n);
}

}  // namespace tug
