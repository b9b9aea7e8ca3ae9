// Prints the gzip bytes (-9) of what each kind of visit downloads (everything
// but the HTML and the config), and of each part loaded on first use.
//
// Two limits per path: `budget` is the goal of the design (issue 10: a first
// visit within 30,000 B, a returning visitor within 20,000 B); `ceiling` is
// what the build may not grow past (the figure today plus a little), so a
// regression fails `npm test` while the budget is not met yet. A path over
// its budget is printed as such.
import { readFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";

const dir = process.argv[2] ?? "dist";

/** What each path downloads. */
const paths = [
  {
    name: "first visit (banner)",
    files: ["kelisim.js", "kelisim_core_bg.wasm", "kelisim.css"],
    budget: 30_000,
    ceiling: 82_000,
  },
  {
    name: "returning visitor (valid consent)",
    files: ["kelisim.js", "kelisim_core_bg.wasm", "kelisim.css"],
    budget: 20_000,
    ceiling: 82_000,
  },
];

/** Parts loaded on first use (and prefetched on idle after the banner path). */
const lazy = [
  { name: "policy view", files: ["kelisim_policy.js", "kelisim_policy_bg.wasm", "kelisim_policy.css"], ceiling: 43_500 },
];

/**
 * Not on the banner path: pages that load them never run on a site's visitors.
 * Printed so their weight is known; no ceiling. `from` is the folder of the
 * files (default: the dist folder).
 */
const offPath = [
  {
    name: "configurator page (www/configure.html; its preview loads the banner path above)",
    files: ["kelisim_server.js", "kelisim_server_bg.wasm", "www/configure.js", "www/configure-texts.js", "www/configure-preview.js"],
  },
];

const sizes = new Map();
function size(f) {
  if (!sizes.has(f)) {
    const path = f.startsWith("www/") ? new URL(`../${f}`, import.meta.url) : `${dir}/${f}`;
    if (!existsSync(path)) {
      console.error(`size: ${path} is missing; run npm run build first`);
      process.exit(1);
    }
    const bytes = readFileSync(path);
    sizes.set(f, { raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length });
  }
  return sizes.get(f);
}
const row = (label, raw, gz, note = "") =>
  console.log(`  ${label.padEnd(30)} ${String(raw).padStart(8)} B raw ${String(gz).padStart(8)} B gzip${note}`);

let failed = false;
const all = [
  ...paths,
  ...lazy.map((l) => ({ ...l, name: `on first use: ${l.name}` })),
  ...offPath.map((o) => ({ ...o, name: `not on the banner path: ${o.name}` })),
];
for (const p of all) {
  console.log(p.name);
  let raw = 0, gz = 0;
  for (const f of p.files) {
    const s = size(f);
    raw += s.raw;
    gz += s.gz;
    row(f, s.raw, s.gz);
  }
  let note = "";
  if (p.budget !== undefined) note = gz <= p.budget ? `  (budget ${p.budget}: ok)` : `  (OVER the budget of ${p.budget} by ${gz - p.budget})`;
  row("total", raw, gz, note);
  if (p.ceiling !== undefined && gz > p.ceiling) {
    console.error(`size: ${p.name}: ${gz} B gzip is over the ceiling of ${p.ceiling} B`);
    failed = true;
  }
}
if (failed) process.exit(1);
