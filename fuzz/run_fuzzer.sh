#!/bin/sh
# Runs one libFuzzer target for a bounded time, starting from its checked-in
# seed corpus (read-only) plus a scratch corpus in the build tree.
# Usage: run_fuzzer.sh BINARY SEED_DIR WORK_DIR SECONDS [DICT]
set -eu
bin=$1 seeds=$2 work=$3 seconds=$4 dict=${5:-}
mkdir -p "$work"
set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1
[ -n "$dict" ] && set -- "$@" -dict="$dict"
exec "$bin" "$@" "$work" "$seeds"
