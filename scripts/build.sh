#!/usr/bin/env bash
# Builds the release wasm module, its JS glue, and the collector; writes dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --lib --target wasm32-unknown-unknown --quiet
rm -rf dist && mkdir -p dist
# --encode-into always: every browser that runs this module (reference types,
# multi-value) has TextEncoder.encodeInto, so the glue needs no fallback.
wasm-bindgen --target web --no-typescript --encode-into always --out-dir dist --out-name kelisim_core \
  target/wasm32-unknown-unknown/release/kelisim.wasm
# npm's binaryen (Debian's is too old for current rustc output).
# --low-memory-unused: rustc puts the 1 MiB stack first and data above it, so
# the low 1 KiB is only reached by a stack that has already overflowed.
# The producers and target-features sections are metadata browsers ignore.
node_modules/.bin/wasm-opt -Oz --converge --low-memory-unused --strip-producers --strip-target-features \
  --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  dist/kelisim_core_bg.wasm -o dist/kelisim_core_bg.wasm
cp js/kelisim.js js/kelisim.css js/kelisim.d.ts dist/
cp js/receipts.js dist/
# Short import/export names in the module and the glue; JS and CSS without comments.
node scripts/minify.mjs dist
# Minify the JS the page downloads (the glue and the entry); export names are kept.
minify() { node_modules/.bin/terser "$1" --module --compress passes=2 --mangle -o "$1"; }
minify dist/kelisim_core.js
minify dist/kelisim.js
cargo build --release -p kelisim-collector --quiet
cargo build --release -p kelisim-policy --quiet && bash scripts/policy.sh
echo "build: dist/ and target/release/kelisim-collector ready"

# --- kelisim/server: reading consent on a server (Node), from the same core. ---
# Not on any browser path: its own wasm module (crates/server-wasm) and wrapper.
cargo build --release -p kelisim-server --target wasm32-unknown-unknown --quiet
wasm-bindgen --target web --no-typescript --out-dir dist --out-name kelisim_server \
  target/wasm32-unknown-unknown/release/kelisim_server.wasm
node_modules/.bin/wasm-opt -Oz --strip-producers --strip-target-features \
  --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  dist/kelisim_server_bg.wasm -o dist/kelisim_server_bg.wasm
cp js/server.js js/server.d.ts dist/
echo "build: dist/server.js (kelisim/server) ready"
