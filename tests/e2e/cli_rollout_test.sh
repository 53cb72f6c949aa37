#!/bin/sh
# Staged rollout end to end with the real binary: `promote ... canary`
# starts a rollout, agents' run_workflow calls over MCP (stdio) are routed
# between canary and stable, a clean canary becomes stable after its runs
# and soak, a canary with injected failures is rolled back by the server on
# its own; then `rollout status`, `readiness`, `recertify` and `policy`.
. "$(dirname "$0")/lib.sh"
export WFSTORE_HOME="$tmp/store"

quote() {  # quote VERSION FAILING
  cat <<WF
workflow shop.quote $1 {
  summary "Quote a price for an item."
  intent "quote a price"

  input n: int "Item number."
  output text: string reveal "The quote."

  run {
$( [ "$2" = yes ] && printf '    if n > 3 {\n      fail "no price for {n}"\n    }\n' )
    return { text: "price of {n}" }
  }

  test "quotes item one" {
    call { n: 1 }
    expect outcome == "completed"
    expect output.text == "price of 1"
  }
$( [ "$2" = yes ] && printf '  test "no price above three" {\n    call { n: 7 }\n    expect outcome == "failed"\n  }\n' )
}
WF
}

# calls N: N run_workflow calls of shop.quote over stdio (n = 0..9,
# cycling), as a client does: stdin stays open until every answer is in.
calls() {
  python3 - "$WFSTORE" "$1" "$tmp/serve.err" >"$tmp/replies" <<'PY'
import json, subprocess, sys
wfstore, n, err = sys.argv[1], int(sys.argv[2]), sys.argv[3]
p = subprocess.Popen([wfstore, "serve", "--stdio", "--empty", "--no-recertify"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(err, "w"), text=True)
def send(m):
    p.stdin.write(json.dumps(m) + "\n")
    p.stdin.flush()
send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
      "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                 "clientInfo": {"name": "e2e", "version": "1"}}})
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
for i in range(n):
    send({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
          "params": {"name": "run_workflow",
                     "arguments": {"name": "shop.quote",
                                   "arguments": {"n": i % 10}}}})
answered = set()
while len(answered) < n + 1:
    line = p.stdout.readline()
    if not line:
        break
    m = json.loads(line)
    if "id" in m:
        answered.add(m["id"])
    print(line, end="")
p.stdin.close()
p.wait()
sys.exit(0 if len(answered) == n + 1 else 1)
PY
}

# through VERSION: publish and promote to canary (real tests, real hardening)
through() {
  expect_rc "$1 tested" 0 "$WFSTORE" promote "shop.quote@$1" tested --key "$tmp/me.key"
  expect_rc "$1 harden" 0 "$WFSTORE" harden "shop.quote@$1"
  expect_rc "$1 hardened" 0 "$WFSTORE" promote "shop.quote@$1" hardened --key "$tmp/me.key"
  expect_rc "$1 review" 0 "$WFSTORE" review "shop.quote@$1" --key "$tmp/rev.key" --comment ok
  expect_rc "$1 reviewed" 0 "$WFSTORE" promote "shop.quote@$1" reviewed --key "$tmp/me.key"
  expect_rc "$1 canary" 0 "$WFSTORE" promote "shop.quote@$1" canary --key "$tmp/me.key"
}

expect_rc "keygen" 0 "$WFSTORE" keygen --out "$tmp/me"
expect_rc "keygen reviewer" 0 "$WFSTORE" keygen --out "$tmp/rev"
expect_rc "one review" 0 "$WFSTORE" config required-reviews 1
quote 1.0.0 no >"$tmp/quote1.wf"
expect_rc "publish 1.0.0" 0 "$WFSTORE" publish "$tmp/quote1.wf" --key "$tmp/me.key"
through 1.0.0
expect_grep "canary starts a rollout" "rolling out to 10% of calls (no stable version yet)" "$tmp/out"
expect_rc "stable needs the rollout" 1 "$WFSTORE" promote shop.quote@1.0.0 stable --key "$tmp/me.key"
expect_grep "says what is missing" "0 of the 50 canary runs needed" "$tmp/err"
expect_rc "change the rollout" 0 "$WFSTORE" rollout start shop.quote@1.0.0 --share 1 --min-runs 5 --soak 0
calls 6 || fail "six calls answered"
expect_grep "six answers" '"id":6' "$tmp/replies"
expect_rc "status" 0 "$WFSTORE" rollout status shop.quote
expect_grep "healthy" "healthy and soaked: wfstore promote shop.quote@1.0.0 stable" "$tmp/out"
# A client connected over stdio while the workflow becomes stable hears the
# tools list change (notifications/tools/list_changed), then lists it as its
# own tool.
python3 - "$WFSTORE" "$tmp" <<'PY' && pass "a stdio client hears the new tool" || fail "a stdio client hears the new tool"
import json, select, subprocess, sys, time
wfstore, tmp = sys.argv[1], sys.argv[2]
p = subprocess.Popen([wfstore, "serve", "--stdio", "--empty", "--no-recertify"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(tmp + "/listen.err", "w"), text=True)
def send(m):
    p.stdin.write(json.dumps(m) + "\n")
    p.stdin.flush()
def receive(timeout):
    if not select.select([p.stdout], [], [], timeout)[0]:
        return None
    line = p.stdout.readline()
    return json.loads(line) if line else None
send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
      "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                 "clientInfo": {"name": "e2e", "version": "1"}}})
init = receive(10)
assert init["result"]["capabilities"]["tools"]["listChanged"] is True, init
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
before = [t["name"] for t in receive(10)["result"]["tools"]]
assert "shop.quote" not in before, before
promote = subprocess.run([wfstore, "promote", "shop.quote@1.0.0", "stable",
                          "--key", tmp + "/me.key"], capture_output=True,
                         text=True)
print(promote.stdout, promote.stderr, end="")
assert promote.returncode == 0, promote.returncode
heard = receive(10)
assert heard == {"jsonrpc": "2.0",
                 "method": "notifications/tools/list_changed"}, heard
send({"jsonrpc": "2.0", "id": 3, "method": "tools/list"})
after = {t["name"]: t for t in receive(10)["result"]["tools"]}
assert after["shop.quote"]["title"] == "shop.quote@1.0.0", after.keys()
p.stdin.close()
assert p.wait(timeout=20) == 0
PY
expect_rc "status after" 0 "$WFSTORE" rollout status shop.quote --json
python3 - "$tmp/out" <<'PY' && pass "promoted" || fail "promoted"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["state"] == "promoted" and r["canary_figures"]["runs"] == 6, r
PY

quote 1.1.0 yes >"$tmp/quote2.wf"
expect_rc "publish 1.1.0" 0 "$WFSTORE" publish "$tmp/quote2.wf" --key "$tmp/me.key"
through 1.1.0
expect_grep "the rest to stable" "the rest to stable 1.0.0" "$tmp/out"
expect_rc "half the calls" 0 "$WFSTORE" rollout start shop.quote@1.1.0 --share 0.5 --min-runs 10 --soak 1h
calls 120 || fail "120 calls answered"
expect_grep "server rolled it back" "rolled back canary shop.quote@1.1.0 (calls go to 1.0.0): failure rate" "$tmp/serve.err"
expect_rc "status rolled back" 0 "$WFSTORE" rollout status shop.quote
expect_grep "verdict" "verdict: rolled back" "$tmp/out"
expect_grep "next" "calls go to stable 1.0.0" "$tmp/out"
expect_grep "earlier rollout listed" "1.0.0 promoted" "$tmp/out"
expect_rc "report" 0 "$WFSTORE" report shop.quote@1.1.0 --json
python3 - "$tmp/out" <<'PY' && pass "demoted with figures" || fail "demoted with figures"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["stage"] == "reviewed" and r["grade"] == "F", r["stage"]
d = r["demotions"][0]
assert d["verified"] and d["from"] == "canary", d
assert d["details"]["canary"]["runs"] >= 10 and d["details"]["canary"]["failure_rate"] > 0.05, d
PY
expect_rc "no second canary" 1 "$WFSTORE" promote shop.quote@1.1.0 canary --key "$tmp/me.key"
expect_grep "flag named" "demoted to reviewed: canary rolled back" "$tmp/err"
# After the rollback, every call runs stable.
calls 10 || fail "ten calls answered"
python3 - "$WFSTORE_HOME/journal.db" <<'PY' && pass "stable after rollback" || fail "stable after rollback"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT workflow FROM runs ORDER BY created_us DESC LIMIT 10").fetchall()
assert rows and all(w == "shop.quote@1.0.0" for (w,) in rows), rows
PY

expect_rc "readiness" 0 "$WFSTORE" readiness --json
python3 - "$tmp/out" <<'PY' && pass "readiness figures" || fail "readiness figures"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["runs"] == 136, r["runs"]
assert r["hardened_or_later"] == 136, r
assert r["failures"] >= 1 and r["by_stage_at_run"]["canary"] >= 16, r
assert r["agents"][0]["agent"] == "local", r["agents"]
PY
expect_rc "readiness text" 0 "$WFSTORE" readiness --agent local
expect_grep "answer" "100.0% of 136 runs went through workflows that were hardened" "$tmp/out"

expect_rc "nothing to recertify" 0 "$WFSTORE" recertify
expect_grep "nothing" "nothing to recertify" "$tmp/out"
echo '{"harden": {"min_coverage": 1.0}}' >"$WFSTORE_HOME/policy.json"
expect_rc "policy" 0 "$WFSTORE" policy --json
expect_grep "policy read" '"min_coverage": 1.0' "$tmp/out"
expect_rc "policy change affects" 0 "$WFSTORE" recertify --dry-run --json
python3 - "$tmp/out" <<'PY' && pass "affected by policy" || fail "affected by policy"
import json, sys
r = json.load(open(sys.argv[1]))["results"]
assert [x["workflow"] for x in r] == ["shop.quote@1.0.0"], r
assert "policy changed" in r[0]["changed"][0], r
PY
expect_rc "recertify" 0 "$WFSTORE" recertify
expect_grep "recertified" "shop.quote@1.0.0 (stable): recertified" "$tmp/out"
expect_rc "then nothing" 0 "$WFSTORE" recertify
# The server recertifies on its own when the policy changes.
echo '{"harden": {"min_coverage": 0.9}}' >"$WFSTORE_HOME/policy.json"
expect_rc "serve notices the policy" 0 "$WFSTORE" serve --stdio --empty </dev/null
expect_grep "server recertified" "recertify shop.quote@1.0.0: recertified" "$tmp/err"
expect_rc "and then nothing" 0 "$WFSTORE" recertify --dry-run
expect_grep "nothing left" "nothing to recertify" "$tmp/out"
echo '{"rollout": {"shar": 0.2}}' >"$WFSTORE_HOME/policy.json"
expect_rc "bad policy" 2 "$WFSTORE" policy
expect_grep "bad member named" 'unknown member `shar` in rollout' "$tmp/err"
expect_rc "unknown rollout" 2 "$WFSTORE" rollout status nothing.here

# A rollback interrupted between its two writes (claimed in rollout.db, the
# version not yet demoted in the store) is finished by the next server.
rm "$WFSTORE_HOME/policy.json"
quote 1.2.0 no >"$tmp/quote3.wf"
expect_rc "publish 1.2.0" 0 "$WFSTORE" publish "$tmp/quote3.wf" --key "$tmp/me.key"
through 1.2.0
python3 - "$WFSTORE_HOME/rollout.db" <<'PY' && pass "the claim alone" || fail "the claim alone"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE rollouts SET state = 'rolled_back', reason = 'failure rate 40.0%' "
               "WHERE state = 'active'").rowcount
db.commit()
assert n == 1, n
PY
expect_rc "cannot roll out again" 1 "$WFSTORE" rollout start shop.quote@1.2.0 --share 0.5
expect_grep "says why" "was rolled back (failure rate 40.0%)" "$tmp/err"
expect_rc "serve finishes it" 0 "$WFSTORE" serve --stdio --empty --no-recertify </dev/null
expect_grep "names it" "finished the interrupted rollback of shop.quote@1.2.0" "$tmp/err"
expect_rc "report" 0 "$WFSTORE" report shop.quote@1.2.0 --json
python3 - "$tmp/out" <<'PY' && pass "demoted once, signed" || fail "demoted once, signed"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["stage"] == "reviewed", r["stage"]
assert len(r["demotions"]) == 1 and r["demotions"][0]["verified"], r["demotions"]
PY
expect_rc "the next server has nothing to finish" 0 "$WFSTORE" serve --stdio --empty --no-recertify </dev/null
if grep -q "interrupted rollback" "$tmp/err"; then fail "finished twice"; else pass "finished once"; fi
finish
