#!/usr/bin/env bash
# Builds the release wasm module, its JS glue, and the collector; writes dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
# The banner's module (the root crate) and each part loaded on first use
# (its own cdylib crate): ARCHITECTURE.md, "What loads when".
cargo build --release --lib --target wasm32-unknown-unknown --quiet -p kelisim -p kelisim-policy-view
rm -rf dist && mkdir -p dist
# --encode-into always: every browser that runs this module (reference types,
# multi-value) has TextEncoder.encodeInto, so the glue needs no fallback.
# npm's binaryen (Debian's is too old for current rustc output).
# --low-memory-unused: rustc puts the 1 MiB stack first and data above it, so
# the low 1 KiB is only reached by a stack that has already overflowed.
# The producers and target-features sections are metadata browsers ignore.
module() { # <crate's wasm file> <name in dist>
  wasm-bindgen --target web --no-typescript --encode-into always --out-dir dist --out-name "$2" \
    "target/wasm32-unknown-unknown/release/$1.wasm"
  node_modules/.bin/wasm-opt -Oz --converge --low-memory-unused --strip-producers --strip-target-features \
    --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "dist/$2_bg.wasm" -o "dist/$2_bg.wasm"
}
module kelisim kelisim_core
module kelisim_policy kelisim_policy
cp js/kelisim.js js/kelisim.css js/kelisim_policy.css js/kelisim.d.ts dist/
cp js/receipts.js dist/
# Short import/export names in the module and the glue; JS and CSS without comments.
node scripts/minify.mjs dist
# Minify the JS the page downloads (the entry, with the glue inside); export names are kept.
minify() { node_modules/.bin/terser "$1" --module --compress passes=2 --mangle -o "$1"; }
minify dist/kelisim.js
minify dist/kelisim_policy.js
# Every asset the shipped JS loads is a "./file" next to it (bundlers rely on it).
node scripts/assets.mjs dist
cargo build --release -p kelisim-collector --quiet
cargo build --release -p kelisim-policy --quiet && bash scripts/policy.sh
echo "build: dist/ and target/release/kelisim-collector ready"

# --- kelisim/server: reading consent on a server (Node), from the same core. ---
# Not on the banner's path: its own wasm module (crates/server-wasm) and wrapper.
# The demo's configurator page (www/configure.html) loads the same module in the
# browser for checkConfig (every config problem at once); no banner page does.
cargo build --release -p kelisim-server --target wasm32-unknown-unknown --quiet
wasm-bindgen --target web --no-typescript --out-dir dist --out-name kelisim_server \
  target/wasm32-unknown-unknown/release/kelisim_server.wasm
node_modules/.bin/wasm-opt -Oz --strip-producers --strip-target-features \
  --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  dist/kelisim_server_bg.wasm -o dist/kelisim_server_bg.wasm
cp js/server.js js/server.d.ts dist/
echo "build: dist/server.js (kelisim/server) and dist/kelisim_server.js (the configurator's checker) ready"

# --- kelisim/testing: the consent cookie a test suite seeds, its Playwright helpers
# and the `kelisim cookie` command (js/cli.js). Not on any browser path: Node only,
# on the kelisim/server module above.
cp js/testing.js js/testing.d.ts js/testing-playwright.js js/testing-playwright.d.ts dist/
echo "build: dist/testing.js (kelisim/testing) ready"
