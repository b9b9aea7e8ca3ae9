// Checks the asset URL convention of dist/: every file a shipped JS module
// loads is written `new URL("./file", import.meta.url)` or `import("./file.js")`
// (the forms bundlers recognise), sits next to it in dist/, and is shipped by
// package.json "files"; no other form of asset URL is left in the JS.
//
// usage: node scripts/assets.mjs [dist]
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2] ?? "dist";
const pkg = JSON.parse(readFileSync(path.join(dir, "..", "package.json"), "utf8"));
const excluded = new Set((pkg.files ?? []).filter((f) => f.startsWith("!")).map((f) => path.normalize(f.slice(1))));
const problems = [];
const shipped = readdirSync(dir).filter((f) => f.endsWith(".js") && !excluded.has(path.join(path.basename(dir), f)));
for (const js of shipped) {
  const src = readFileSync(path.join(dir, js), "utf8");
  for (const m of src.matchAll(/new URL\(\s*(["'`])([^"'`]*)\1\s*,\s*import\.meta\.url\s*\)|import\(\s*(["'`])([^"'`]*)\3\s*\)/g)) {
    const ref = m[2] ?? m[4];
    if (!ref.startsWith("./") || ref.slice(2).includes("/")) {
      problems.push(`${js}: ${JSON.stringify(ref)} is not a "./file" next to it`);
      continue;
    }
    const file = path.join(path.basename(dir), ref.slice(2));
    if (!existsSync(path.join(dir, ref.slice(2)))) problems.push(`${js}: ${ref} is not in ${dir}/`);
    else if (excluded.has(file)) problems.push(`${js}: ${ref} is left out of the package by package.json "files"`);
  }
  // A URL built any other way (from a variable, by concatenation) is invisible to bundlers.
  for (const m of src.matchAll(/new URL\(\s*(?!["'`][^"'`]*["'`]\s*,\s*import\.meta\.url\s*\))[^)]*import\.meta\.url/g)) {
    problems.push(`${js}: an asset URL not written as new URL("./file", import.meta.url): ${m[0].slice(0, 80)}`);
  }
}
if (problems.length) {
  for (const p of problems) console.error(`assets: ${p}`);
  process.exit(1);
}
console.log(`assets: every asset ${shipped.join(", ")} load is a "./file" next to it, shipped`);
