#!/usr/bin/env bash
# `npm run fuzz`: runs every cargo-fuzz target (fuzz/fuzz_targets) for a bounded time
# and prints the executions of each. FUZZ_SECONDS (default 60) per target; `npm test`
# runs a short pass. New inputs that add coverage go to fuzz/corpus/<target>/ (commit
# the interesting ones); a crash stops with the input saved under fuzz/artifacts/ and
# exits non-zero: turn it into a regression test before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz (a few minutes, once)"
  cargo install cargo-fuzz --quiet
fi
# The stable toolchain is the one this project uses; cargo-fuzz's instrumentation flags
# are accepted by it with RUSTC_BOOTSTRAP (no nightly is downloaded). No sanitizer:
# the code under test is safe Rust, and libFuzzer still finds panics and hangs.
export RUSTC_BOOTSTRAP=1
targets=$(cd fuzz && cargo fuzz list)
cd fuzz
for t in $targets; do
  mkdir -p "corpus/$t"
  cargo fuzz build --sanitizer none -O "$t"
  log=$(mktemp)
  # -timeout: one input taking over 10 s is reported as a hang.
  if ! cargo fuzz run --sanitizer none -O "$t" "corpus/$t" -- -max_total_time="$seconds" -timeout=10 -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    if grep -q '^==[0-9]*== ERROR: libFuzzer\|^artifact_prefix\|Test unit written to' "$log"; then
      echo "fuzz: $t FOUND A CRASH (the input is saved under fuzz/artifacts/$t/)" >&2
    else
      echo "fuzz: $t did not run (cargo fuzz failed; see above)" >&2
    fi
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz: $t: $runs executions in ${seconds} s, no crash; corpus $(ls "corpus/$t" | wc -l) inputs"
  rm -f "$log"
done
