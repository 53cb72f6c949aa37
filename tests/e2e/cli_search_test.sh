#!/bin/sh
# Discovery end to end: publish the starter catalog into a new store, search
# it with a request that fits and one that does not, check the JSON and the
# human output, and find the unmet request in `wfstore demand`.
. "$(dirname "$0")/lib.sh"
src=${WFS_SOURCE_DIR:?}
cd "$tmp"
export WFSTORE_HOME="$tmp/store"
unset WFSTORE_PASSPHRASE

expect_rc "keygen" 0 "$WFSTORE" keygen --out alice
expect_rc "publish catalog" 0 "$WFSTORE" publish "$src/catalog" --key alice.key
expect_grep "published all" "^published 11 of 11 workflow(s)" "$tmp/out"
key_id=$(sed -n 's/^untrusted comment: minisign public key \([0-9A-F]*\)$/\1/p' alice.pub)

# A request that fits.
expect_rc "search json" 0 "$WFSTORE" search "delete the email from my landlord" --json
python3 - "$tmp/out" "$key_id" <<'PY' && pass "fitting query: json fields" || fail "fitting query: json fields"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["query"] == "delete the email from my landlord", r
assert r["match"] is True, r
first = r["results"][0]
assert first["name"] == "mail.delete_message" and first["version"] == "1.0.0", first
assert first["stage"] == "draft", first
assert sorted(first["effects"]) == ["mail.delete", "mail.read"], first
assert "intents" in first["matched"] and "name" in first["matched"], first
assert first["score"] > 0 and first["summary"].startswith("Delete exactly one"), first
assert first["signer"] == sys.argv[2], (first, sys.argv[2])
assert len(r["results"]) <= 5
PY
expect_rc "search human" 0 "$WFSTORE" search "delete the email from my landlord"
expect_grep "lists the workflow" "1\. mail.delete_message@1.0.0  score" "$tmp/out"
expect_grep "shows effects and signer" "effects: mail.delete, mail.read   signer: $key_id" "$tmp/out"
expect_grep "shows matched fields" "matched: .*intents" "$tmp/out"

# A typo and a synonym still find it; "contract" is a word, not a typo.
expect_rc "typo" 0 "$WFSTORE" search "forwrd email to contact" --json --limit 1
python3 - "$tmp/out" <<'PY' && pass "typo finds forward" || fail "typo finds forward"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["results"]) == 1 and r["results"][0]["name"] == "mail.forward_to_contact", r
PY
expect_rc "contract" 0 "$WFSTORE" search "find the email where Tom sent the contract" --json
python3 - "$tmp/out" <<'PY' && pass "contract is not contact" || fail "contract is not contact"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["results"][0]["name"] == "mail.find_messages", r
PY

# Filters: read-only effects, a stage nothing has reached yet.
expect_rc "read-only filter" 0 "$WFSTORE" search "email" --effects read-only --json --limit 20
python3 - "$tmp/out" <<'PY' && pass "read-only filter" || fail "read-only filter"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["results"], r
for x in r["results"]:
    assert all(e.endswith(".read") for e in x["effects"]), x
PY
expect_rc "stage filter" 0 "$WFSTORE" search "delete an email" --stage reviewed --json
python3 - "$tmp/out" <<'PY' && pass "stage filter" || fail "stage filter"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["results"] == [] and r["match"] is False, r
PY
expect_rc "unknown stage" 2 "$WFSTORE" search "x" --stage shiny
expect_grep "names the stages" "reviewed, canary, stable" "$tmp/err"
expect_rc "unknown effect" 2 "$WFSTORE" search "x" --effects teleport

# A request nothing fits: match false, nearest candidates, recorded as demand.
expect_rc "no fit json" 0 "$WFSTORE" search "book a flight to Lisbon" --json
python3 - "$tmp/out" <<'PY' && pass "non-fitting query: json" || fail "non-fitting query: json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["query"] == "book a flight to Lisbon" and r["match"] is False, r
assert r["results"], r   # the nearest candidates
PY
expect_rc "no fit human" 0 "$WFSTORE" search "Booking flights to Lisbon"
expect_grep "says none fits" "^no workflow fits" "$tmp/out"
expect_grep "nearest candidates" "^nearest candidates:" "$tmp/out"
expect_grep "says it was recorded" "recorded as demand" "$tmp/out"
expect_rc "another unmet" 0 "$WFSTORE" search "order a pizza" --json

expect_rc "demand json" 0 "$WFSTORE" demand --json
python3 - "$tmp/out" <<'PY' && pass "demand groups, counts, newest first" || fail "demand groups, counts, newest first"
import json, sys
u = json.load(open(sys.argv[1]))["unmet"]
assert u[0]["query"] == "order a pizza" and u[0]["count"] == 1, u
flights = [g for g in u if "flight" in g["query"].lower()]
# The stage-filtered search found nothing at all: it is demand too.
assert len(flights) == 1 and flights[0]["count"] == 2, u
assert flights[0]["query"] == "Booking flights to Lisbon", flights
assert "book a flight to Lisbon" in flights[0]["examples"], flights
PY
expect_rc "demand human" 0 "$WFSTORE" demand
expect_grep "lists the unmet request" "2x  .Booking flights to Lisbon" "$tmp/out"
[ -f "$WFSTORE_HOME/demand.db" ] && pass "demand is kept in the store directory" \
  || fail "demand is kept in the store directory"
finish
