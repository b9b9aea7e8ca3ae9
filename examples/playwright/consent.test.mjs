// An example suite for a site that uses kelisim: each test starts the demo with
// a given consent (or none) and checks what the page did. It runs in CI
// (`npm test`) against the demo; the code in docs/testing.md is taken from here.
//
//   npm run build && node --test examples/playwright/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { consentCookie } from "kelisim/testing";
import {
  consentFixtures,
  seedConsent,
  openWithConsent,
  watchGatedScripts,
  gatedScripts,
  assertNoGatedScriptRanBeforeConsent,
} from "kelisim/testing/playwright";
import { startDemo, chromiumArgs, chromiumPath } from "./demo-server.mjs";

// The config the site serves (the page fetches it from /kelisim.config.json).
const config = JSON.parse(readFileSync(new URL("../../www/kelisim.config.json", import.meta.url), "utf8"));

let demo, browser;
before(async () => {
  demo = await startDemo();
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
});
after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Waits until kelisim has started on the page. */
async function started(page) {
  await page.waitForFunction(() => window.kelisim !== undefined);
  await page.waitForSelector("[data-kelisim-root]:not([hidden])", { state: "attached" });
}
const view = (page) => page.getAttribute("[data-kelisim-root]", "data-kelisim-view");
const tagState = (page, src) => page.getAttribute(`script[data-src="${src}"]`, "data-kelisim-state");

test("accept all: no banner, and the gated scripts ran", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await watchGatedScripts(page, config);
  await seedConsent(context, demo.url, config, "all");
  await page.goto(demo.url);
  await started(page);

  assert.equal(await view(page), "closed");
  await assert.rejects(page.waitForSelector('[data-kelisim="banner"]', { timeout: 500 }));
  await page.waitForSelector('script[data-src="/demo/marketing.js"][data-kelisim-state="released"]', { state: "attached" });
  // The demo's two gated scripts write a line each into the page when they run.
  await page.waitForFunction(() => ["analytics loaded", "marketing loaded"].every((t) => document.querySelector("#demo-log").textContent.includes(t)));

  const ran = await assertNoGatedScriptRanBeforeConsent(page);
  assert.deepEqual(ran.map((s) => s.src).sort(), ["/demo/analytics.js", "/demo/marketing.js"]);
  assert.ok(ran.every((s) => s.consent?.method === "accept-all"));
  await context.close();
});

test("reject all: no banner, and no gated script ran", async () => {
  const context = await browser.newContext();
  await watchGatedScripts(context, config);
  const page = await openWithConsent(context, demo.url, config, "none");
  await started(page);

  assert.equal(await view(page), "closed");
  assert.equal(await tagState(page, "/demo/analytics.js"), "held");
  assert.equal(await tagState(page, "/demo/marketing.js"), "held");
  const consent = await page.evaluate(() => window.kelisim.getConsent());
  assert.equal(consent.method, "reject-all");
  assert.deepEqual(Object.values(consent.services), [false, false, false, false]);
  // Only the tag that runs once marketing is refused (data-kelisim-category="!marketing").
  const ran = await assertNoGatedScriptRanBeforeConsent(page);
  assert.deepEqual(ran.map((s) => s.category), ["!marketing"]);
  await context.close();
});

test("no consent yet: the banner shows and no gated script ran before the visitor chose", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requested = [];
  page.on("request", (r) => requested.push(new URL(r.url()).pathname));
  await watchGatedScripts(page, config);
  await page.goto(demo.url);
  await started(page);

  await page.waitForSelector('[data-kelisim="banner"]', { state: "visible" });
  // The QA kit is Node-only: nothing of it is on the banner's path.
  assert.ok(requested.some((p) => p.endsWith("/kelisim.js")));
  assert.deepEqual(requested.filter((p) => /testing|kelisim_server|server\.js|cli\.js/.test(p)), []);
  assert.equal(await view(page), "banner");
  assert.deepEqual(await assertNoGatedScriptRanBeforeConsent(page), []);

  await page.click('[data-kelisim-action="accept-all"]');
  await page.waitForSelector('script[data-src="/demo/analytics.js"][data-kelisim-state="released"]', { state: "attached" });
  const ran = await assertNoGatedScriptRanBeforeConsent(page);
  assert.ok(ran.some((s) => s.src === "/demo/analytics.js" && s.consent.method === "accept-all"));
  await context.close();
});

test("a custom choice: exactly those categories and services", async () => {
  const choice = { categories: { analytics: true }, services: { "google-analytics": false } };
  const context = await browser.newContext();
  const page = await openWithConsent(context, demo.url, config, choice, { language: "ru" });
  await started(page);

  const consent = await page.evaluate(() => window.kelisim.getConsent());
  assert.deepEqual(consent.categories, { necessary: true, preferences: false, analytics: true, marketing: false });
  assert.deepEqual(consent.services, { "yandex-metrica": true, "google-analytics": false, "facebook-pixel": false, "vk-pixel": false });
  assert.equal(consent.language, "ru");
  assert.equal(await page.evaluate(() => window.kelisim.language), "ru");
  await page.waitForSelector('script[data-src="/demo/analytics.js"][data-kelisim-state="released"]', { state: "attached" });
  assert.equal(await tagState(page, "/demo/marketing.js"), "held");
  await context.close();
});

test("the check fails when a tracker runs before consent", async () => {
  // The same demo page with one tag written the usual wrong way: without
  // type="text/plain", so the browser runs it at once.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route(`${demo.url}/`, async (route) => {
    const html = await (await route.fetch()).text();
    const broken = html.replace('type="text/plain" data-kelisim-category="analytics" data-src=', 'data-kelisim-category="analytics" src=');
    assert.notEqual(broken, html);
    await route.fulfill({ contentType: "text/html", body: broken });
  });
  await watchGatedScripts(page, config);
  await page.goto(demo.url);
  await started(page);

  await assert.rejects(assertNoGatedScriptRanBeforeConsent(page), (e) => {
    assert.equal(e.name, "AssertionError");
    assert.match(e.message, /1 gated script\(s\) ran without a consent that allows them/);
    assert.match(e.message, /<script data-kelisim-category="analytics" src="\/demo\/analytics\.js">: no consent \(absent\)/);
    return true;
  });
  // With "none" seeded, the same tag runs against the visitor's refusal.
  await seedConsent(context, demo.url, config, "none");
  await page.reload();
  await started(page);
  const [ran] = (await gatedScripts(page)).filter((s) => s.src === "/demo/analytics.js" && s.consent);
  assert.equal(ran.allowed, false);
  assert.equal(ran.consent.categories.analytics, false);
  await assert.rejects(assertNoGatedScriptRanBeforeConsent(page), /the consent in force refuses it/);
  await context.close();
});

test("a consent from 13 months ago has expired: the banner shows again", async () => {
  const context = await browser.newContext();
  const givenAt = new Date(Date.now() - 400 * 24 * 3600 * 1000);
  const cookie = consentCookie(config, "all", { givenAt, url: demo.url });
  // The browser drops a cookie past its expiry: move the page's clock back to keep it.
  const page = await context.newPage();
  await page.clock.install({ time: givenAt.getTime() + 60_000 });
  await context.addCookies([{ ...cookie, expires: Math.floor(Date.now() / 1000) + 3600 }]);
  await page.goto(demo.url);
  await started(page);
  assert.equal(await view(page), "closed", "within 13 months: closed");
  await page.clock.setSystemTime((cookie.expires + 1) * 1000); // expires is in whole seconds
  await page.reload();
  await started(page);
  assert.equal(await view(page), "banner", "at expiresAt: asked again");
  await context.close();
});

test("the Playwright Test fixture seeds the consent option for baseURL", async () => {
  // Playwright Test calls a fixture with the fixtures it asks for and `use`;
  // here it is called the same way, for each value of the `consent` option.
  const fixtures = consentFixtures(config);
  assert.deepEqual(fixtures.consent, [undefined, { option: true }]);
  for (const [consent, expected] of [["none", "closed"], [undefined, "banner"]]) {
    const context = await browser.newContext({ baseURL: demo.url });
    const page = await context.newPage();
    let used = false;
    await fixtures.page({ context, page, consent, baseURL: demo.url }, async (page) => {
      await page.goto("/");
      await started(page);
      assert.equal(await view(page), expected);
      assert.equal(await tagState(page, "/demo/analytics.js"), "held");
      await assertNoGatedScriptRanBeforeConsent(page);
      used = true;
    });
    assert.ok(used);
    await context.close();
  }
});
