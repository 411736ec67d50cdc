# trunkbridge: the commands a newcomer runs. CMake does the building.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
FUZZ_SECONDS ?= 60

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all build deps test test-asan fuzz demo bench format format-check clean install

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# bin/trunkbridge, lib/systemd/system/trunkbridge.service, the example
# config and docs in share/doc/trunkbridge, under $(DESTDIR)$(PREFIX)
# (docs/operations.md: the user, folders and config before the first start).
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer, leaks fatal.
test-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTB_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (clang) under ASan+UBSan, each for FUZZ_SECONDS, seeded from the corpora.
fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DTB_SANITIZE=ON -DTB_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_msg fuzz_uri fuzz_hdr fuzz_sdp fuzz_media
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

demo: build
	@examples/demo.sh $(BUILD)/trunkbridge

# bench/parse (the parser on one core), bench/srtp (the SRTP transform,
# ours and libsrtp2's), bench/calls (calls per second through trunkbridge
# and Kamailio, TLS on both legs; about 4-5 minutes) and bench/media
# (relayed SRTP packets per CPU-second and calls with media, trunkbridge
# and rtpengine; about 70 s); under 2 minutes in all with BENCH_QUICK=1.
# See bench/README.md and docs/benchmarks.md.
bench: build
	@$(BUILD)/bench_parse
	@$(BUILD)/bench_srtp
	@bench/calls/run.sh $(BUILD)/trunkbridge
	@bench/media/run.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

format-check: deps
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h') && echo "format: ok"

clean:
	rm -rf $(BUILD) build-asan build-fuzz
