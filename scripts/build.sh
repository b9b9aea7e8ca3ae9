#!/usr/bin/env bash
# Builds the release wasm module, its JS glue, and the collector; writes dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --lib --target wasm32-unknown-unknown --quiet
rm -rf dist && mkdir -p dist
wasm-bindgen --target web --no-typescript --out-dir dist --out-name kelisim_core \
  target/wasm32-unknown-unknown/release/kelisim.wasm
# npm's binaryen (Debian's is too old for current rustc output).
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  dist/kelisim_core_bg.wasm -o dist/kelisim_core_bg.wasm
# Short import/export names in the module and the glue (checked: every import
# provided, every export read exists).
node scripts/minify-glue.mjs dist
cp js/kelisim.css js/kelisim.d.ts dist/
# Minify the JS the page downloads (the glue and the entry); export names are kept.
minify() { node_modules/.bin/terser "$1" --module --compress passes=2 --mangle -o "$2"; }
minify dist/kelisim_core.js dist/kelisim_core.js
minify js/kelisim.js dist/kelisim.js
cargo build --release -p kelisim-collector --quiet
echo "build: dist/ and target/release/kelisim-collector ready"
