// kelisim/server against the published test vectors: every case must read in
// Node exactly as the core reads it (tests/vectors/consent-cookies.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readConsent, readConsentWithReason } from "../../dist/server.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const vectors = JSON.parse(readFileSync(path.join(root, "tests/vectors/consent-cookies.json"), "utf8"));
const configs = new Map();
function config(name) {
  if (!configs.has(name)) {
    const file = name === "demo" ? path.join(root, "www/kelisim.config.json") : path.join(root, "tests/vectors", name);
    configs.set(name, JSON.parse(readFileSync(file, "utf8")));
  }
  return configs.get(name);
}

test("the vectors are there and cover both outcomes", () => {
  assert.ok(vectors.cases.length >= 25, `${vectors.cases.length} cases`);
  assert.ok(vectors.cases.some((c) => c.expect === null) && vectors.cases.some((c) => c.expect !== null));
});

for (const c of vectors.cases) {
  test(`vector: ${c.name}`, () => {
    const got = readConsentWithReason(c.cookieHeader, config(c.config), { now: c.now });
    assert.deepEqual(got.consent, c.expect);
    assert.equal(got.why, c.why);
    assert.equal(got.detail, c.detail);
    assert.equal(got.why === null, got.message === null);
    assert.deepEqual(readConsent(c.cookieHeader, config(c.config), { now: c.now }), c.expect);
    // The config as JSON text and the clock as a Date read the same.
    assert.deepEqual(readConsent(c.cookieHeader, JSON.stringify(config(c.config)), { now: new Date(c.now) }), c.expect);
  });
}

test("the key order is getConsent()'s", () => {
  const c = vectors.cases.find((c) => c.expect !== null);
  const got = readConsent(c.cookieHeader, config(c.config), { now: c.now });
  assert.deepEqual(Object.keys(got), ["id", "subject", "givenAt", "expiresAt", "revision", "language", "categories", "services", "method", "gpc"]);
});

test("no header, several headers, and the clock by default", () => {
  const site = config("site.json");
  assert.equal(readConsent(undefined, site), null);
  assert.equal(readConsentWithReason(null, site).why, "absent");
  const valid = vectors.cases.find((c) => c.name === "v2 accept-all");
  // Node gives repeated Cookie headers joined; an array is joined the same way.
  assert.deepEqual(readConsent(["sid=1", valid.cookieHeader], site, { now: valid.now }), valid.expect);
  // Without `now`, the real clock: the vector's decision was given in 2026 and has expired or holds.
  const now = Date.now();
  const expires = Date.parse(valid.expect.expiresAt);
  const r = readConsentWithReason(valid.cookieHeader, site);
  assert.equal(r.why, now >= expires ? "expired" : now + 300_000 < Date.parse(valid.expect.givenAt) ? "from-the-future" : null);
});

test("a bad config throws naming the field path", () => {
  const bad = structuredClone(config("site.json"));
  bad.categories[1].id = 7;
  assert.throws(() => readConsent("", bad), { name: "TypeError", message: /^kelisim\/server: invalid config: categories\[1\]\.id: / });
  const bin = structuredClone(config("site.json"));
  bin.controller.bin = "12";
  assert.throws(() => readConsent("", bin), { message: "kelisim/server: invalid config: controller.bin: a BIN is exactly 12 digits" });
  assert.throws(() => readConsent("", "{"), { message: /invalid config: config: not JSON/ });
  assert.throws(() => readConsent("", null), { message: /config must be/ });
  assert.throws(() => readConsent(42, config("site.json")), { message: /cookieHeader must be/ });
  assert.throws(() => readConsent("", config("site.json"), { now: NaN }), { message: /options\.now/ });
  // A good config after a bad one still reads.
  const valid = vectors.cases.find((c) => c.name === "v2 accept-all");
  assert.deepEqual(readConsent(valid.cookieHeader, config(valid.config), { now: valid.now }), valid.expect);
});

test("the package exports it as kelisim/server", async () => {
  // Self-reference by package name resolves through package.json "exports".
  const viaExports = await import("kelisim/server");
  assert.equal(viaExports.readConsent, readConsent);
  assert.equal(viaExports.readConsentWithReason, readConsentWithReason);
});
