// docs/testing.md against the code it describes: every code block is taken from
// an example suite that runs in CI (its lines appear, in order, in the file its
// info string names: ```js from examples/...), or run here (```sh run: each
// `npx kelisim ...` line), or says why it is not run (```js not run: reason).
// The error messages shown are the ones consentCookie throws; the sizes stated hold.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { blocks } from "./markdown.mjs";
import { consentCookie } from "../../dist/testing.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const page = readFileSync(path.join(root, "docs/testing.md"), "utf8");

const code = blocks(page).filter((b) => b.lang !== "text");

test("every code block is taken from a suite, run, or says why not", () => {
  assert.ok(code.length >= 8, `${code.length} blocks`);
  for (const b of code) {
    assert.match(b.info, /^(from \S+|run|not run: .{10,})$/, `docs/testing.md:${b.line}: a \`\`\`${b.lang} block needs "from FILE", "run" or "not run: why"`);
  }
  const from = code.filter((b) => b.info.startsWith("from "));
  assert.ok(from.some((b) => b.info.endsWith("examples/playwright/consent.test.mjs")));
  assert.ok(from.some((b) => b.info.endsWith("examples/webdriver/test_consent.py")));
});

/** Whether `lines` appear in `source` in order, each as a whole line (indentation aside). */
function inOrder(lines, source) {
  const src = source.split("\n").map((l) => l.trim());
  let at = 0;
  for (const line of lines) {
    const i = src.indexOf(line.trim(), at);
    if (i < 0) return line;
    at = i + 1;
  }
  return null;
}

test("the blocks taken from a suite are in it, line for line", () => {
  for (const b of code.filter((b) => b.info.startsWith("from "))) {
    const file = b.info.slice("from ".length);
    const source = readFileSync(path.join(root, file), "utf8");
    const missing = inOrder(b.code.split("\n").filter((l) => l.trim() !== ""), source);
    assert.equal(missing, null, `docs/testing.md:${b.line}: not in ${file} (in this order): ${missing}`);
  }
  // The check can fail: a changed line is found missing.
  assert.equal(inOrder(["const x = 1;", "const y = 2;"], "const y = 2;\nconst x = 1;"), "const y = 2;");
});

test("the kelisim cookie commands run and print a cookie", () => {
  const run = code.filter((b) => b.info === "run");
  assert.ok(run.length >= 1);
  for (const b of run) {
    for (const line of b.code.split("\n").filter((l) => l.trim() && !l.startsWith("#"))) {
      const [npx, ...args] = line.trim().split(/\s+/);
      assert.equal(npx, "npx", line);
      assert.equal(args[0], "kelisim", line);
      const out = execFileSync(process.execPath, [path.join(root, "js/cli.js"), ...args.slice(1)], { cwd: root, encoding: "utf8" }).trim();
      const value = args.includes("--json") ? JSON.parse(out).value : out;
      assert.match(value, /^2\.[0-9a-f-]{36}\.[0-9a-f-]{36}\.\d+\.1\.(kk|ru)\.(accept-all|reject-all|custom)\..*\.[0-9a-f]{8}$/, line);
    }
  }
});

test("the error messages shown are the ones thrown", () => {
  const demo = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
  const bad = structuredClone(demo);
  bad.categories[2].id = 7;
  const thrown = [
    () => consentCookie(demo, { categories: { stats: true } }),
    () => consentCookie(demo, { categories: { "vk-pixel": false } }),
    () => consentCookie(bad, "all"),
    () => consentCookie(demo, "all", { subject: "visitor-1" }),
  ].map((f) => {
    try {
      f();
    } catch (e) {
      return e.message;
    }
    return "(nothing thrown)";
  });
  const shown = blocks(page).filter((b) => b.lang === "text").flatMap((b) => b.code.split("\n")).filter((l) => l.startsWith("kelisim/testing: "));
  assert.deepEqual(shown, thrown);
});

test("each file of the kit is under 3 KB gzip, as stated", () => {
  assert.match(page, /Each is under 3 KB gzip/);
  for (const f of ["dist/testing.js", "dist/testing-playwright.js", "js/cli.js"]) {
    assert.ok(page.includes(`\`${f}\``), `${f} listed`);
    const gz = gzipSync(readFileSync(path.join(root, f)), { level: 9 }).length;
    assert.ok(gz < 3000, `${f}: ${gz} B gzip`);
  }
});
