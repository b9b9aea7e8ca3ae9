// The documentation's examples and links, checked against the code they describe:
// - every relative link in README.md, ARCHITECTURE.md and docs/*.md names a file that
//   exists, and every #anchor a heading of that file;
// - every ```json block parses, and every one that is a whole config (it has `controller`
//   and `categories`) is accepted by the SDK's own decoder (through kelisim/server, the
//   same core the browser runs) and every policy document by the policy schema's decoder;
// - every ```js block is valid module syntax;
// - every `npm run NAME` the docs give is a script of package.json, every `cargo ... -p NAME`
//   a package of the workspace, and every `--flag` given to kelisim-collector one it accepts.
// The README's embed (its tag, its config, its gated script) runs in Chromium in
// tests/e2e/docs.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { blocks } from "./markdown.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pages = ["README.md", "ARCHITECTURE.md", ...readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The text outside fenced blocks and inline code spans. */
function prose(text) {
  return text.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor of a heading. */
function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(file) {
  const text = readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");
  const seen = new Map();
  const out = new Set();
  for (const m of text.matchAll(/^#{1,6}\s+(.*)$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

test("every relative link and anchor in the docs resolves", () => {
  const broken = [];
  for (const page of pages) {
    const text = prose(readFileSync(path.join(root, page), "utf8"));
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1];
      if (/^[a-z]+:/i.test(href)) continue; // https:, mailto:
      const [file, anchor] = href.split("#");
      const target = file === "" ? path.join(root, page) : path.resolve(path.dirname(path.join(root, page)), file);
      if (!target.startsWith(root + path.sep) && target !== root) {
        broken.push(`${page}: ${href} leaves the repository`);
        continue;
      }
      if (!existsSync(target)) {
        broken.push(`${page}: ${href} (no such file)`);
        continue;
      }
      if (anchor && target.endsWith(".md") && !anchors(target).has(anchor)) broken.push(`${page}: ${href} (no heading #${anchor})`);
    }
  }
  assert.deepEqual(broken, []);
});

test("README.md stays the front door: under 250 lines, linking every page of docs/", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  assert.ok(readme.split("\n").length < 250, `README.md has ${readme.split("\n").length} lines`);
  for (const page of pages.filter((p) => p.startsWith("docs/"))) assert.ok(readme.includes(`](${page})`) || readme.includes(`](${page}#`), `README.md does not link ${page}`);
});

test("every JSON example parses; every whole config is accepted by the SDK's decoder", async () => {
  const { readConsentWithReason } = await import(path.join(root, "dist/server.js"));
  let configs = 0;
  for (const page of pages) {
    for (const b of blocks(readFileSync(path.join(root, page), "utf8"))) {
      if (b.lang !== "json") continue;
      let value;
      assert.doesNotThrow(() => (value = JSON.parse(b.code)), `${page}:${b.line}: not JSON`);
      if (value && typeof value === "object" && "controller" in value && "categories" in value) {
        configs++;
        // Throws a TypeError naming the field path when the decoder refuses the config.
        const read = readConsentWithReason("", value, { now: Date.UTC(2026, 0, 1) });
        assert.equal(read.why, "absent", `${page}:${b.line}`);
      }
    }
  }
  assert.ok(configs >= 1, "the README's config example was not found");
});

test("a config the decoder refuses is refused here too (the check above can fail)", async () => {
  const { readConsentWithReason } = await import(path.join(root, "dist/server.js"));
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const config = JSON.parse(blocks(readme).find((b) => b.lang === "json").code);
  config.controller.bin = "12345";
  assert.throws(() => readConsentWithReason("", config), /controller\.bin/);
});

test("the cookie format's worked example reads as the consent it shows", async () => {
  const { readConsent } = await import(path.join(root, "dist/server.js"));
  const page = blocks(readFileSync(path.join(root, "docs/cookie-format.md"), "utf8"));
  const header = page.find((b) => b.info === "cookie").code.trim();
  const shown = page.find((b) => b.lang === "json" && b.info.startsWith("consent "));
  const config = readFileSync(path.join(root, "tests/vectors/site.json"), "utf8");
  const now = Date.parse(shown.info.slice("consent ".length));
  assert.deepEqual(readConsent(header, config, { now }), JSON.parse(shown.code));
  // One changed digit breaks the checksum: no consent.
  assert.equal(readConsent(header.replace("analytics:1", "analytics:0"), config, { now }), null);
});

test("every JS example is valid module syntax", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kelisim-docs-"));
  try {
    let n = 0;
    for (const page of pages) {
      for (const b of blocks(readFileSync(path.join(root, page), "utf8"))) {
        if (b.lang !== "js" && b.lang !== "mjs") continue;
        const file = path.join(dir, `example-${n++}.mjs`);
        writeFileSync(file, b.code);
        try {
          execFileSync(process.execPath, ["--check", file], { stdio: "pipe" });
        } catch (e) {
          assert.fail(`${page}:${b.line}: ${e.stderr}`);
        }
      }
    }
    assert.ok(n >= 5, `only ${n} JS examples found`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every npm script, cargo package and collector flag the docs name exists", () => {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const metadata = JSON.parse(execFileSync("cargo", ["metadata", "--no-deps", "--format-version", "1"], { cwd: root, encoding: "utf8" }));
  const packages = new Set(metadata.packages.map((p) => p.name));
  const collector = path.join(root, "target/release/kelisim-collector");
  const help = existsSync(collector) ? execFileSync(collector, ["--help"], { encoding: "utf8" }) : null;
  const wrong = [];
  for (const page of pages) {
    const text = readFileSync(path.join(root, page), "utf8");
    for (const m of text.matchAll(/npm run ([a-z:-]+)/g)) if (!(m[1] in pkg.scripts)) wrong.push(`${page}: npm run ${m[1]}`);
    for (const m of text.matchAll(/cargo [a-z]+ [^`\n]*?-p ([a-z0-9_-]+)/g)) if (!packages.has(m[1])) wrong.push(`${page}: cargo -p ${m[1]}`);
    if (help) {
      // The collector run as a program (a `cargo ... -p kelisim-collector` line passes cargo's flags).
      for (const line of text.split("\n").filter((l) => /kelisim-collector/.test(l) && !/cargo /.test(l))) {
        for (const m of line.matchAll(/(?<![\w-])(--[a-z][a-z-]+)/g)) if (!help.includes(m[1])) wrong.push(`${page}: kelisim-collector ${m[1]}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});
