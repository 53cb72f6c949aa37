# Shared helpers for end-to-end shell tests. Source it; set WFSTORE to the
# binary under test (ctest passes it).
set -u
fails=0
pass() { printf 'ok   %s\n' "$1"; }
fail() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
# expect_rc NAME WANT CMD...: runs CMD, compares its exit status.
expect_rc() {
  name=$1 want=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" -eq "$want" ]; then pass "$name"; else
    fail "$name: exit $got, want $want"
    sed 's/^/    | /' "$tmp/out" "$tmp/err" | head -20
  fi
}
# expect_grep NAME PATTERN FILE
expect_grep() {
  if grep -q -- "$2" "$3"; then pass "$1"; else
    fail "$1: no '$2' in $3"
    sed 's/^/    | /' "$3" | head -20
  fi
}
# served_url FILE: the URL `wfstore serve --http` announces in FILE (its
# standard output), waiting up to 10 s for it; fails when none comes.
served_url() {
  for _ in $(seq 1 100); do
    u=$(sed -n 's/^wfstore: serving MCP at \([^ ]*\) .*/\1/p' "$1")
    [ -n "$u" ] && { echo "$u"; return 0; }
    sleep 0.1
  done
  return 1
}
finish() {
  if [ "$fails" -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
  echo "all passed"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
