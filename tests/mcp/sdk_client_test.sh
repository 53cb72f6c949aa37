#!/bin/sh
# The official MCP TypeScript SDK client against `wfstore serve`, over stdio
# and over Streamable HTTP: a scripted agent finds, describes and runs the
# delete-one-message workflow with an elicited confirmation; a run without
# elicitation waits and is answered with `wfstore approve`.
# Environment: WFSTORE (binary), WFS_SOURCE_DIR, WFS_NODE_DIR (npm-setup.sh).
. "${WFS_SOURCE_DIR:?}/tests/e2e/lib.sh"
node_dir=${WFS_NODE_DIR:?}
agent="$node_dir/sdk_agent.mjs"
cp "$WFS_SOURCE_DIR/tests/mcp/sdk_agent.mjs" "$agent"

world() {
  cat > "$1" <<'JSON'
{"mail": {"messages": [
  {"id": "a", "mailbox": "INBOX", "from": "ann@example.com", "subject": "Lunch?"},
  {"id": "b", "mailbox": "INBOX", "from": "hr@example.com", "subject": "Your salary review"},
  {"id": "c", "mailbox": "INBOX", "from": "bob@example.com", "subject": "Build is green"}]}}
JSON
}

# ---- stdio ------------------------------------------------------------------
world "$tmp/world1.json"
expect_rc "sdk agent over stdio" 0 node "$agent" --transport stdio \
  --wfstore "$WFSTORE" --store "$tmp/store1" --world "$tmp/world1.json" \
  --waiting "$tmp/waiting1"
cat "$tmp/out"
run=$(cat "$tmp/waiting1" 2>/dev/null)
expect_rc "the person approves the waiting run" 0 "$WFSTORE" approve "$run" --store "$tmp/store1"
python3 - "$tmp/world1.json" <<'PY' && pass "approved run deleted c only" || fail "approved run deleted c only"
import json, sys
ids = [m["id"] for m in json.load(open(sys.argv[1]))["mail"]["messages"] if m["mailbox"] == "INBOX"]
assert ids == ["a"], ids
PY

# ---- Streamable HTTP ---------------------------------------------------------
world "$tmp/world2.json"
"$WFSTORE" serve --http 127.0.0.1:0 --store "$tmp/store2" --world "$tmp/world2.json" \
  >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^wfstore: serving MCP at \([^ ]*\) .*/\1/p' "$tmp/serve.out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] && pass "server started: $url" || { fail "server started"; cat "$tmp/serve.err"; }
expect_grep "prints a client config snippet" "claude mcp add --transport http wfstore" "$tmp/serve.out"
token=$(cat "$tmp/store2/local.token")
expect_rc "sdk agent over HTTP" 0 node "$agent" --transport http --url "$url" \
  --token "$token" --world "$tmp/world2.json"
cat "$tmp/out"
expect_rc "a wrong token is refused" 1 node "$agent" --transport http --url "$url" \
  --token "wfs_00000000_0000000000000000000000000000000000000000000000000000000000000000" \
  --world "$tmp/world2.json"
kill $pid
wait $pid
[ $? -eq 0 ] && pass "server stops cleanly on SIGTERM" || fail "server stops cleanly on SIGTERM"
finish
