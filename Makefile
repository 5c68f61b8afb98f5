# afdio's front door. A new user types two commands: `make demo` and
# `make test`. Both first run `make setup`, which installs only what is
# missing: Zig (pinned, from PyPI) and Debian packages.

ZIG_VERSION := 0.15.2
PYTHON      ?= python3
ZIG         := $(PYTHON) -m ziglang
APT_PACKAGES := wine libcriterion-dev bc pkg-config gcc valgrind libuv1-dev libevent-dev gnuplot-nox wrk curl
ZIGFLAGS    ?=

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup demo test test-native test-windows check-asan check-valgrind cross build examples bench clean

all: build

setup:
	@if [ "$$($(ZIG) version 2>/dev/null)" != "$(ZIG_VERSION)" ]; then \
	  echo "setup: installing Zig $(ZIG_VERSION) (pip: ziglang==$(ZIG_VERSION))"; \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check "ziglang==$(ZIG_VERSION)" || exit 1; \
	fi
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	@command -v wine >/dev/null || { echo "setup: wine is missing after install" >&2; exit 1; }
	@echo "setup: zig $$($(ZIG) version), $$(wine --version 2>/dev/null), criterion $$(dpkg-query -W -f='$${Version}' libcriterion-dev)"

build: setup
	$(ZIG) build $(ZIGFLAGS)

# Both halves always run, so a failure in one still shows the other's result.
test: setup
	@rc=0; \
	echo "== native tests"; $(ZIG) build test-native $(ZIGFLAGS) || rc=1; \
	echo "== Windows tests under Wine"; $(ZIG) build test-windows $(ZIGFLAGS) || rc=1; \
	exit $$rc

test-native: setup
	$(ZIG) build test-native $(ZIGFLAGS)

test-windows: setup
	$(ZIG) build test-windows $(ZIGFLAGS)

# Native suite under ASan+UBSan (built by gcc: Zig ships no ASan runtime).
check-asan: setup
	$(ZIG) build test-asan $(ZIGFLAGS)

# Native suite under valgrind memcheck; any memcheck report fails the run.
check-valgrind: setup
	$(ZIG) build test-valgrind $(ZIGFLAGS)

demo: setup
	$(ZIG) build demo $(ZIGFLAGS)

cross: setup
	$(ZIG) build cross $(ZIGFLAGS)

examples: setup
	$(ZIG) build examples $(ZIGFLAGS)

# Benchmarks natively and under Wine (about 5 minutes); see bench/run.sh.
bench: setup
	$(ZIG) build bench $(ZIGFLAGS)

# Reliability (not part of make test). The threaded suites under
# ThreadSanitizer, with the pthread shim runner (Criterion cannot run there).
check-tsan: setup
	$(ZIG) build test-tsan $(ZIGFLAGS)

# A long run of the model test (1,000,000 ops over fixed seeds), the leak
# cycles (100,000 each) and the thread torture (20 s), on both halves.
SOAK_OPS ?= 1000000
soak: setup
	@rc=0; for f in 'model/soak' 'unix_fds/*' 'win_handles/*' 'torture/*'; do \
	  echo "== soak: $$f"; \
	  AFDIO_MODEL_SOAK=$(SOAK_OPS) AFDIO_LEAK_CYCLES=100000 AFDIO_TORTURE_MS=20000 AFDIO_SUITE_TIMEOUT=7200 \
	    $(ZIG) build test -Dtest-filter="$$f" $(ZIGFLAGS) || rc=1; \
	done; exit $$rc

# libFuzzer (clang-14) on the address parser and on operation sequences,
# FUZZ_SECONDS per target; new inputs are merged into tests/fuzz/corpus/.
FUZZ_SECONDS ?= 60
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev
fuzz: setup
	@missing=""; for p in $(FUZZ_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "fuzz: installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	bash tests/fuzz/run.sh fuzz .zig-cache/fuzz $(FUZZ_SECONDS)
	bash tests/fuzz/run.sh replay .zig-cache/fuzz-replay

# Replays the committed fuzz corpus through the fuzz targets, without the
# fuzzer (gcc-built, a few seconds): part of CI.
fuzz-replay: setup
	$(ZIG) build test-fuzz-replay $(ZIGFLAGS)

.PHONY: check-tsan soak fuzz fuzz-replay

clean:
	rm -rf .zig-cache zig-out
