// Tests for fs/compression: detection, streaming gzip/zstd decoding with hashing, gzip encoding,
// and the errors truncated or corrupt blobs must give.
#include "fs/compression.hpp"

#include <doctest/doctest.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

#include "util/error.hpp"
#include "util/sha256.hpp"

namespace tug {
namespace {

constexpr const char* kHelloDigest =
    "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
// `printf 'hello\n' | gzip -n`: produced by another implementation than ours.
const unsigned char kHelloGzip[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xe7, 0x02, 0x00,
                                    0x20, 0x30, 0x3a, 0x36, 0x06, 0x00, 0x00, 0x00};

// Half compressible text, half random bytes, a few MB: several buffers' worth in and out.
std::string sample_data(size_t size = 3 * 1024 * 1024 + 17) {
  std::mt19937 rng(42);
  std::string out;
  out.reserve(size);
  while (out.size() < size) {
    if ((out.size() / 65536) % 2 == 0) {
      out += "line " + std::to_string(out.size()) + " of some layer content\n";
    } else {
      out += static_cast<char>(rng());
    }
  }
  out.resize(size);
  return out;
}

std::string gzip(std::string_view data, int level = kDefaultGzipLevel) {
  std::string out;
  StringSink sink(out);
  GzipSink gz(sink, level);
  gz.write(data.data(), data.size());
  gz.finish();
  return out;
}

// With a content checksum, as zstd(1) writes by default, so corruption is always detectable.
std::string zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1);
  size_t n = ZSTD_compress2(ctx, out.data(), out.size(), data.data(), data.size());
  ZSTD_freeCCtx(ctx);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Decompresses `blob` the way a pull does (hash of the blob under, hash of the content over),
// reading `chunk` bytes at a time.
struct Decoded {
  std::string data;
  std::string blob_digest;
  uint64_t blob_bytes = 0;
  std::string content_digest;
  Compression compression = Compression::kNone;
};
Decoded decode(std::string_view blob, size_t chunk = 65536) {
  MemorySource mem(blob);
  HashingSource blob_hash(mem);
  Decoded out;
  auto source = decompressing_source(blob_hash, &out.compression);
  HashingSource content_hash(*source);
  std::string buf(chunk, '\0');
  while (size_t n = content_hash.read(buf.data(), buf.size())) out.data.append(buf.data(), n);
  out.blob_digest = blob_hash.digest();
  out.blob_bytes = blob_hash.bytes();
  out.content_digest = content_hash.digest();
  return out;
}

TEST_CASE("compression: detect_compression recognises the magic numbers") {
  CHECK(detect_compression("\x1f\x8b\x08\x00", 4) == Compression::kGzip);
  CHECK(detect_compression("\x28\xb5\x2f\xfd", 4) == Compression::kZstd);
  CHECK(detect_compression("\x28\xb5\x2f", 3) == Compression::kNone);
  CHECK(detect_compression("ustar", 5) == Compression::kNone);
  CHECK(detect_compression("", 0) == Compression::kNone);
  CHECK(compression_name(Compression::kZstd) == "zstd");
}

TEST_CASE("compression: gzip from gzip(1) decodes, with the known sha256 of its content") {
  std::string_view blob(reinterpret_cast<const char*>(kHelloGzip), sizeof kHelloGzip);
  Decoded d = decode(blob, 1);
  CHECK(d.compression == Compression::kGzip);
  CHECK(d.data == "hello\n");
  CHECK(d.content_digest == kHelloDigest);
  CHECK(d.blob_bytes == sizeof kHelloGzip);
  CHECK(d.blob_digest == sha256_digest(blob));
}

TEST_CASE("compression: GzipSink output round-trips and zlib reads it too") {
  std::string data = sample_data();
  for (int level : {1, 6}) {
    std::string blob = gzip(data, level);
    CHECK(blob.size() < data.size());
    Decoded d = decode(blob);
    CHECK(d.compression == Compression::kGzip);
    CHECK(d.data == data);
    CHECK(d.content_digest == sha256_digest(data));
    CHECK(d.blob_bytes == blob.size());

    // Independent check of the format with zlib's own gzip reader state machine.
    z_stream z{};
    REQUIRE(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
    std::string out(data.size() + 1, '\0');
    z.next_in = reinterpret_cast<Bytef*>(blob.data());
    z.avail_in = static_cast<uInt>(blob.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
    CHECK(z.total_out == data.size());
    inflateEnd(&z);
  }
}

TEST_CASE("compression: multi-member gzip is one stream") {
  std::string blob = gzip("hel") + gzip("") + gzip("lo\n");
  Decoded d = decode(blob, 2);
  CHECK(d.data == "hello\n");
  CHECK(d.content_digest == kHelloDigest);
  CHECK(d.blob_bytes == blob.size());
}

TEST_CASE("compression: zstd round trip, multi-frame, known digest") {
  std::string data = sample_data();
  std::string blob = zstd(data);
  Decoded d = decode(blob, 4096);
  CHECK(d.compression == Compression::kZstd);
  CHECK(d.data == data);
  CHECK(d.content_digest == sha256_digest(data));
  CHECK(d.blob_bytes == blob.size());

  Decoded hello = decode(zstd("hel") + zstd("lo\n"), 1);
  CHECK(hello.data == "hello\n");
  CHECK(hello.content_digest == kHelloDigest);
}

TEST_CASE("compression: uncompressed input passes through; empty input is empty") {
  Decoded d = decode("hello\n", 1);
  CHECK(d.compression == Compression::kNone);
  CHECK(d.data == "hello\n");
  CHECK(d.content_digest == kHelloDigest);
  Decoded tiny = decode("ab");
  CHECK(tiny.data == "ab");
  Decoded empty = decode("");
  CHECK(empty.data.empty());
  CHECK(empty.blob_bytes == 0);
}

TEST_CASE("compression: truncated gzip and zstd throw") {
  std::string data = sample_data(200000);
  std::string gz = gzip(data);
  for (size_t cut : {size_t{5}, size_t{12}, gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
    CAPTURE(cut);
    CHECK_THROWS_WITH_AS(decode(gz.substr(0, cut)), "unexpected end of compressed data", Error);
  }
  std::string zs = zstd(data);
  for (size_t cut : {size_t{4}, size_t{7}, zs.size() / 2, zs.size() - 1}) {
    CAPTURE(cut);
    CHECK_THROWS_WITH_AS(decode(zs.substr(0, cut)), "unexpected end of compressed data", Error);
  }
}

TEST_CASE("compression: corrupt gzip and zstd throw") {
  std::string data = sample_data(200000);
  std::string gz = gzip(data);
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 0x55;  // inside the CRC-32 of the trailer
  CHECK_THROWS_WITH_AS(decode(bad_crc), doctest::Contains("corrupt gzip data: "), Error);
  std::string bad_body = gz;
  for (size_t i = 20; i < 60; ++i) bad_body[i] = '\xff';
  CHECK_THROWS_WITH_AS(decode(bad_body), doctest::Contains("corrupt gzip data: "), Error);
  std::string trailing = gz + "garbage";
  CHECK_THROWS_WITH_AS(decode(trailing), doctest::Contains("corrupt gzip data: "), Error);

  std::string zs = zstd(data);
  for (size_t i = zs.size() / 2; i < zs.size() / 2 + 40; ++i) zs[i] ^= 0x5a;
  CHECK_THROWS_WITH_AS(decode(zs), doctest::Contains("corrupt zstd data: "), Error);
}

}  // namespace
}  // namespace tug
