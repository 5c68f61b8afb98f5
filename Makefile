# afdio's front door. A new user types `make demo` or `make test`. Each
# target first installs what it needs and is missing, and only that: Zig
# (pinned, from PyPI) for every target; Debian packages per target, listed
# below. Building the library (`make build`, `make cross`) needs only Zig.

ZIG_VERSION := 0.15.2
PYTHON      ?= python3
ZIG         := $(PYTHON) -m ziglang
ZIGFLAGS    ?=

# Debian packages, by target.
TEST_PACKAGES     := wine libcriterion-dev bc gcc pkg-config
DEMO_PACKAGES     := wine bc wrk curl
BENCH_PACKAGES    := wine bc pkg-config libuv1-dev libevent-dev gnuplot-nox
ASAN_PACKAGES     := gcc libcriterion-dev bc
VALGRIND_PACKAGES := valgrind libcriterion-dev bc
FUZZ_PACKAGES     := clang-14 libclang-rt-14-dev bc
ALL_PACKAGES      := $(sort $(TEST_PACKAGES) $(DEMO_PACKAGES) $(BENCH_PACKAGES) \
                       $(ASAN_PACKAGES) $(VALGRIND_PACKAGES))

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# $(call need,PACKAGES): installs those of the Debian packages that are
# missing, saying which; on a system without dpkg it only names them.
need = @missing=""; \
	if ! command -v dpkg-query >/dev/null; then \
	  echo "setup: not a Debian system: make sure these are installed: $(1)"; exit 0; \
	fi; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

.PHONY: all setup setup-zig setup-wasmtime build cross examples demo test test-native test-native-poll test-wasi test-windows test-consumer \
        check-asan check-valgrind check-tsan soak fuzz fuzz-replay bench clean

all: build

setup-zig:
	@if [ "$$($(ZIG) version 2>/dev/null)" != "$(ZIG_VERSION)" ]; then \
	  echo "setup: installing Zig $(ZIG_VERSION) (pip: ziglang==$(ZIG_VERSION))"; \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check "ziglang==$(ZIG_VERSION)" || exit 1; \
	fi

# The WASI runtime the WASI tests run in (PyPI's wasmtime embeds one).
WASMTIME_VERSION := 50.0.1
setup-wasmtime:
	@if ! $(PYTHON) -c "import wasmtime" 2>/dev/null; then \
	  echo "setup: installing wasmtime $(WASMTIME_VERSION) (pip: wasmtime==$(WASMTIME_VERSION))"; \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check "wasmtime==$(WASMTIME_VERSION)" || exit 1; \
	fi

test-wasi: setup-zig setup-wasmtime
	$(ZIG) build test-wasi $(ZIGFLAGS)

# Everything every target needs (the targets below each install their own).
setup: setup-zig setup-wasmtime
	$(call need,$(ALL_PACKAGES))

build: setup-zig
	$(ZIG) build $(ZIGFLAGS)

cross: setup-zig
	$(ZIG) build cross $(ZIGFLAGS)

examples: setup-zig
	$(ZIG) build examples $(ZIGFLAGS)

demo: setup-zig
	$(call need,$(DEMO_PACKAGES))
	$(ZIG) build demo $(ZIGFLAGS)

# Every part always runs, so a failure in one still shows the others' results.
test: setup-zig setup-wasmtime
	$(call need,$(TEST_PACKAGES))
	@rc=0; \
	echo "== native tests"; $(ZIG) build test-native $(ZIGFLAGS) || rc=1; \
	echo "== native tests on the poll(2) backend"; $(ZIG) build test-native-poll $(ZIGFLAGS) || rc=1; \
	echo "== WASI tests under wasmtime"; $(ZIG) build test-wasi $(ZIGFLAGS) || rc=1; \
	echo "== Windows tests under Wine"; $(ZIG) build test-windows $(ZIGFLAGS) || rc=1; \
	echo "== a project that uses afdio (examples/consumer)"; $(MAKE) --no-print-directory test-consumer || rc=1; \
	exit $$rc

test-native: setup-zig
	$(call need,libcriterion-dev bc)
	$(ZIG) build test-native $(ZIGFLAGS)

# The native suite against the poll(2) backend (epoll replaced).
test-native-poll: setup-zig
	$(call need,libcriterion-dev bc)
	$(ZIG) build test-native-poll $(ZIGFLAGS)

test-windows: setup-zig
	$(call need,wine bc)
	$(ZIG) build test-windows $(ZIGFLAGS)

# What README's "Using afdio from another project" shows, done: the example
# project's own `zig build test` (natively and its Windows build under Wine,
# through addWineRun), then the same program built by gcc against an
# installed afdio found by pkg-config.
CONSUMER_DIR := $(CURDIR)/.zig-cache/consumer
test-consumer: setup-zig
	$(call need,wine gcc pkg-config)
	@awk '/^<!-- examples\/consumer\/build.zig -->$$/ {f = 1; next} f && /^```zig$$/ {p = 1; next} \
	  p && /^```$$/ {exit} p' README.md | diff -u - examples/consumer/build.zig || \
	  { echo "test-consumer: README's build.zig differs from examples/consumer/build.zig" >&2; exit 1; }
	cd examples/consumer && $(ZIG) build test
	rm -rf $(CONSUMER_DIR)
	$(ZIG) build -Dlinkage=static --prefix $(CONSUMER_DIR)/prefix
	$(MAKE) --no-print-directory -C examples/consumer CC=gcc OUT=$(CONSUMER_DIR)/gcc \
	  PKG_CONFIG_PATH=$(CONSUMER_DIR)/prefix/lib/pkgconfig test

# Native suite under ASan+UBSan (built by gcc: Zig ships no ASan runtime).
check-asan: setup-zig
	$(call need,$(ASAN_PACKAGES))
	$(ZIG) build test-asan $(ZIGFLAGS)

# Native suite under valgrind memcheck; any memcheck report fails the run.
check-valgrind: setup-zig
	$(call need,$(VALGRIND_PACKAGES))
	$(ZIG) build test-valgrind $(ZIGFLAGS)

# Reliability (not part of make test). The threaded suites under
# ThreadSanitizer, with the pthread shim runner (Criterion cannot run there).
check-tsan: setup-zig
	$(call need,bc)
	$(ZIG) build test-tsan $(ZIGFLAGS)

# A long run of the model test (1,000,000 ops over fixed seeds), the leak
# cycles (100,000 each) and the thread torture (20 s), on both halves.
SOAK_OPS ?= 1000000
soak: setup-zig
	$(call need,$(TEST_PACKAGES))
	@rc=0; for f in 'model/soak' 'unix_fds/*' 'win_handles/*' 'torture/*'; do \
	  echo "== soak: $$f"; \
	  AFDIO_MODEL_SOAK=$(SOAK_OPS) AFDIO_LEAK_CYCLES=100000 AFDIO_TORTURE_MS=20000 AFDIO_SUITE_TIMEOUT=7200 \
	    $(ZIG) build test -Dtest-filter="$$f" $(ZIGFLAGS) || rc=1; \
	done; exit $$rc

# libFuzzer (clang-14) on the address parser and on operation sequences,
# FUZZ_SECONDS per target; new inputs are merged into tests/fuzz/corpus/.
FUZZ_SECONDS ?= 60
fuzz: setup-zig
	$(call need,$(FUZZ_PACKAGES))
	bash tests/fuzz/run.sh fuzz .zig-cache/fuzz $(FUZZ_SECONDS)
	bash tests/fuzz/run.sh replay .zig-cache/fuzz-replay

# Replays the committed fuzz corpus through the fuzz targets, without the
# fuzzer (gcc-built, a few seconds): part of CI.
fuzz-replay: setup-zig
	$(call need,gcc bc)
	$(ZIG) build test-fuzz-replay $(ZIGFLAGS)

# Benchmarks natively and under Wine (about 5 minutes); see bench/run.sh.
bench: setup-zig
	$(call need,$(BENCH_PACKAGES))
	$(ZIG) build bench $(ZIGFLAGS)

clean:
	rm -rf .zig-cache zig-out examples/consumer/.zig-cache examples/consumer/zig-out examples/consumer/out
