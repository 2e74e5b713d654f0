# SPDX-License-Identifier: BSD-3-Clause
# Thin wrapper over meson for the habitual commands.
BUILD ?= build

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

test: all
	meson test -C $(BUILD) --no-suite bench --print-errorlogs --num-processes 2; \
	rc=$$?; python3 scripts/testsummary.py $(BUILD)/meson-logs/testlog.json; exit $$rc

asan:
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan
	meson test -C build-asan --no-suite bench --no-suite e2e --print-errorlogs

bench: all
	meson test -C $(BUILD) --suite bench --verbose

clean:
	rm -rf $(BUILD) build-asan

.PHONY: all test asan bench clean
