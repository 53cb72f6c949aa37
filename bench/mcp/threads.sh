#!/bin/sh
# Where wfstore's CPU goes per MCP call: runs the run_workflow row of
# run.sh (bench.echo over HTTP, JSON answers, 64 clients) and prints, for
# each of the server's threads, its CPU time and context switches per call
# (from /proc/PID/task/*/{stat,status}).
#
#   bench/mcp/threads.sh BUILD_DIR [SECONDS] [CLIENTS]
set -eu
export LC_ALL=C
build=$(cd "${1:?usage: threads.sh BUILD_DIR [SECONDS] [CLIENTS]}" && pwd)
seconds=${2:-4}
clients=${3:-64}
here=$(cd "$(dirname "$0")" && pwd)
wfstore="$build/apps/wfstore/wfstore"
bench="$build/bench/mcp/mcp_bench"
for f in "$wfstore" "$bench"; do
  [ -x "$f" ] || { echo "threads.sh: missing $f" >&2; exit 1; }
done
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
sed -n '/^workflow bench.echo/,/^}/p' "$here/run.sh" >"$tmp/echo.wf"
store="$tmp/store"
"$wfstore" keygen --store "$store" >/dev/null
"$wfstore" publish --store "$store" --key "$store/keys/publisher.key" \
  "$tmp/echo.wf" >/dev/null
params='{"name":"run_workflow","arguments":{"name":"bench.echo","arguments":{"text":"hi"}}}'
"$wfstore" serve --http 127.0.0.1:0 --no-auth --empty --quiet \
  --store "$store" --json-responses >"$tmp/out" 2>"$tmp/err" &
pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^wfstore: serving MCP at \([^ ]*\) .*/\1/p' "$tmp/out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "threads.sh: the server did not start" >&2; exit 1; }
# Warm up, then measure between two snapshots.
"$bench" --url="$url" --pid="$pid" --clients="$clients" --seconds=1 \
  --warmup=0 --label=warmup --params="$params" >/dev/null
snap() {
  for t in /proc/$pid/task/*; do
    printf '%s %s %s %s\n' "$(basename "$t")" \
      "$(awk '{print $14 + $15}' "$t/stat")" \
      "$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status")" \
      "$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status")"
  done | sort
}
names() { for t in /proc/$pid/task/*; do echo "$(basename "$t") $(cat "$t/comm")"; done | sort; }
snap >"$tmp/before"
"$bench" --url="$url" --pid="$pid" --clients="$clients" --seconds="$seconds" \
  --warmup=0 --label="wfstore run (json)" --params="$params" | tee "$tmp/bench"
snap >"$tmp/after"
names >"$tmp/names"
calls=$(sed -n 's/.* ok=\([0-9]*\) .*/\1/p' "$tmp/bench")
ticks=$(getconf CLK_TCK)
join "$tmp/before" "$tmp/after" | join - "$tmp/names" |
  awk -v calls="$calls" -v hz="$ticks" '
    BEGIN { printf "%-16s %12s %14s %14s\n", "thread", "cpu us/call",
            "vol cs/call", "invol cs/call" }
    { cpu[$8] += ($5 - $2) * 1e6 / hz / calls; vol[$8] += ($6 - $3) / calls;
      inv[$8] += ($7 - $4) / calls }
    END { for (n in cpu) if (cpu[n] > 0 || vol[n] > 0)
            printf "%-16s %12.1f %14.3f %14.3f\n", n, cpu[n], vol[n], inv[n] }'
