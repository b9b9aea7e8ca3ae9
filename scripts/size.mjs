// Prints the raw and gzip bytes of everything a page downloads to show the banner.
import { readFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";

const files = ["kelisim.js", "kelisim_core.js", "kelisim_core_bg.wasm", "kelisim.css"];
let raw = 0, gz = 0;
for (const f of files) {
  const path = `dist/${f}`;
  if (!existsSync(path)) {
    console.error(`size: ${path} is missing; run npm run build first`);
    process.exit(1);
  }
  const bytes = readFileSync(path);
  const g = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gz += g;
  console.log(`${f.padEnd(24)} ${String(bytes.length).padStart(8)} B raw ${String(g).padStart(8)} B gzip`);
}
console.log(`${"total".padEnd(24)} ${String(raw).padStart(8)} B raw ${String(gz).padStart(8)} B gzip`);
// The budget guards against regressions; it was 45 KiB for the banner alone,
// 86 KiB with the policy view, receipts, disclosures and gating, and 90 KiB with
// the cookie reading rules and the outbox's size checks (README: Size).
const limit = Number(process.env.KELISIM_SIZE_LIMIT || 90 * 1024);
if (gz > limit) {
  console.error(`size: ${gz} B gzip is over the limit of ${limit} B`);
  process.exit(1);
}
