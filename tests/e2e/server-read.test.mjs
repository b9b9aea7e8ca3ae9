// kelisim/server reads, from the Cookie header the browser really sends, the
// same consent the real SDK gives in the page with kelisim.getConsent().
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, consentCookie, root } from "./harness.mjs";
import { readConsent, readConsentWithReason } from "../../dist/server.js";

const env = useServerAndBrowser({ before, after });
// The config the pages get (the harness serves the demo config without `receipts`).
const config = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
delete config.receipts;

/** Loads `pagePath` and returns the Cookie header the browser sent with it, and the page's getConsent(). */
async function visit(s, pagePath) {
  let header;
  const onRequest = async (req) => {
    if (req.isNavigationRequest() && req.frame() === s.page.mainFrame()) header = (await req.allHeaders()).cookie ?? "";
  };
  s.page.on("request", onRequest);
  await s.page.goto(env.server.url + pagePath);
  await ready(s.page);
  s.page.off("request", onRequest);
  const consent = await s.page.evaluate(() => window.kelisim.getConsent());
  return { header, consent, now: Date.now() };
}

const decisions = {
  "accept all": () => window.kelisim.acceptAll(),
  "reject all": () => window.kelisim.rejectAll(),
  custom: () => window.kelisim.setConsent({ categories: { analytics: true, preferences: true }, services: { "google-analytics": false } }),
  withdraw: () => { window.kelisim.acceptAll(); return window.kelisim.withdraw(); },
};

for (const [name, decide] of Object.entries(decisions)) {
  test(`${name}: the server reads what getConsent() gives`, async () => {
    const s = await openPage(env.browser, env.server.url + "/");
    await ready(s.page);
    const given = await s.page.evaluate(decide);
    assert.ok(given && given.id, "the SDK recorded a decision");
    assert.ok(await consentCookie(s.context), "the SDK wrote its cookie");
    // Another cookie beside it, as on a real site.
    const url = new URL(env.server.url);
    await s.context.addCookies([{ name: "session_id", value: "abc123", domain: url.hostname, path: "/" }]);
    const { header, consent, now } = await visit(s, "/");
    assert.match(header, /(^|; )kelisim=2\./);
    assert.match(header, /session_id=abc123/);
    assert.deepEqual(consent, given, "the page reads back its decision");
    assert.deepEqual(readConsent(header, config, { now }), consent);
    assert.deepEqual(readConsentWithReason(header, config, { now }), { consent, why: null, detail: null, message: null });
    await s.context.close();
  });
}

test("a cookie altered after writing: null on both sides, and why", async () => {
  const s = await openPage(env.browser, env.server.url + "/");
  await ready(s.page);
  await s.page.evaluate(() => window.kelisim.rejectAll());
  const written = await consentCookie(s.context);
  const altered = written.value.replace("analytics:0", "analytics:1");
  assert.notEqual(altered, written.value);
  await s.context.addCookies([{ ...written, value: altered }]);
  const { header, consent, now } = await visit(s, "/");
  assert.equal(consent, null);
  assert.equal(readConsent(header, config, { now }), null);
  assert.equal(readConsentWithReason(header, config, { now }).why, "checksum");
  await s.context.close();
});

test("a planted older copy at a longer path: both read the visitor's own later decision", async () => {
  const s = await openPage(env.browser, env.server.url + "/");
  await ready(s.page);
  await s.page.evaluate(() => window.kelisim.acceptAll());
  const older = await consentCookie(s.context);
  await new Promise((r) => setTimeout(r, 20)); // a later givenAt
  await s.page.evaluate(() => window.kelisim.rejectAll());
  const latest = await consentCookie(s.context);
  assert.notEqual(older.value, latest.value);
  // The earlier accept-all, planted at /ru/: the browser lists it first there.
  await s.context.addCookies([{ ...older, path: "/ru/" }]);
  const { header, consent, now } = await visit(s, "/ru/");
  assert.ok(header.indexOf(older.value) >= 0 && header.indexOf(older.value) < header.indexOf(latest.value), header);
  assert.equal(consent.method, "reject-all");
  assert.deepEqual(readConsent(header, config, { now }), consent);
  await s.context.close();
});
