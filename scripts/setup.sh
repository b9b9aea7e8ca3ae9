#!/usr/bin/env bash
# Installs what building and testing kelisim needs, idempotently: the wasm32 target,
# the wasm-bindgen CLI at exactly the version in Cargo.lock, Chromium and chromedriver
# (unless CHROME_PATH points at a browser), and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'setup: %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Cargo.lock is committed; make sure it exists and names the wasm-bindgen version.
[ -f Cargo.lock ] || cargo generate-lockfile
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (found: ${have:-none}); this takes a few minutes"
  # No --locked: the CLI's own lockfile names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$want"
fi

need_apt=()
if [ -z "${CHROME_PATH:-}" ] && ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if ! command -v chromedriver >/dev/null; then need_apt+=(chromium-driver); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]} from Debian"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- PostgreSQL server binaries, for the collector's PostgreSQL tests --------
# (collector/tests/postgres.rs starts its own server on a temporary data
# directory and port; no service is started here.)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing postgresql from Debian (for the collector's PostgreSQL tests)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi
# -----------------------------------------------------------------------------
