#!/bin/sh
# Time to harden each starter workflow with the full adversarial corpus
# (docs/benchmarks.md). Usage: bench/harden/run.sh [WFSTORE]
set -eu
cd "$(dirname "$0")/../.."
wfstore=${1:-build/apps/wfstore/wfstore}
printf '%-32s %8s %7s %9s %8s %s\n' workflow seconds cases mutants coverage result
for f in $(find catalog -name '*.wf' | sort); do
  "$wfstore" harden --json "$f" > /tmp/wfs-harden-bench.json || true
  python3 - "$f" /tmp/wfs-harden-bench.json <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
c = r["coverage"]
print("%-32s %8.2f %7d %9s %8s %s" % (
    r["workflow"], r["seconds"], r["adversarial"]["cases"],
    "%d/%d" % (r["mutation"]["killed"], r["mutation"]["mutants"]),
    "%d/%d" % (c["covered"], c["branch_sides"]),
    "passed" if r["passed"] else "FAILED"))
PY
done
rm -f /tmp/wfs-harden-bench.json
