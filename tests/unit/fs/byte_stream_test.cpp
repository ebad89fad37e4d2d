// Tests for fs/byte_stream: fd and memory sources/sinks and the hashing pass-throughs.
#include "fs/byte_stream.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/sha256.hpp"

namespace tug {
namespace {

constexpr const char* kHelloDigest =
    "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

// A source that hands out at most `chunk` bytes a call, to exercise short reads.
class TrickleSource final : public ByteSource {
 public:
  TrickleSource(std::string_view data, size_t chunk) : inner_(data), chunk_(chunk) {}
  size_t read(void* buf, size_t n) override { return inner_.read(buf, std::min(n, chunk_)); }

 private:
  MemorySource inner_;
  size_t chunk_;
};

TEST_CASE("byte_stream: HashingSource hashes and counts every byte read") {
  MemorySource mem("hello\n");
  HashingSource hashing(mem);
  char buf[3];
  std::string got;
  while (size_t n = hashing.read(buf, sizeof buf)) got.append(buf, n);
  CHECK(got == "hello\n");
  CHECK(hashing.bytes() == 6);
  CHECK(hashing.digest() == kHelloDigest);
}

TEST_CASE("byte_stream: read_full loops over short reads; drain counts the rest") {
  TrickleSource src("abcdefghij", 3);
  char buf[8];
  REQUIRE(read_full(src, buf, sizeof buf) == 8);
  CHECK(std::string(buf, 8) == "abcdefgh");
  CHECK(drain(src) == 2);
  CHECK(read_full(src, buf, sizeof buf) == 0);
}

TEST_CASE("byte_stream: FdSource and FdSink move bytes through a pipe") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  UniqueFd rd(fds[0]), wr(fds[1]);
  std::string payload(300000, 'x');  // more than a pipe buffer: the reader must keep up
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::thread writer([&] {
    FdSink sink(wr.get(), "pipe");
    sink.write(payload.data(), payload.size());
    wr.reset();
  });
  FdSource src(rd.get(), "pipe");
  std::string got;
  StringSink sink(got);
  CHECK(copy_stream(src, sink) == payload.size());
  writer.join();
  CHECK(got == payload);
}

TEST_CASE("byte_stream: FdSource names the input in errors") {
  FdSource src(-1, "layer.tar");
  char buf[4];
  CHECK_THROWS_WITH_AS(src.read(buf, sizeof buf), doctest::Contains("read layer.tar: "), Error);
}

TEST_CASE("byte_stream: HashingSink and TeeSink") {
  std::string a, b;
  StringSink sa(a), sb(b);
  TeeSink tee(sa, sb);
  HashingSink hashing(tee);
  hashing.write("hel", 3);
  hashing.write("lo\n", 3);
  CHECK(a == "hello\n");
  CHECK(b == "hello\n");
  CHECK(hashing.bytes() == 6);
  CHECK(hashing.digest() == kHelloDigest);
}

}  // namespace
}  // namespace tug
