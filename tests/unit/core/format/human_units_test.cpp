#include "core/format/human_units.hpp"

#include <doctest/doctest.h>

using tug::ram_in_bytes;

TEST_CASE("ram_in_bytes: docker's -m sizes, binary multiples") {
  CHECK(ram_in_bytes("100") == 100);
  CHECK(ram_in_bytes("64m") == 64LL << 20);
  CHECK(ram_in_bytes("64M") == 64LL << 20);
  CHECK(ram_in_bytes("64mb") == 64LL << 20);
  CHECK(ram_in_bytes("64MiB") == 64LL << 20);
  CHECK(ram_in_bytes("512k") == 512LL << 10);
  CHECK(ram_in_bytes("1g") == 1LL << 30);
  CHECK(ram_in_bytes("1.5g") == 3LL << 29);
  CHECK(ram_in_bytes("2 t") == 2LL << 40);
  CHECK(ram_in_bytes("10b") == 10);
}

TEST_CASE("ram_in_bytes: what is not a size") {
  for (const char* bad : {"", "m", "abc", "64x", "64 mb ", "-1", "1.2.3", "1..2", "64mm", " 64"})
    CHECK_MESSAGE(!ram_in_bytes(bad), bad);
}
