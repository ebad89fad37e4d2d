// Byte pipes layers flow through: pull sources (file → hash → decompress → tar reader) and push
// sinks (tar writer → hash → gzip → hash → file), so every byte is hashed once, while streaming.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "util/sha256.hpp"

namespace tug {

/// Something bytes are pulled from. Errors throw tug::Error.
class ByteSource {
 public:
  virtual ~ByteSource();
  /// Reads up to `n` (> 0) bytes; may return fewer before the end. 0 means end of stream.
  virtual size_t read(void* buf, size_t n) = 0;
};

/// Reads until `n` bytes or the end of the stream; returns how many were read.
size_t read_full(ByteSource& src, void* buf, size_t n);
/// Reads and discards the rest of the stream; returns how many bytes that was.
uint64_t drain(ByteSource& src);

/// Reads a file descriptor it does not own; `name` (a path, "stdin") appears in errors.
class FdSource final : public ByteSource {
 public:
  explicit FdSource(int fd, std::string name = "input") : fd_(fd), name_(std::move(name)) {}
  size_t read(void* buf, size_t n) override;

 private:
  int fd_;
  std::string name_;
};

/// Serves bytes from memory without copying; the data must outlive the source.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  size_t read(void* buf, size_t n) override;

 private:
  std::string_view data_;
};

/// Passes another source through, feeding every byte to SHA-256 and counting them: the digest
/// of a blob (or the diff_id of a layer) computed while it is being read for something else.
class HashingSource final : public ByteSource {
 public:
  explicit HashingSource(ByteSource& inner) : inner_(inner) {}
  size_t read(void* buf, size_t n) override;
  uint64_t bytes() const { return bytes_; }
  /// "sha256:<hex>" of all bytes read; call once, after the end.
  std::string digest() { return sha256_.digest(); }

 private:
  ByteSource& inner_;
  Sha256 sha256_;
  uint64_t bytes_ = 0;
};

/// Something bytes are pushed into. Errors throw tug::Error.
class ByteSink {
 public:
  virtual ~ByteSink();
  /// Consumes all `n` bytes.
  virtual void write(const void* buf, size_t n) = 0;
};

/// Writes everything from `src` to `dst`; returns the byte count.
uint64_t copy_stream(ByteSource& src, ByteSink& dst);

/// Writes to a file descriptor it does not own; `name` appears in errors.
class FdSink final : public ByteSink {
 public:
  explicit FdSink(int fd, std::string name = "output") : fd_(fd), name_(std::move(name)) {}
  void write(const void* buf, size_t n) override;

 private:
  int fd_;
  std::string name_;
};

/// Appends to a string it does not own (small blobs, tests).
class StringSink final : public ByteSink {
 public:
  explicit StringSink(std::string& out) : out_(out) {}
  void write(const void* buf, size_t n) override { out_.append(static_cast<const char*>(buf), n); }

 private:
  std::string& out_;
};

/// Hashes and counts bytes on their way to another sink (the sink-side HashingSource).
class HashingSink final : public ByteSink {
 public:
  explicit HashingSink(ByteSink& inner) : inner_(inner) {}
  void write(const void* buf, size_t n) override;
  uint64_t bytes() const { return bytes_; }
  /// "sha256:<hex>" of all bytes written; call once, after the last write.
  std::string digest() { return sha256_.digest(); }

 private:
  ByteSink& inner_;
  Sha256 sha256_;
  uint64_t bytes_ = 0;
};

/// Writes every byte to two sinks, `first` then `second`.
class TeeSink final : public ByteSink {
 public:
  TeeSink(ByteSink& first, ByteSink& second) : first_(first), second_(second) {}
  void write(const void* buf, size_t n) override {
    first_.write(buf, n);
    second_.write(buf, n);
  }

 private:
  ByteSink& first_;
  ByteSink& second_;
};

}  // namespace tug
