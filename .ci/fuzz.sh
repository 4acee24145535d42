#!/usr/bin/env bash
# Short parser-fuzzing pass (issue #11): each atheris harness in fuzz/ for a bounded number of runs
# (15 s of fuzzing each, under 2 min in all). Any crash, exception other than ScarwiseError, slow read (> 2 s)
# or large allocation fails the step; the crashing input is left in $FUZZ_ARTIFACTS.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUNS=${FUZZ_RUNS:-2000}
export SCARWISE_FUZZ_QUICK=1  # coverage feedback from scarwise only: seconds of start-up, not tens
FUZZ_ARTIFACTS=${FUZZ_ARTIFACTS:-/tmp/scarwise-fuzz-ci}
mkdir -p "$FUZZ_ARTIFACTS"
for h in x3p tiff points mesh numpy fhir; do
  work=$(mktemp -d)
  echo "fuzz: $h ($RUNS runs)"
  status=0
  timeout 90 nice -n 5 "$PY" "fuzz/fuzz_$h.py" "-runs=$RUNS" "-seed=${FUZZ_SEED:-1}" "-max_total_time=15" "-timeout=10" \
    "-artifact_prefix=$FUZZ_ARTIFACTS/$h-" "$work" "fuzz/seeds/$h" >"$work.log" 2>&1 || status=$?
  grep -E "DONE|Done|ERROR|Finding" "$work.log" || true
  rm -f "$work.log"
  rm -rf "$work"
  if [ "$status" -ne 0 ]; then echo "fuzz: $h FAILED (input in $FUZZ_ARTIFACTS)"; exit 1; fi
done
echo "fuzz: all harnesses passed"
