// doctest's main for every unit test in tests/unit (each file mirrors a source file).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
