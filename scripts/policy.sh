#!/usr/bin/env bash
# Builds the demo's policy document from its plain-text sources with
# kelisim-policy: import the Kazakh and the Russian text, then merge them.
# Usage: scripts/policy.sh [OUT]   (default: www/policy/policy.json)
# KELISIM_POLICY names the binary (default: target/release/kelisim-policy).
# The committed www/policy/policy.json must equal this script's output
# (policy/tests/demo.rs checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${KELISIM_POLICY:-target/release/kelisim-policy}
out=${1:-www/policy/policy.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" import www/policy/src/kk.txt --lang kk --version 1.0 --out "$tmp/kk.json"
"$bin" import www/policy/src/ru.txt --lang ru --version 1.0 --out "$tmp/ru.json"
"$bin" merge "$tmp/kk.json" "$tmp/ru.json" --out "$out" \
  --version 1.0 --effective 2026-11-01 --prevails ru --bin 210540019876 \
  --controller-kk "«Сапар Тревел» ЖШС" --controller-ru "ТОО «Сапар Тревел»" \
  --previous "0.9,2025-03-01,/privacy/0.9.html"
