#!/bin/sh
# `wfstore check` end to end: exit codes, text and JSON diagnostics, IR.
. "$(dirname "$0")/lib.sh"
src=${WFS_SOURCE_DIR:?}
cd "$src"

expect_rc "catalog checks clean" 0 "$WFSTORE" check catalog/
expect_grep "summary line" "checked 11 workflows: 11 clean, 0 with errors; 0 errors, 0 warnings" "$tmp/out"
expect_grep "content id printed" "mail.delete_message@1.0.0  sha256:" "$tmp/out"

expect_rc "broken file exits 1" 1 "$WFSTORE" check tests/lang/broken/e401_untrusted_target.wf
expect_grep "diagnostic format" "e401_untrusted_target.wf:13:23: error\[E401\]: untrusted data reaches target" "$tmp/out"
expect_grep "caret line" "   |                       ^~~~" "$tmp/out"
expect_grep "hint line" "= hint:" "$tmp/out"

expect_rc "json diagnostics" 1 "$WFSTORE" check --json tests/lang/broken/e301_over_budget.wf
python3 - "$tmp/out" <<'PY' && pass "json shape" || fail "json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) == 1, d
x = d[0]
for k in ("code", "severity", "message", "path", "line", "column", "hint"):
    assert k in x, k
assert x["code"] == "E301" and x["severity"] == "error" and x["line"] == 9, x
PY

expect_rc "all broken examples in one pass" 1 "$WFSTORE" check --json tests/lang/broken/
python3 - "$tmp/out" <<'PY' && pass "every broken file reported" || fail "every broken file reported"
import json, sys, os
d = json.load(open(sys.argv[1]))
paths = {os.path.basename(x["path"]) for x in d}
assert len(paths) >= 26, sorted(paths)
PY

expect_rc "emit-ir" 0 "$WFSTORE" check --emit-ir catalog/mail/delete_message.wf
python3 - "$tmp/out" <<'PY' && pass "ir is json with the contract" || fail "ir is json with the contract"
import json, sys
ir = json.load(open(sys.argv[1]))
assert ir["name"] == "mail.delete_message" and ir["limits"] == {"mail.delete": 1}, ir.keys()
assert ir["bounds"]["mail.delete"] == 1
assert any(op["op"] == "confirm" for op in ir["code"])
PY

expect_rc "no files is a usage error" 2 "$WFSTORE" check
expect_rc "missing file is a usage error" 2 "$WFSTORE" check does/not/exist.wf
expect_rc "unknown flag is a usage error" 2 "$WFSTORE" check --frobnicate catalog/
expect_rc "help" 0 "$WFSTORE" check --help
expect_grep "help mentions exit status" "Exit status" "$tmp/out"

# Garbage never crashes the checker and never writes anything.
head -c 4096 /dev/urandom > "$tmp/garbage.wf"
before=$(ls -la "$tmp" | wc -l)
expect_rc "random bytes are an error, not a crash" 1 "$WFSTORE" check "$tmp/garbage.wf"
after=$(ls -la "$tmp" | wc -l)
[ "$before" -eq "$after" ] && pass "checking writes no files" || fail "checking writes no files"

finish
