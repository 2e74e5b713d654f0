# SPDX-License-Identifier: BSD-3-Clause
# Thin wrapper over meson for the habitual commands.
BUILD ?= build
FUZZ_BUILD ?= build-fuzz
ASAN_BUILD ?= build-asan
SOCKET ?= /tmp/vidxd/dsa0.sock

# Debian packages the build and the tests need (bookworm).
DEPS = build-essential meson ninja-build pkg-config clang libclang-rt-14-dev \
       libisal-dev libcmocka-dev libjson-c-dev uuid-dev python3 debootstrap

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Install whatever of $(DEPS) is missing (as root, or through sudo).
deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
		echo "installing:" $$missing; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -De2e=false

# Build and start the daemon with the default device (an SPR-like DSA).
run: all
	mkdir -p $(dir $(SOCKET))
	$(BUILD)/tools/vidxd serve --socket $(SOCKET)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -De2e=false

# Every suite but the benchmarks; then the unit, integration (hostile
# clients included) and CLI suites again under ASan+UBSan; then the bounded
# fuzzers (clang build); then one summary line over all test binaries.
test: all $(FUZZ_BUILD)/build.ninja $(ASAN_BUILD)/build.ninja
	@rc=0; \
	meson test -C $(BUILD) --no-suite bench --no-suite fuzz --print-errorlogs --num-processes 2 || rc=1; \
	ninja -C $(ASAN_BUILD) >/dev/null && \
	meson test -C $(ASAN_BUILD) --suite unit --suite integration --suite cli --print-errorlogs --num-processes 2 || rc=1; \
	ninja -C $(FUZZ_BUILD) >/dev/null && \
	meson test -C $(FUZZ_BUILD) --suite fuzz --print-errorlogs --num-processes 1 || rc=1; \
	python3 scripts/testsummary.py $(BUILD)/meson-logs/testlog.json $(ASAN_BUILD)/meson-logs/testlog.json $(FUZZ_BUILD)/meson-logs/testlog.json; \
	exit $$rc

asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	meson test -C $(ASAN_BUILD) --no-suite bench --no-suite fuzz --print-errorlogs

bench: all
	meson test -C $(BUILD) --suite bench --verbose

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(ASAN_BUILD)

.PHONY: all deps run test asan bench clean
