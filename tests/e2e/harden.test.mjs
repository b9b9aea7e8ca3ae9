// Hardening, in headless Chromium against the demo: cookies the visitor did
// not write never decide; receipts that cannot be sent never wedge the
// outbox; an inline config with an escaped "</script>" works.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, openPage, ready } from "./harness.mjs";
import { decodeCookie, servedDemoConfig } from "./consent.mjs";

const env = useServerAndBrowser({ before, after });
const banner = '[data-kelisim="banner"]';

/** FNV-1a 32 of a string's UTF-8 bytes (docs/cookie-format.md: the cookie's checksum). */
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/**
 * A version-2 cookie value per docs/cookie-format.md, with a valid checksum: what anyone
 * who can set a cookie on the site can write.
 */
function forge({ givenAt = Date.now() - 60_000, method = "custom", categories, services, id = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b" }) {
  const list = (o) => Object.entries(o).map(([k, v]) => `${k}:${v ? 1 : 0}`).join("~");
  const body = ["2", id, "0b9e8d7c-6b5a-4948-b736-251403f2e1a1", givenAt, 1, "kk", method, list(categories), list(services), "0"].join(".");
  return `${body}.${fnv1a(body)}`;
}

const ALL_CATEGORIES = { necessary: true, preferences: true, analytics: true, marketing: true };
const ALL_SERVICES = { "yandex-metrica": true, "google-analytics": true, "facebook-pixel": true, "vk-pixel": true };

/** Opens `path` with `cookies` ({value, path}) set beforehand. */
async function visitWith(path, cookies, opts = {}) {
  const s = await openPage(env.browser, null, opts);
  const url = new URL(env.server.url);
  await s.context.addCookies(cookies.map((c) => ({ name: "kelisim", value: c.value, domain: url.hostname, path: c.path ?? "/", sameSite: "Lax" })));
  await s.page.goto(env.server.url + path);
  await ready(s.page);
  return s;
}

const accepted = (page, ids) => page.evaluate((ids) => Object.fromEntries(ids.map((id) => [id, window.kelisim.accepted(id)])), ids);

test("a forged id in a valid cookie is ignored", async () => {
  const value = forge({
    categories: { ...ALL_CATEGORIES, evil: true },
    services: { ...ALL_SERVICES, "evil-pixel": true },
  });
  const s = await visitWith("/", [{ value }]);
  // The rest of the cookie is a valid decision: no banner, the known ids hold.
  assert.equal(await s.page.$(banner), null);
  assert.deepEqual(await accepted(s.page, ["evil", "evil-pixel", "analytics", "yandex-metrica"]), {
    evil: false, "evil-pixel": false, analytics: true, "yandex-metrica": true,
  });
  const consent = await s.page.evaluate(() => window.kelisim.getConsent());
  assert.ok(!JSON.stringify(consent).includes("evil"), JSON.stringify(consent));
  await s.context.close();
});

test("a service on while its category is off is off; a refused required category is on", async () => {
  const value = forge({
    categories: { necessary: false, preferences: false, analytics: false, marketing: false },
    services: { "yandex-metrica": true, "google-analytics": false, "facebook-pixel": true, "vk-pixel": false },
  });
  const s = await visitWith("/", [{ value }]);
  assert.equal(await s.page.$(banner), null);
  assert.deepEqual(await accepted(s.page, ["necessary", "analytics", "yandex-metrica", "facebook-pixel"]), {
    necessary: true, analytics: false, "yandex-metrica": false, "facebook-pixel": false,
  });
  // The gated analytics script stays held.
  assert.equal(await s.page.evaluate(() => typeof window.__analytics), "undefined");
  await s.context.close();
});

test("a cookie given in the future (beyond 5 minutes) or before the format existed brings the banner back", async () => {
  for (const [givenAt, why] of [
    [Date.now() + 10 * 365 * 86_400_000, "dated in the future"],
    [Date.now() + 30 * 60_000, "dated in the future"],
    [Date.UTC(2024, 5, 1), "before the cookie format existed"],
  ]) {
    const value = forge({ givenAt, method: "accept-all", categories: ALL_CATEGORIES, services: ALL_SERVICES });
    const s = await visitWith("/", [{ value }]);
    await s.page.waitForSelector(banner);
    assert.equal(await accepted(s.page, ["analytics"]).then((a) => a.analytics), false);
    assert.ok(s.log.warnings.some((w) => w.includes(why)), `${why}: ${s.log.warnings.join(" | ")}`);
    await s.context.close();
  }
  // Two minutes ahead is clock skew, and is honoured.
  const value = forge({ givenAt: Date.now() + 2 * 60_000, method: "accept-all", categories: ALL_CATEGORIES, services: ALL_SERVICES });
  const s = await visitWith("/", [{ value }]);
  assert.equal(await s.page.$(banner), null);
  assert.equal((await accepted(s.page, ["analytics"])).analytics, true);
  await s.context.close();
});

test("a shadowing accept-all cookie at Path=/ru/ does not beat the visitor's later reject on /ru/", async () => {
  // The planted cookie: valid, accept-all, an hour old, at Path=/ru/.
  const planted = forge({ givenAt: Date.now() - 3_600_000, method: "accept-all", categories: ALL_CATEGORIES, services: ALL_SERVICES });
  const s = await visitWith("/ru/", [{ value: planted, path: "/ru/" }]);
  // Alone it is read (it could be the visitor's own, from an earlier cookie.path).
  assert.equal((await accepted(s.page, ["analytics"])).analytics, true);
  // The visitor rejects all on /ru/: written at Path=/ (the config's path).
  await s.page.evaluate(() => window.kelisim.rejectAll());
  const jar = await s.context.cookies();
  assert.equal(jar.filter((c) => c.name === "kelisim").length, 2, "both cookies exist now");
  await s.page.reload();
  await ready(s.page);
  assert.equal((await accepted(s.page, ["analytics"])).analytics, false, "the later reject wins");
  assert.equal(await s.page.$(banner), null);
  // The planted copy was removed; the reject is the one cookie left, at Path=/.
  const left = (await s.context.cookies()).filter((c) => c.name === "kelisim");
  assert.deepEqual(left.map((c) => [c.path, decodeCookie(c.value).method]), [["/", "reject-all"]]);
  // A withdrawal and another reload: still refused.
  await s.page.evaluate(() => window.kelisim.withdraw());
  await s.page.reload();
  await ready(s.page);
  assert.equal((await accepted(s.page, ["analytics"])).analytics, false);
  assert.equal((await s.page.evaluate(() => window.kelisim.getConsent())).method, "withdraw");
  await s.context.close();
});

test("a shadowing copy the page cannot remove leaves the state unknown: banner", async () => {
  // A partitioned cookie (CHIPS) is a copy the SDK's deletions do not reach:
  // it takes the Partitioned attribute to delete one. Partitioned needs
  // Secure, which Chromium allows on http://localhost.
  const planted = forge({ givenAt: Date.now() - 3_600_000, method: "accept-all", categories: ALL_CATEGORIES, services: ALL_SERVICES });
  const reject = forge({ givenAt: Date.now() - 60_000, method: "reject-all", id: "7f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
    categories: { necessary: true, preferences: false, analytics: false, marketing: false },
    services: { "yandex-metrica": false, "google-analytics": false, "facebook-pixel": false, "vk-pixel": false } });
  const base = env.server.url.replace("127.0.0.1", "localhost");
  const s = await openPage(env.browser, base + "/ru/");
  await ready(s.page);
  const sent = await s.page.evaluate(([planted, reject]) => {
    document.cookie = `kelisim=${planted}; Path=/ru/; Secure; SameSite=None; Partitioned`;
    document.cookie = `kelisim=${reject}; Path=/; SameSite=Lax`;
    return document.cookie.split("; ").filter((c) => c.startsWith("kelisim=")).length;
  }, [planted, reject]);
  assert.equal(sent, 2, "this Chromium keeps a partitioned cookie on http://localhost");
  await s.page.reload();
  await ready(s.page);
  await s.page.waitForSelector(banner);
  assert.equal((await accepted(s.page, ["analytics"])).analytics, false);
  assert.equal(await s.page.evaluate(() => window.kelisim.getConsent()), null);
  assert.ok(s.log.warnings.some((w) => w.includes("could not be removed")), s.log.warnings.join(" | "));
  await s.context.close();
});

const page = (head = "") =>
  `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>t</title>${head}</head><body><main><p>Host page</p></main></body></html>`;
const TAG = '<script type="module" src="/kelisim/kelisim.js" data-config="/kelisim.config.json"></script>';

test("a receipt over 64 KiB is failed with its reason and does not hold back the next one; flush() resolves", async () => {
  // A relative policy URL on a page with a 66,000-character path: every
  // receipt made there names an absolute policy URL longer than 64 KiB.
  const config = { ...servedDemoConfig(), policy: { ...servedDemoConfig().policy, url: { kk: "privacy.html", ru: "privacy.html" } } };
  const long = `/p/${"a".repeat(66_000)}/index.html`;
  const s = await openPage(env.browser, null, {
    config,
    beforeLoad: (p, context) => context.route((u) => u.pathname.startsWith("/p/"), (route) => route.fulfill({ contentType: "text/html", body: page(TAG) })),
  });
  await s.page.goto(env.server.url + long);
  await ready(s.page);
  await s.page.evaluate(() => {
    window.__receipts = [];
    addEventListener("kelisim:receipt", (e) => window.__receipts.push(e.detail));
  });
  await s.page.click('[data-kelisim-action="accept-all"]');
  await s.page.evaluate(() => window.kelisim.flush());
  const [big] = await s.page.evaluate(() => window.__receipts);
  assert.equal(big.status, "failed");
  assert.match(big.reason, /^too large: \d{5} bytes, over the 65536-byte limit of a keepalive fetch$/);
  assert.ok(s.log.warnings.some((w) => w.includes(`receipt ${big.id} cannot be sent (too large`)), s.log.warnings.join(" | "));
  // Another page of the site, same outbox: the next decision is delivered at once.
  await s.page.goto(env.server.url + "/ru/");
  await ready(s.page);
  await s.page.evaluate(() => {
    window.__receipts = [];
    addEventListener("kelisim:receipt", (e) => window.__receipts.push(e.detail));
  });
  await s.page.evaluate(() => window.kelisim.rejectAll());
  await s.page.evaluate(() => window.kelisim.flush());
  const events = await s.page.evaluate(() => window.__receipts);
  assert.deepEqual(events.map((e) => [e.status, e.httpStatus]), [["sent", 201]]);
  const pending = await s.page.evaluate(() => window.kelisim.pendingReceipts());
  assert.deepEqual(pending.map((e) => [e.id, e.status, e.reason.slice(0, 9)]), [[big.id, "failed", "too large"]]);
  const subject = await s.page.evaluate(() => window.kelisim.getConsent().subject);
  const stored = await (await fetch(`${env.server.url}/v1/receipts?subject=${subject}`)).json();
  assert.deepEqual(stored.receipts.map((r) => r.receipt.kelisim.consent.method), ["reject-all"]);
  assert.deepEqual(s.log.errors, []);
  await s.context.close();
});

test("start() refuses a config whose texts would make a receipt too large, or whose controller fields would reach receipts unchecked", async () => {
  const demo = servedDemoConfig();
  const huge = structuredClone(demo);
  huge.categories[2].description.ru = "ж".repeat(31_000);
  const cases = [
    [huge, /categories\[2\]\.description\.ru: this text \(62000 bytes\) is the longest of those that go into consent receipts/],
    [{ ...demo, controller: { ...demo.controller, url: "javascript:alert(1)" } }, /controller\.url: must be an absolute http\(s\) URL/],
    [{ ...demo, controller: { ...demo.controller, email: "privacy at sapar" } }, /controller\.email: "privacy at sapar" is not an e-mail address/],
    [{ ...demo, controller: { ...demo.controller, phone: "call us" } }, /controller\.phone: "call us" is not a phone number/],
  ];
  for (const [config, want] of cases) {
    const s = await openPage(env.browser, env.server.url + "/ru/", { config });
    await s.page.waitForFunction(() => true);
    for (let i = 0; i < 100 && !s.log.errors.length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(s.log.errors.some((e) => want.test(e)), `${want}: ${s.log.errors.join(" | ")}`);
    assert.equal(await s.page.$("[data-kelisim-root]"), null, "the page is left untouched");
    await s.context.close();
  }
});

test("an inline config with \\u003c/script> in a text works and shows the text as text", async () => {
  const config = servedDemoConfig();
  delete config.receipts;
  config.categories[2].description.ru = 'Счётчики </script><img src=x onerror="window.__pwned=1"> и <b>теги</b>';
  // The rule of docs/embedding.md: JSON.stringify, then every "<" as \u003c.
  const inline = JSON.stringify(config).replace(/</g, "\\u003c");
  assert.ok(!inline.includes("</script>"));
  const html = page(`<script type="application/json" id="kelisim-config">${inline}</script><script type="module" src="/kelisim/kelisim.js"></script>`);
  const s = await openPage(env.browser, null, {
    beforeLoad: (p, context) => context.route((u) => u.pathname === "/inline.html", (route) => route.fulfill({ contentType: "text/html", body: html })),
  });
  await s.page.goto(env.server.url + "/inline.html");
  await ready(s.page);
  await s.page.evaluate(() => window.kelisim.setLanguage("ru"));
  await s.page.evaluate(() => window.kelisim.showPreferences());
  const text = await s.page.textContent('[data-kelisim="preferences"]');
  assert.ok(text.includes('Счётчики </script><img src=x onerror="window.__pwned=1"> и <b>теги</b>'), text);
  assert.equal(await s.page.evaluate(() => window.__pwned), undefined);
  assert.equal(await s.page.textContent("main p"), "Host page", "the host page is intact");
  assert.deepEqual(s.log.errors, []);
  await s.context.close();
});
