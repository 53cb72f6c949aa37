#!/bin/sh
# The catalog end to end: keygen, publish, promote, review, report, export
# (checked with the real minisign tool), tamper detection.
. "$(dirname "$0")/lib.sh"
src=${WFS_SOURCE_DIR:?}
cd "$tmp"
export WFSTORE_HOME="$tmp/store"
unset WFSTORE_PASSPHRASE

expect_rc "keygen" 0 "$WFSTORE" keygen --out alice
[ "$(stat -c %a alice.key)" = 600 ] && pass "secret key is 0600" || fail "secret key is 0600"
expect_rc "keygen refuses to overwrite" 1 "$WFSTORE" keygen --out alice
expect_grep "says how to overwrite" "\-\-force" "$tmp/err"
expect_rc "keygen bob" 0 "$WFSTORE" keygen --out bob
expect_rc "keygen carol" 0 "$WFSTORE" keygen --out carol

expect_rc "publish catalog" 0 "$WFSTORE" publish "$src/catalog" --key alice.key
expect_grep "published all" "^published 11 of 11 workflow(s)" "$tmp/out"
expect_rc "republish is a no-op" 0 "$WFSTORE" publish "$src/catalog" --key alice.key
expect_grep "nothing new" "^published 0 of 11" "$tmp/out"

# A changed workflow under a published version is refused, nothing stored.
sed 's/Delete exactly one email message/Delete one email/' \
  "$src/catalog/mail/delete_message.wf" > changed.wf
expect_rc "same version, other content" 1 "$WFSTORE" publish changed.wf --key alice.key
expect_grep "immutable" "immutable" "$tmp/err"
# Another key may not publish in alice's namespace.
sed 's/1\.0\.0/1.1.0/' changed.wf > v11.wf
expect_rc "foreign namespace" 1 "$WFSTORE" publish v11.wf --key bob.key
expect_grep "names the fix" "namespace allow" "$tmp/err"
expect_rc "owner allows bob" 0 "$WFSTORE" namespace allow mail bob.pub --key alice.key
expect_rc "bob publishes 1.1.0" 0 "$WFSTORE" publish v11.wf --key bob.key

# Stages: no skipping; tested runs the tests.
expect_rc "skip refused" 1 "$WFSTORE" promote mail.delete_message@1.0.0 reviewed --key alice.key
expect_grep "names the next stage" "the next stage is tested" "$tmp/err"
expect_rc "tested" 0 "$WFSTORE" promote mail.delete_message@1.0.0 tested --key alice.key
expect_grep "tests ran" "tests and .* passed" "$tmp/out"
expect_rc "hardened needs evidence" 1 "$WFSTORE" promote mail.delete_message@1.0.0 hardened --key alice.key
expect_grep "says what evidence" "adversarial evaluation" "$tmp/err"
expect_rc "author cannot review" 1 "$WFSTORE" review mail.delete_message@1.0.0 --key alice.key
expect_rc "bob reviews" 0 "$WFSTORE" review mail.delete_message@1.0.0 --key bob.key --comment "read it"
expect_rc "carol reviews" 0 "$WFSTORE" review mail.delete_message@1.0.0 --key carol.key --comment "ok"

expect_rc "report" 0 "$WFSTORE" report mail.delete_message@1.0.0
expect_grep "grade line" "^C — mail.delete_message@1.0.0 tested" "$tmp/out"
expect_grep "budget in words" "may delete in mail at most once per run" "$tmp/out"
expect_rc "report json" 0 "$WFSTORE" report mail.delete_message --json
python3 - "$tmp/out" <<'PY' && pass "report json fields" || fail "report json fields"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["version"] == "1.1.0", r["version"]   # latest
assert r["stage"] == "draft" and r["grade"] == "D" and r["verified"], r
assert [s["stage"] for s in r["stages"]] == ["draft", "tested", "hardened", "reviewed", "canary", "stable"]
assert r["effects"]["budgets"][0]["capability"] == "mail.delete"
PY
expect_rc "report json of 1.0.0" 0 "$WFSTORE" report mail.delete_message@1.0.0 --json
python3 - "$tmp/out" <<'PY' && pass "reviews and evidence in report" || fail "reviews and evidence in report"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["reviews"]) == 2 and all(v["verified"] for v in r["reviews"]), r["reviews"]
t = r["stages"][1]
assert t["reached"] and t["evidence"]["failed"] == 0 and t["evidence"]["tests"] >= 1, t
PY

# Export and check with minisign itself.
expect_rc "export" 0 "$WFSTORE" export mail.delete_message@1.0.0 --out exp
expect_rc "minisign verifies the package" 0 \
  minisign -Vm "exp/mail.delete_message@1.0.0.json" -p "exp/mail.delete_message@1.0.0.pub"
sed 's/Trash/Trasj/' "exp/mail.delete_message@1.0.0.json" > "exp/forged.json"
cp "exp/mail.delete_message@1.0.0.json.minisig" "exp/forged.json.minisig"
expect_rc "minisign rejects a changed package" 1 \
  minisign -Vm "exp/forged.json" -p "exp/mail.delete_message@1.0.0.pub"

# Tampering with the store is detected.
expect_rc "verify all" 0 "$WFSTORE" verify
sqlite3 "$WFSTORE_HOME/catalog.db" \
  "UPDATE packages SET bytes = replace(bytes, 'Trash', 'Trasj') WHERE name = 'mail.delete_message' AND version = '1.0.0'"
expect_rc "verify finds the change" 1 "$WFSTORE" verify
expect_grep "names the package" "FAIL mail.delete_message@1.0.0" "$tmp/out"
expect_rc "report of a tampered package" 1 "$WFSTORE" report mail.delete_message@1.0.0
expect_grep "F grade" "^F — " "$tmp/out"

# Encrypted keys: the passphrase is needed and checked.
printf 'correct horse\n' > pass.txt
printf 'wrong\n' > wrong.txt
expect_rc "encrypted keygen" 0 "$WFSTORE" keygen --out dave --passphrase-file pass.txt
expect_grep "says encrypted" "encrypted" "$tmp/out"
expect_rc "wrong passphrase" 1 "$WFSTORE" review mail.find_messages@1.0.0 --key dave.key --passphrase-file wrong.txt
expect_grep "wrong passphrase named" "wrong passphrase" "$tmp/err"
expect_rc "no passphrase without a terminal" 1 "$WFSTORE" review mail.find_messages@1.0.0 --key dave.key </dev/null
expect_grep "says how to give it" "WFSTORE_PASSPHRASE" "$tmp/err"
WFSTORE_PASSPHRASE='correct horse' expect_rc "right passphrase" 0 \
  "$WFSTORE" review mail.find_messages@1.0.0 --key dave.key


# Servers starting at once on a new store (an MCP client opening several
# stdio sessions): each serves, the catalog is seeded once and whole.
ping='{"jsonrpc":"2.0","id":1,"method":"ping"}'
for k in 1 2 3; do
  echo "$ping" | "$WFSTORE" serve --stdio --store "$tmp/shared" \
    >"$tmp/shared$k.out" 2>"$tmp/shared$k.err" &
done
wait
answered=$(grep -l '"result"' "$tmp"/shared[123].out | wc -l)
seeders=$(grep -l 'seeded the starter catalog' "$tmp"/shared[123].err | wc -l)
[ "$answered" -eq 3 ] && pass "three servers started at once all answer" ||
  { fail "three servers started at once all answer ($answered)"; cat "$tmp"/shared[123].err; }
[ "$seeders" -eq 1 ] && pass "one of them seeded the catalog" ||
  fail "one of them seeded the catalog ($seeders)"
expect_rc "list the shared store" 0 "$WFSTORE" list --store "$tmp/shared"
tested=$(grep -c ' tested ' "$tmp/out")
[ "$tested" -eq 11 ] && pass "the whole catalog is tested" || fail "the whole catalog is tested ($tested)"

# A client that closes its end of the server's output before an answer: the
# server's write fails (EPIPE) and it ends cleanly with its input, rather
# than being killed by SIGPIPE.
python3 - "$WFSTORE" "$tmp/shared" <<'PY' && pass "a closed output pipe ends the server cleanly" || fail "a closed output pipe ends the server cleanly"
import json, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "serve", "--stdio", "--store", sys.argv[2],
                      "--quiet", "--no-recertify"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def send(m):
    p.stdin.write((json.dumps(m) + "\n").encode())
    p.stdin.flush()
send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
      "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                 "clientInfo": {"name": "e2e", "version": "1"}}})
assert b'"result"' in p.stdout.readline()
p.stdout.close()
send({"jsonrpc": "2.0", "id": 2, "method": "ping"})
time.sleep(0.3)
p.stdin.close()
rc = p.wait(timeout=20)
assert rc == 0, rc
PY

# A client that ends its input while a run it started as an MCP task waits
# for the person: the server cancels the task, the run waits in the journal
# for `wfstore approve`, and the server exits cleanly and promptly.
cat >"$tmp/taskworld.json" <<'JSON'
{"mail": {"messages": [{"id": "b", "mailbox": "INBOX", "from": "hr@example.com", "subject": "Your salary review"}]}}
JSON
python3 - "$WFSTORE" "$tmp/shared" "$tmp/taskworld.json" <<'PY' && pass "stdio: input ends with a task in flight" || fail "stdio: input ends with a task in flight"
import json, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "serve", "--stdio", "--store", sys.argv[2],
                      "--world", sys.argv[3], "--quiet", "--no-recertify"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL, text=True)
def send(m):
    p.stdin.write(json.dumps(m) + "\n")
    p.stdin.flush()
def read():
    return json.loads(p.stdout.readline())
send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
      "params": {"protocolVersion": "2025-11-25",
                 "capabilities": {"elicitation": {}},
                 "clientInfo": {"name": "e2e", "version": "1"}}})
read()
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
send({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
      "params": {"name": "run_workflow", "task": {},
                 "arguments": {"name": "mail.delete_message",
                               "arguments": {"id": "b", "mailbox": "INBOX"}}}})
task = read()["result"]["task"]["taskId"]
status = None
for i in range(200):
    send({"jsonrpc": "2.0", "id": 10 + i, "method": "tasks/get",
          "params": {"taskId": task}})
    status = read()["result"]["status"]
    if status == "input_required":
        break
    time.sleep(0.05)
assert status == "input_required", status
started = time.monotonic()
p.stdin.close()
rc = p.wait(timeout=20)
took = time.monotonic() - started
assert rc == 0 and took < 5, (rc, took)
out = subprocess.run([sys.argv[1], "runs", "--store", sys.argv[2], "--state",
                      "waiting", "--json"], capture_output=True, text=True)
runs = json.loads(out.stdout)
runs = runs if isinstance(runs, list) else runs.get("runs", [])
assert any(r["workflow"].startswith("mail.delete_message@") for r in runs), runs
world = json.load(open(sys.argv[3]))
assert [m["id"] for m in world["mail"]["messages"] if m["mailbox"] == "INBOX"] == ["b"], world
PY

finish
