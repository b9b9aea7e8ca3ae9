#!/usr/bin/env bash
# Sets up, builds, and runs every test: native core tests, wasm tests in headless
# Chromium, the size budget, and end-to-end tests against the served demo.
set -euo pipefail
cd "$(dirname "$0")/.."
# The seed corpus (../shared/seeds) is optional here: without it the corpus tests
# print SKIPPED and why. .ci/run sets KELISIM_REQUIRE_SHARED=1, which makes them fail
# instead, so CI never skips them.
if [ ! -d ../shared/seeds ]; then
  if [ "${KELISIM_REQUIRE_SHARED:-}" = 1 ]; then
    echo "test: ../shared/seeds (the seed corpus) is missing beside this checkout, and KELISIM_REQUIRE_SHARED=1 requires it" >&2
    exit 1
  fi
  echo "test: NOTE: ../shared/seeds is missing beside this checkout; the seed-corpus tests will say SKIPPED" >&2
fi
bash scripts/setup.sh
bash scripts/build.sh
echo "== native tests (cargo test --workspace)"
cargo test --workspace --quiet
if [ ! -d ../shared/seeds ]; then
  # cargo hides a passing test's output: show what the corpus tests said.
  cargo test -p kelisim-policy --test corpus --quiet -- --nocapture --test-threads=1 2>&1 | grep -o 'SKIPPED.*' || true
fi
echo "== wasm tests in headless Chromium (wasm-bindgen-test)"
WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-60} cargo test --lib --target wasm32-unknown-unknown
echo "== typings (tsc --strict against the shipped kelisim.d.ts and the demo config)"
node_modules/.bin/tsc -p tests/types
node_modules/.bin/tsc -p tests/types/server.tsconfig.json
node_modules/.bin/tsc -p tests/types/testing.tsconfig.json
echo "== size budget"
node scripts/size.mjs
echo "== unit tests of the shipped JS (receipt delivery against a naive model)"
node --test tests/unit/
echo "== reference consent decoder in Python against the test vectors (tests/vectors)"
python3 -m unittest discover -s clients/python -v
echo "== fuzzing, a short pass of every target (npm run fuzz runs longer)"
FUZZ_SECONDS=${FUZZ_SECONDS:-15} bash scripts/fuzz.sh
echo "== end-to-end tests in headless Chromium"
node --test --test-concurrency=1 tests/e2e/
echo "== the QA kit's example suite (examples/playwright, kelisim/testing) against the demo in headless Chromium"
node --test --test-concurrency=1 examples/playwright/
echo "== the same through WebDriver from Python, the cookie from \`kelisim cookie\` (examples/webdriver)"
PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s examples/webdriver -v
echo "== the packed npm package under Vite, webpack, Rollup, esbuild and a plain module tag, in headless Chromium"
node --test --test-concurrency=1 tests/bundlers/
