#!/bin/sh
# `wfstore test` and `wfstore run` end to end.
. "$(dirname "$0")/lib.sh"
src=${WFS_SOURCE_DIR:?}
cd "$src"
export WFSTORE_HOME="$tmp/store"

expect_rc "catalog tests pass" 0 "$WFSTORE" test catalog/
expect_grep "closing line" "^39 passed, 0 failed$" "$tmp/out"
expect_grep "property line" "\[property, 200 cases\]" "$tmp/out"

expect_rc "failing tests exit 1" 1 "$WFSTORE" test tests/e2e/fixtures/failing.wf
expect_grep "failing test reported" "FAIL demo.archive_all@1.0.0: claims nothing moves" "$tmp/out"
expect_grep "left and right shown" "left is 1, right is 0" "$tmp/out"
expect_grep "property shrunk" "minimal failing case" "$tmp/out"
expect_grep "closing line on failure" "^0 passed, 2 failed$" "$tmp/out"
# The shrunk case has exactly two messages in the mailbox: the smallest that
# needs two moves.
python3 - "$tmp/out" <<'PY' && pass "counterexample is minimal" || fail "counterexample is minimal"
import json, re, sys
line = [l for l in open(sys.argv[1]) if "minimal failing case" in l][0]
case = json.loads(line[line.index("{"):])
msgs = case["world"]["mail"]["messages"]
box = case["inputs"]["mailbox"]
assert len([m for m in msgs if m["mailbox"] == box]) == 2, case
PY

expect_rc "json results" 0 "$WFSTORE" test --json --cases 20 catalog/mail/delete_message.wf
python3 - "$tmp/out" <<'PY' && pass "json test results" || fail "json test results"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["failed"] == 0 and d["passed"] == 5, d
assert all(r["passed"] for r in d["results"])
PY

cat > "$tmp/world.json" <<'JSON'
{"mail": {"messages": [
  {"id": "a", "mailbox": "INBOX", "from": "ann@example.com", "subject": "Lunch?"},
  {"id": "b", "mailbox": "INBOX", "from": "hr@example.com", "subject": "Your salary review"}]}}
JSON
cp "$tmp/world.json" "$tmp/before.json"
expect_rc "dry run" 0 "$WFSTORE" run catalog/mail/delete_message.wf --arg id=b --arg mailbox=INBOX --world "$tmp/world.json" --approve --dry-run
expect_grep "dry run says so" "dry run: nothing was changed" "$tmp/out"
cmp -s "$tmp/world.json" "$tmp/before.json" && pass "dry run leaves the world" || fail "dry run leaves the world"

expect_rc "run approved" 0 "$WFSTORE" run catalog/mail/delete_message.wf --arg id=b --arg mailbox=INBOX --world "$tmp/world.json" --approve --json
python3 - "$tmp/out" "$tmp/world.json" <<'PY' && pass "effect log and world" || fail "effect log and world"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["outcome"] == "completed" and r["outputs"]["deleted"] == "b", r
calls = r["calls"]
assert [c["action"] for c in calls] == ["mail.get", "mail.delete"], calls
assert calls[1]["labels"]["id"]["prov"] == ["trusted"], calls[1]
assert calls[1]["decision"] == "allowed"
w = json.load(open(sys.argv[2]))
boxes = {m["id"]: m["mailbox"] for m in w["mail"]["messages"]}
assert boxes == {"a": "INBOX", "b": "Trash"}, boxes
PY

expect_rc "denied run exits 1" 1 "$WFSTORE" run catalog/mail/delete_message.wf --arg id=a --arg mailbox=INBOX --world "$tmp/world.json" --deny
expect_grep "denied outcome" "outcome   denied" "$tmp/out"

expect_rc "scope violation" 1 "$WFSTORE" run catalog/mail/delete_message.wf --arg id=a --arg mailbox=Archive --world "$tmp/world.json" --approve
expect_grep "rule named" "violation (rule: scope)" "$tmp/out"

expect_rc "no terminal: the run waits" 3 "$WFSTORE" run catalog/mail/delete_message.wf --arg id=a --arg mailbox=INBOX --world "$tmp/world.json" </dev/null
expect_grep "waiting" "outcome   waiting" "$tmp/out"
expect_grep "how to answer" "answer with .wfstore approve r-" "$tmp/out"
run_id=$(sed -n 's/^run       \(r-[0-9a-f]*\) .*/\1/p' "$tmp/out")
expect_rc "runs lists it as waiting" 0 "$WFSTORE" runs --state waiting
expect_grep "waiting run listed" "$run_id .* waiting  mail.delete_message@1.0.0" "$tmp/out"
expect_rc "deny it later" 1 "$WFSTORE" deny "$run_id"
expect_grep "denied" "run $run_id: denied" "$tmp/out"
python3 - "$tmp/world.json" <<'PY' && pass "denied: a stays" || fail "denied: a stays"
import json, sys
w = json.load(open(sys.argv[1]))
assert {m["id"]: m["mailbox"] for m in w["mail"]["messages"]}["a"] == "INBOX"
PY
expect_rc "a finished run cannot be answered" 1 "$WFSTORE" approve "$run_id"
expect_grep "says why" "not waiting for an answer" "$tmp/err"
expect_rc "runs show" 0 "$WFSTORE" runs show --json "$run_id"
python3 - "$tmp/out" <<'PY' && pass "journal of the run" || fail "journal of the run"
import json, sys
r = json.load(open(sys.argv[1]))
kinds = [e["kind"] for e in r["events"]]
assert r["state"] == "denied", r["state"]
assert kinds == ["result", "prompt", "answer", "outcome"], kinds
PY
expect_rc "unknown run" 2 "$WFSTORE" runs show r-nope
expect_rc "recover with nothing to do" 0 "$WFSTORE" runs recover
expect_grep "nothing interrupted" "no interrupted runs" "$tmp/out"

expect_rc "unknown input" 2 "$WFSTORE" run catalog/mail/delete_message.wf --arg nope=1
expect_grep "names the inputs" "inputs: id, mailbox" "$tmp/err"
expect_rc "bad world file" 2 "$WFSTORE" run catalog/mail/delete_message.wf --arg id=a --arg mailbox=INBOX --world tests/e2e/fixtures/failing.wf
expect_rc "approve and deny together" 2 "$WFSTORE" run catalog/mail/delete_message.wf --approve --deny

finish
