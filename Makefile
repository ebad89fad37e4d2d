# Entry points for building and testing tug; CMake does the compiling, third_party/ the deps.
# `make test` takes a fresh Debian 12 machine (as root) from nothing to a full test run.
#
#   make [build]      apt deps, static third_party deps (cached), then tug and tug_unit_tests
#   make deps         install the Debian packages in third_party/apt-packages.txt (no-op if present)
#   make unit         run the unit tests
#   make users        create the test users and device permissions (tests/setup/users.sh)
#   make integration  run tests/integration/run.sh against $(BUILD_DIR)/tug
#   make test         deps, build, users, unit, integration
#   make demo | bench | format | clean | clean-deps
#
# BUILD_DIR (default build) lets several checkouts or people build side by side.

BUILD_DIR ?= build
JOBS ?= 2
BUILD_TYPE ?= Release
TUG := $(abspath $(BUILD_DIR)/tug)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

.PHONY: all build deps configure unit users integration test demo bench format clean clean-deps

all: build

deps:
	@third_party/ensure-apt.sh

# Re-runs CMake only when the deps prefix changed or the build dir is new; the deps script
# prints the prefix as its last line and takes well under a second when the cache is warm.
configure: deps
	@prefix=$$(third_party/build-deps.sh | tail -n1); \
	cache=$(BUILD_DIR)/CMakeCache.txt; \
	if [[ ! -f $$cache ]] || ! grep -qxF "TUG_DEPS_PREFIX:PATH=$$prefix" $$cache; then \
	  cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DTUG_DEPS_PREFIX=$$prefix; \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

unit: build
	$(BUILD_DIR)/tug_unit_tests

users:
	tests/setup/users.sh

integration: build
	@if [[ ! -f tests/integration/run.sh ]]; then \
	  echo "make integration: tests/integration/run.sh is missing" >&2; exit 1; \
	fi
	TUG=$(TUG) bash tests/integration/run.sh

# Sequential on purpose, also under make -j: users need root, integration needs users.
test:
	$(MAKE) build
	$(MAKE) users
	$(MAKE) unit
	$(MAKE) integration

demo: build
	@if [[ ! -f tests/demo/demo.sh ]]; then echo "make demo: tests/demo/demo.sh is missing" >&2; exit 1; fi
	TUG=$(TUG) bash tests/demo/demo.sh

bench: build
	@if [[ ! -f bench/run.sh ]]; then echo "make bench: bench/run.sh is missing" >&2; exit 1; fi
	TUG=$(TUG) bash bench/run.sh

format:
	find . \( -path ./third_party -o -path ./.git -o -path './build*' \) -prune -o \
	  -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0 | xargs -0 -r clang-format -i

clean:
	rm -rf $(BUILD_DIR)

# The deps cache is shared by every checkout on the machine; only needed to force a rebuild.
clean-deps:
	rm -rf /var/cache/tug-deps
