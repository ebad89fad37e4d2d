// Streaming gzip (zlib) and zstd decompression behind ByteSource, and gzip compression behind
// ByteSink. Both decoders read their input to the end so the caller's digest covers every byte.
#include "fs/compression.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace tug {

namespace {

constexpr size_t kBufferSize = 128 * 1024;
constexpr unsigned char kGzipMagic[] = {0x1f, 0x8b};
constexpr unsigned char kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};
constexpr size_t kPeekSize = sizeof kZstdMagic;

// The bytes already peeked from `in`, then the rest of `in`.
class PrefixedSource {
 public:
  PrefixedSource(ByteSource& in, std::string prefix) : in_(in), prefix_(std::move(prefix)) {}
  size_t read(void* buf, size_t n) {
    if (offset_ < prefix_.size()) {
      size_t got = std::min(n, prefix_.size() - offset_);
      std::memcpy(buf, prefix_.data() + offset_, got);
      offset_ += got;
      return got;
    }
    return in_.read(buf, n);
  }

 private:
  ByteSource& in_;
  std::string prefix_;
  size_t offset_ = 0;
};

class PassThroughSource final : public ByteSource {
 public:
  PassThroughSource(ByteSource& in, std::string prefix) : in_(in, std::move(prefix)) {}
  size_t read(void* buf, size_t n) override { return in_.read(buf, n); }

 private:
  PrefixedSource in_;
};

class GzipSource final : public ByteSource {
 public:
  GzipSource(ByteSource& in, std::string prefix) : in_(in, std::move(prefix)), buf_(kBufferSize) {
    // 16 + MAX_WBITS: expect a gzip header and trailer (checked CRC-32 and length).
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) fail("gzip: cannot initialise zlib");
  }
  ~GzipSource() override { inflateEnd(&z_); }

  size_t read(void* out, size_t n) override {
    if (done_ || n == 0) return 0;
    z_.next_out = static_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    const uInt want = z_.avail_out;
    while (z_.avail_out == want) {
      if (z_.avail_in == 0 && !in_eof_) fill();
      if (z_.avail_in == 0 && in_eof_) {
        // The end of the input is only fine between members.
        if (at_member_start_) {
          done_ = true;
          break;
        }
        fail("unexpected end of compressed data");
      }
      int rc = inflate(&z_, Z_NO_FLUSH);
      at_member_start_ = false;
      if (rc == Z_STREAM_END) {
        // Another member may follow (pigz, concatenated gzip files): decode it as a continuation.
        if (inflateReset(&z_) != Z_OK) fail("gzip: cannot reset zlib");
        at_member_start_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail("corrupt gzip data: {}", z_.msg ? z_.msg : zError(rc));
      }
    }
    return want - z_.avail_out;
  }

 private:
  void fill() {
    size_t got = in_.read(buf_.data(), buf_.size());
    if (got == 0) in_eof_ = true;
    z_.next_in = buf_.data();
    z_.avail_in = static_cast<uInt>(got);
  }

  PrefixedSource in_;
  std::vector<Bytef> buf_;
  z_stream z_{};
  bool in_eof_ = false;
  bool at_member_start_ = true;
  bool done_ = false;
};

class ZstdSource final : public ByteSource {
 public:
  ZstdSource(ByteSource& in, std::string prefix)
      : in_(in, std::move(prefix)), buf_(ZSTD_DStreamInSize()), ctx_(ZSTD_createDCtx()) {
    if (!ctx_) fail("zstd: cannot create a decompression context");
  }
  ~ZstdSource() override { ZSTD_freeDCtx(ctx_); }

  size_t read(void* out, size_t n) override {
    if (done_ || n == 0) return 0;
    ZSTD_outBuffer output{out, n, 0};
    for (;;) {
      if (input_.pos == input_.size && !in_eof_) fill();
      // A 0 from the decoder means the frame is decoded and flushed: the end may come here.
      if (input_.pos == input_.size && in_eof_ && last_rc_ == 0) {
        done_ = true;
        return 0;
      }
      size_t consumed_before = input_.pos;
      size_t rc = ZSTD_decompressStream(ctx_, &output, &input_);
      if (ZSTD_isError(rc)) fail("corrupt zstd data: {}", ZSTD_getErrorName(rc));
      last_rc_ = rc;
      if (output.pos > 0) return output.pos;
      // No input left, none coming, and nothing more to flush: the frame was cut short.
      if (in_eof_ && input_.pos == consumed_before) fail("unexpected end of compressed data");
    }
  }

 private:
  void fill() {
    size_t got = in_.read(buf_.data(), buf_.size());
    if (got == 0) in_eof_ = true;
    input_ = ZSTD_inBuffer{buf_.data(), got, 0};
  }

  PrefixedSource in_;
  std::vector<char> buf_;
  ZSTD_DCtx* ctx_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  size_t last_rc_ = 1;
  bool in_eof_ = false;
  bool done_ = false;
};

}  // namespace

Compression detect_compression(const void* head, size_t n) {
  const auto* p = static_cast<const unsigned char*>(head);
  if (n >= sizeof kZstdMagic && std::memcmp(p, kZstdMagic, sizeof kZstdMagic) == 0) {
    return Compression::kZstd;
  }
  if (n >= sizeof kGzipMagic && std::memcmp(p, kGzipMagic, sizeof kGzipMagic) == 0) {
    return Compression::kGzip;
  }
  return Compression::kNone;
}

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      break;
  }
  return "none";
}

std::unique_ptr<ByteSource> decompressing_source(ByteSource& in, Compression* detected) {
  std::string head(kPeekSize, '\0');
  head.resize(read_full(in, head.data(), head.size()));
  Compression c = detect_compression(head.data(), head.size());
  if (detected) *detected = c;
  switch (c) {
    case Compression::kGzip:
      return std::make_unique<GzipSource>(in, std::move(head));
    case Compression::kZstd:
      return std::make_unique<ZstdSource>(in, std::move(head));
    case Compression::kNone:
      break;
  }
  return std::make_unique<PassThroughSource>(in, std::move(head));
}

struct GzipSink::Impl {
  ByteSink& out;
  z_stream z{};
  std::vector<Bytef> buf = std::vector<Bytef>(kBufferSize);
  bool finished = false;

  explicit Impl(ByteSink& o) : out(o) {}

  // Runs deflate over the pending input, handing every full output buffer to `out`.
  void pump(int flush) {
    for (;;) {
      z.next_out = buf.data();
      z.avail_out = static_cast<uInt>(buf.size());
      int rc = deflate(&z, flush);
      if (rc == Z_STREAM_ERROR) fail("gzip: deflate failed");
      size_t produced = buf.size() - z.avail_out;
      if (produced) out.write(buf.data(), produced);
      if (flush == Z_FINISH ? rc == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0)) return;
    }
  }
};

GzipSink::GzipSink(ByteSink& out, int level) : impl_(std::make_unique<Impl>(out)) {
  // 16 + MAX_WBITS: write a gzip header and trailer rather than a raw zlib stream.
  if (deflateInit2(&impl_->z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    fail("gzip: cannot initialise zlib (level {})", level);
  }
}

GzipSink::~GzipSink() { deflateEnd(&impl_->z); }

void GzipSink::write(const void* buf, size_t n) {
  if (impl_->finished) fail("gzip: write after finish");
  const auto* p = static_cast<const Bytef*>(buf);
  while (n > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    impl_->z.next_in = const_cast<Bytef*>(p);
    impl_->z.avail_in = chunk;
    impl_->pump(Z_NO_FLUSH);
    p += chunk;
    n -= chunk;
  }
}

void GzipSink::finish() {
  if (impl_->finished) return;
  impl_->z.next_in = nullptr;
  impl_->z.avail_in = 0;
  impl_->pump(Z_FINISH);
  impl_->finished = true;
}

}  // namespace tug
