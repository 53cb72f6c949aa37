#!/bin/sh
# `wfstore harden` end to end: a file, a stored workflow whose passing run
# becomes evidence for the `hardened` gate, and a weakened workflow that
# fails with a report naming the case.
. "$(dirname "$0")/lib.sh"
src=${WFS_SOURCE_DIR:?}
cd "$src"
export WFSTORE_HOME="$tmp/store"

expect_rc "harden a file" 0 "$WFSTORE" harden catalog/mail/delete_message.wf
expect_grep "summary line" "^PASSED mail.delete_message@1.0.0" "$tmp/out"
expect_grep "adversarial line" "injection payloads" "$tmp/out"

expect_rc "seed the store" 0 "$WFSTORE" serve --stdio --quiet </dev/null
expect_rc "hardened gate needs evidence" 1 "$WFSTORE" promote mail.delete_message@1.0.0 hardened --key "$WFSTORE_HOME/keys/store.key"
expect_rc "harden the stored workflow" 0 "$WFSTORE" harden mail.delete_message --json
python3 - "$tmp/out" <<'PY' && pass "json report" || fail "json report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["passed"] is True, r
assert r["adversarial"]["payloads"] >= 100, r
assert r["recorded_by"], r
PY
expect_rc "promote to hardened" 0 "$WFSTORE" promote mail.delete_message@1.0.0 hardened --key "$WFSTORE_HOME/keys/store.key"
expect_rc "report shows hardened" 0 "$WFSTORE" report mail.delete_message --json
python3 - "$tmp/out" <<'PY' && pass "stage is hardened" || fail "stage is hardened"
import json, sys
assert json.load(open(sys.argv[1]))["stage"] == "hardened"
PY

# A store whose packages were published with a personal key: the store's
# own key signs the evidence and is known to the store.
expect_rc "keygen" 0 "$WFSTORE" keygen --out "$tmp/me" --store "$tmp/store2"
expect_rc "publish" 0 "$WFSTORE" publish catalog/mail/delete_message.wf --key "$tmp/me.key" --store "$tmp/store2"
expect_rc "harden records evidence" 0 "$WFSTORE" harden mail.delete_message --store "$tmp/store2"
expect_grep "evidence recorded" "evidence recorded, signed by" "$tmp/out"
expect_rc "tested" 0 "$WFSTORE" promote mail.delete_message@1.0.0 tested --key "$tmp/me.key" --store "$tmp/store2"
expect_rc "hardened" 0 "$WFSTORE" promote mail.delete_message@1.0.0 hardened --key "$tmp/me.key" --store "$tmp/store2"

# A weakened delete: the confirmation gone, so its tests fail.
sed '/^    confirm /d' catalog/mail/delete_message.wf > "$tmp/delete.wf"
expect_rc "a weakened workflow fails" 1 "$WFSTORE" harden "$tmp/delete.wf"
expect_grep "names the failing case" "tests failed: denied: nothing is deleted" "$tmp/out"
expect_grep "says why" "not hardened: " "$tmp/out"
finish
