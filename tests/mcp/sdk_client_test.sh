#!/bin/sh
# The official MCP TypeScript SDK client against `wfstore serve`, over stdio
# and over Streamable HTTP: a scripted agent finds, describes and runs the
# delete-one-message workflow with an elicited confirmation; a run without
# elicitation waits and is answered with `wfstore approve`; a workflow yanked
# meanwhile is announced (resources list changed). Both the 2025-era
# SDK and the 2026-07-28 client (which must fall back to 2025-11-25).
# Then the requester library of the tasks extension of 2026-07-28
# (@modelcontextprotocol/ext-tasks) on the v2 client over HTTP: a run waiting
# for the person becomes a task the library follows to the run's result
# once the person approves; a cancelled task leaves its run waiting.
# Environment: WFSTORE (binary), WFS_SOURCE_DIR, WFS_NODE_DIR (npm-setup.sh).
. "${WFS_SOURCE_DIR:?}/tests/e2e/lib.sh"
node_dir=${WFS_NODE_DIR:?}
agent="$node_dir/sdk_agent.mjs"
cp "$WFS_SOURCE_DIR/tests/mcp/sdk_agent.mjs" "$agent"
tasks_agent="$node_dir/sdk_tasks_agent.mjs"
cp "$WFS_SOURCE_DIR/tests/mcp/sdk_tasks_agent.mjs" "$tasks_agent"

world() {
  cat > "$1" <<'JSON'
{"mail": {"messages": [
  {"id": "a", "mailbox": "INBOX", "from": "ann@example.com", "subject": "Lunch?"},
  {"id": "b", "mailbox": "INBOX", "from": "hr@example.com", "subject": "Your salary review"},
  {"id": "c", "mailbox": "INBOX", "from": "bob@example.com", "subject": "Build is green"}]}}
JSON
}

# Each agent runs with both SDKs: v1 (@modelcontextprotocol/sdk) and v2
# (@modelcontextprotocol/client, probing for revision 2026-07-28 first).
for sdk in v1 v2; do
# ---- stdio ------------------------------------------------------------------
world "$tmp/world-stdio-$sdk.json"
expect_rc "$sdk sdk agent over stdio" 0 node "$agent" --sdk $sdk --transport stdio \
  --wfstore "$WFSTORE" --store "$tmp/store-stdio-$sdk" --world "$tmp/world-stdio-$sdk.json" \
  --waiting "$tmp/waiting-$sdk"
cat "$tmp/out"
run=$(cat "$tmp/waiting-$sdk" 2>/dev/null)
expect_rc "$sdk: the person approves the waiting run" 0 "$WFSTORE" approve "$run" \
  --store "$tmp/store-stdio-$sdk"
python3 - "$tmp/world-stdio-$sdk.json" <<'PY' && pass "$sdk: approved run deleted c only" || fail "$sdk: approved run deleted c only"
import json, sys
ids = [m["id"] for m in json.load(open(sys.argv[1]))["mail"]["messages"] if m["mailbox"] == "INBOX"]
assert ids == ["a"], ids
PY

# ---- Streamable HTTP ---------------------------------------------------------
world "$tmp/world-http-$sdk.json"
"$WFSTORE" serve --http 127.0.0.1:0 --store "$tmp/store-http-$sdk" \
  --world "$tmp/world-http-$sdk.json" >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
url=$(served_url "$tmp/serve.out")
[ -n "$url" ] && pass "$sdk: server started: $url" || { fail "$sdk: server started"; cat "$tmp/serve.err"; }
expect_grep "prints a client config snippet" "claude mcp add --transport http wfstore" "$tmp/serve.out"
token=$(cat "$tmp/store-http-$sdk/local.token")
expect_rc "$sdk sdk agent over HTTP" 0 node "$agent" --sdk $sdk --transport http --url "$url" \
  --token "$token" --world "$tmp/world-http-$sdk.json" \
  --wfstore "$WFSTORE" --store "$tmp/store-http-$sdk"
cat "$tmp/out"
expect_rc "$sdk: a wrong token is refused" 1 node "$agent" --sdk $sdk --transport http --url "$url" \
  --token "wfs_00000000_0000000000000000000000000000000000000000000000000000000000000000" \
  --world "$tmp/world-http-$sdk.json"
kill $pid
wait $pid
[ $? -eq 0 ] && pass "$sdk: server stops cleanly on SIGTERM" || fail "$sdk: server stops cleanly on SIGTERM"
done

# ---- the tasks extension through its requester library (v2, HTTP) -------------
world "$tmp/world-tasks.json"
"$WFSTORE" serve --http 127.0.0.1:0 --store "$tmp/store-tasks" \
  --world "$tmp/world-tasks.json" >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
url=$(served_url "$tmp/serve.out")
[ -n "$url" ] && pass "tasks: server started: $url" || { fail "tasks: server started"; cat "$tmp/serve.err"; }
expect_rc "tasks: ext-tasks agent over HTTP" 0 node "$tasks_agent" --url "$url" \
  --token "$(cat "$tmp/store-tasks/local.token")" --world "$tmp/world-tasks.json" \
  --wfstore "$WFSTORE" --store "$tmp/store-tasks" --waiting "$tmp/waiting-tasks"
cat "$tmp/out"
python3 - "$tmp/world-tasks.json" <<'PY' && pass "tasks: the approved task's run deleted b only" || fail "tasks: the approved task's run deleted b only"
import json, sys
ids = [m["id"] for m in json.load(open(sys.argv[1]))["mail"]["messages"] if m["mailbox"] == "INBOX"]
assert ids == ["a", "c"], ids
PY
"$WFSTORE" runs --store "$tmp/store-tasks" --state waiting --json >"$tmp/waiting-runs.json"
python3 - "$tmp/waiting-runs.json" "$tmp/waiting-tasks" <<'PY' && pass "tasks: the cancelled task's run still waits for the person" || fail "tasks: the cancelled task's run still waits for the person"
import json, sys
runs = json.load(open(sys.argv[1]))
runs = runs if isinstance(runs, list) else runs.get("runs", [])
want = open(sys.argv[2]).read().strip()
assert [r["run_id"] for r in runs] == [want], (runs, want)
PY
kill $pid
wait $pid
[ $? -eq 0 ] && pass "tasks: server stops cleanly on SIGTERM" || fail "tasks: server stops cleanly on SIGTERM"
finish
