#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run a libFuzzer target for a bounded time from a seed corpus, without
# writing into the seed directory: new inputs go to a temporary corpus,
# crash artifacts to ./fuzz-artifacts/ (the meson build directory when run
# by meson test).  Usage: run-fuzzer.sh BINARY SEED_DIR SECONDS [ARGS...]
set -eu
bin=$1
seeds=$2
secs=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p fuzz-artifacts
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="fuzz-artifacts/$(basename "$bin")-" \
    "$@" "$work" "$seeds"
