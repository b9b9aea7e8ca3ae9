// End-to-end tests of consent gating in headless Chromium: gated scripts and
// embeds, clearing on withdrawal, Google Consent Mode, Global Privacy Control,
// and several tabs. The "third-party" files are served from a second
// 127.0.0.1 port that records every request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync, existsSync, mkdtempSync, writeFileSync, copyFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { root, startServer, launch, openPage, ready, consentCookie } from "./harness.mjs";
import { demoConfig, decodeCookie } from "./consent.mjs";

const env = { server: undefined, browser: undefined, tp: undefined };

/** A static server for tests/fixtures/third-party/ on port 0 that logs request paths. */
function startThirdParty() {
  const dir = path.join(root, "tests/fixtures/third-party");
  const log = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    log.push(url.pathname);
    const file = path.join(dir, path.basename(url.pathname));
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith(".js") ? "text/javascript" : "text/html";
    // `?slow` delays the answer so that order is decided by the page, not the network.
    setTimeout(() => res.writeHead(200, { "content-type": type, "access-control-allow-origin": "*" }).end(readFileSync(file)), url.searchParams.has("slow") ? 300 : 0);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({ origin, log, count: (name) => log.filter((p) => p === `/${name}`).length, stop: () => new Promise((r) => server.close(r)) });
    });
  });
}

// The test pages are served by the real collector from a temporary folder (a page
// that Playwright fulfils itself has no address space, and Chromium then refuses
// its requests to the loopback "third-party" server).
let site;
before(async () => {
  env.tp = await startThirdParty();
  site = mkdtempSync(path.join(tmpdir(), "kelisim-gate-"));
  writeFileSync(path.join(site, "gate.html"), gatePage(env.tp.origin, { gtag: true }));
  writeFileSync(path.join(site, "gate-plain.html"), gatePage(env.tp.origin, { gtag: false }));
  copyFileSync(path.join(root, "www/kelisim.config.json"), path.join(site, "kelisim.config.json"));
  env.server = await startServer(["--www", site]);
  env.browser = await launch();
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
  await env.tp?.stop();
  if (site) rmSync(site, { recursive: true, force: true });
});

/** The demo config plus a "media" category for embeds and what withdrawal clears. */
function gateConfig(extra = {}) {
  const c = demoConfig();
  // Receipts need crypto.subtle, which the mapped http://app.kelisim.test host (not a secure
  // context) lacks; receipts have their own suites.
  delete c.receipts;
  c.categories.push({
    id: "media",
    title: { kk: "Сыртқы мазмұн", ru: "Внешний контент" },
    description: { kk: "Бейне және карталар.", ru: "Видео и карты." },
    services: [{ id: "video-host", title: { kk: "Бейнехостинг", ru: "Видеохостинг" }, description: { kk: "Бейне.", ru: "Видео." } }],
  });
  const analytics = c.categories.find((x) => x.id === "analytics");
  analytics.cookies = ["_ga", "_ga_*", "_ym_*"];
  analytics.storage = ["_ym_*"];
  c.consentMode = { enabled: true, waitForUpdate: 500 };
  return { ...c, ...extra };
}

function gatePage(tp, { gtag = true } = {}) {
  return `<!doctype html><html lang="kk"><head><meta charset="utf-8"><title>gate</title>
<script>window.__ran = [];${gtag ? " window.dataLayer = window.dataLayer || []; function gtag(){ dataLayer.push(arguments); }" : ""}</script>
<script type="module" src="/kelisim/kelisim.js" data-config="/kelisim.config.json"></script>
<script type="text/plain" data-kelisim-category="necessary">__ran.push("necessary@" + (window.dataLayer || []).length)</script>
<script type="text/plain" data-kelisim-category="analytics" data-src="${tp}/a1.js?slow"></script>
<script type="text/plain" data-kelisim-category="analytics">__ran.push("i1")</script>
<script type="text/plain" data-kelisim-category="analytics" data-kelisim-service="yandex-metrica" data-src="${tp}/ym.js" crossorigin="anonymous" data-extra="kept"></script>
<script type="text/plain" data-kelisim-category="analytics" data-kelisim-service="google-analytics" data-src="${tp}/ga.js"></script>
<script type="text/plain" data-kelisim-category="marketing" data-src="${tp}/m1.js" async></script>
<script type="text/plain" data-kelisim-category="!marketing">__ran.push("no-marketing")</script>
<script type="text/plain" data-kelisim-category="nope">__ran.push("never")</script>
</head><body><main><h1>Gate</h1>
<iframe data-kelisim-category="media" data-kelisim-service="video-host" data-src="${tp}/frame.html" width="480" height="270" title="video"></iframe>
</main></body></html>`;
}

/** Opens the gate page at `base` (the collector's origin, or a host mapped to it). */
async function visitGate({ base = env.server.url, config = gateConfig(), browser = env.browser, context, init, gtag } = {}) {
  const s = await openPage(browser, null, {
    config,
    beforeLoad: async (p) => {
      if (init) await p.addInitScript(init);
    },
  });
  await s.page.goto(`${base}/${gtag === false ? "gate-plain" : "gate"}.html`);
  await ready(s.page);
  return s;
}

const ran = (page) => page.evaluate(() => window.__ran);
const consentCommands = (page) =>
  page.evaluate(() => (window.dataLayer || []).map((e) => Array.from(e)).filter((e) => e[0] === "consent"));
const tpScripts = (log) => log.filter((p) => p.endsWith(".js"));

test("scripts run only with consent, in document order, once each, whatever the sequence of decisions", async () => {
  env.tp.log.length = 0;
  const { page, context, log } = await visitGate();
  // Before any decision: only the required category's inline script ran, after Consent Mode's default.
  assert.deepEqual(await ran(page), ["necessary@1"]);
  assert.deepEqual(tpScripts(env.tp.log), [], "no request reached a gated script's URL");
  assert.equal(await page.getAttribute('script[data-src$="a1.js?slow"]', "data-kelisim-state"), "held");
  assert.equal(await page.getAttribute('script[data-kelisim-category="nope"]', "data-kelisim-state"), "invalid");
  assert.ok(log.warnings.some((w) => w.includes('data-kelisim-category="nope"')), "an unknown id is named in a warning");

  // Accepting analytics releases exactly the analytics scripts, in document order
  // (the slow external a1 before the inline i1 below it); marketing is refused by
  // that decision, so the `!marketing` script runs too.
  await page.evaluate(() => kelisim.setConsent({ categories: { analytics: true } }));
  await page.waitForFunction(() => window.__ran.includes("no-marketing"));
  assert.deepEqual(await ran(page), ["necessary@1", "a1", "i1", "ym", "ga", "no-marketing"]);
  assert.deepEqual(tpScripts(env.tp.log).sort(), ["/a1.js", "/ga.js", "/ym.js"]);
  // The live copy keeps the other attributes and is ordered (not async).
  const copy = await page.$eval(`script[src="${env.tp.origin}/ym.js"]`, (s) => [s.getAttribute("crossorigin"), s.dataset.extra, s.async, s.type, s.hasAttribute("data-src")]);
  assert.deepEqual(copy, ["anonymous", "kept", false, "", false]);

  // Accepting everything then runs marketing (async).
  await page.evaluate(() => kelisim.acceptAll());
  await page.waitForFunction(() => window.__ran.includes("m1"));
  assert.equal(await page.$eval(`script[src="${env.tp.origin}/m1.js"]`, (s) => s.async), true, "async kept");
  // Reject, accept, reject, accept: nothing runs twice.
  for (const call of ["rejectAll", "acceptAll", "withdraw", "acceptAll"]) {
    await page.evaluate((c) => kelisim[c](), call);
  }
  // One live copy per released tag (copies are made synchronously on each decision).
  const copies = await page.evaluate(() => [...document.querySelectorAll("script[data-kelisim-category]:not([type])")].map((s) => s.src.split("/").pop() || s.text));
  assert.deepEqual(copies, ['__ran.push("necessary@" + (window.dataLayer || []).length)', "a1.js?slow", '__ran.push("i1")', "ym.js", "ga.js", "m1.js", '__ran.push("no-marketing")']);
  assert.deepEqual(await ran(page), ["necessary@1", "a1", "i1", "ym", "ga", "no-marketing", "m1"]);
  for (const f of ["a1.js", "ym.js", "ga.js", "m1.js"]) assert.equal(env.tp.count(f), 1, f);
  assert.equal(env.tp.count("late.js"), 0);
  assert.deepEqual(log.errors, []);
  await context.close();

  // "Reject all" on a first visit runs only the `!marketing` script.
  env.tp.log.length = 0;
  const r = await visitGate();
  await r.page.click('[data-kelisim-action="reject-all"]');
  await r.page.waitForFunction(() => window.__ran.includes("no-marketing"));
  assert.deepEqual(await ran(r.page), ["necessary@1", "no-marketing"]);
  assert.deepEqual(tpScripts(env.tp.log), []);
  await r.context.close();
});

test("Consent Mode: default before any gated tag, update at load and after every decision", async () => {
  const { page, context, log } = await visitGate();
  const denied = { ad_storage: "denied", ad_user_data: "denied", ad_personalization: "denied", analytics_storage: "denied", functionality_storage: "denied", personalization_storage: "denied" };
  let cmds = await consentCommands(page);
  assert.deepEqual(cmds, [["consent", "default", { ...denied, security_storage: "granted", wait_for_update: 500 }]]);
  assert.equal(await page.evaluate(() => window.dataLayer[0][1]), "default", "the first entry of the dataLayer");

  await page.evaluate(() => kelisim.setConsent({ categories: { analytics: true, preferences: true } }));
  cmds = await consentCommands(page);
  assert.deepEqual(cmds.at(-1), ["consent", "update", { ...denied, analytics_storage: "granted", functionality_storage: "granted", personalization_storage: "granted" }]);
  await page.evaluate(() => kelisim.acceptAll());
  assert.deepEqual((await consentCommands(page)).at(-1)[2], Object.fromEntries(Object.keys(denied).map((k) => [k, "granted"])));
  await page.evaluate(() => kelisim.rejectAll());
  assert.deepEqual((await consentCommands(page)).at(-1), ["consent", "update", denied]);
  assert.equal((await consentCommands(page)).length, 4);

  // On the next load: default, then update from the stored consent, before any gated script.
  await page.evaluate(() => kelisim.setConsent({ categories: { marketing: true } }));
  await page.reload();
  await ready(page);
  cmds = await consentCommands(page);
  assert.deepEqual(cmds.map((c) => c[1]), ["default", "update"]);
  assert.deepEqual(cmds[1][2], { ...denied, ad_storage: "granted", ad_user_data: "granted", ad_personalization: "granted" });
  assert.deepEqual(log.errors, []);
  await context.close();

  // Without window.gtag, the same commands are pushed to dataLayer as arrays.
  const s = await visitGate({ gtag: false, config: gateConfig({ consentMode: { regions: ["KZ"], mapping: { analytics_storage: "yandex-metrica" } } }) });
  const first = await s.page.evaluate(() => [Array.isArray(window.dataLayer[0]), window.dataLayer[0]]);
  assert.deepEqual(first, [true, ["consent", "default", { ...denied, security_storage: "granted", region: ["KZ"] }]]);
  await s.page.evaluate(() => kelisim.setConsent({ services: { "yandex-metrica": true } }));
  assert.equal((await consentCommands(s.page)).at(-1)[2].analytics_storage, "granted");
  await s.context.close();
});

test("elements added after start are gated; an embed shows its placeholder and loads after allow once or allow always", async () => {
  env.tp.log.length = 0;
  const { page, context, log } = await visitGate();
  const add = (src) => page.evaluate((src) => {
    const s = document.createElement("script");
    s.type = "text/plain";
    s.dataset.kelisimCategory = "analytics";
    s.dataset.src = src;
    document.body.append(s);
  }, src);
  await add(`${env.tp.origin}/late.js`);
  await page.waitForSelector('script[data-src$="late.js"][data-kelisim-state="held"]', { state: "attached" });
  assert.equal(env.tp.count("late.js"), 0);

  // The embed: hidden, no request, a placeholder in the visitor's language.
  const ph = '[data-kelisim="placeholder"]';
  assert.equal(await page.$eval("iframe", (f) => [f.hidden, f.getAttribute("src")].join()), "true,");
  assert.equal(env.tp.count("frame.html"), 0);
  assert.equal(await page.textContent(`${ph} strong`), "Бейнехостинг");
  assert.equal(await page.textContent(`${ph} [data-kelisim-action="allow-once"]`), "Бір рет рұқсат ету");
  assert.equal(await page.textContent(`${ph} [data-kelisim-action="allow-always"]`), "Әрдайым рұқсат ету");
  await page.click('[data-kelisim="banner"] [data-kelisim-lang="ru"]');
  assert.equal(await page.textContent(`${ph} [data-kelisim-action="allow-once"]`), "Разрешить один раз");
  assert.equal(await page.getAttribute(ph, "lang"), "ru");

  await page.click(`${ph} [data-kelisim-action="allow-once"]`);
  await page.waitForSelector(ph, { state: "detached" });
  assert.equal(await page.$eval("iframe", (f) => [f.hidden, f.getAttribute("src")].join()), `false,${env.tp.origin}/frame.html`);
  await page.waitForFunction(() => document.querySelector("iframe").contentDocument === null); // cross-origin: loaded
  assert.equal(env.tp.count("frame.html"), 1);
  assert.equal(await page.evaluate(() => kelisim.getConsent()), null, "allow once records nothing");

  // Accepting analytics releases the script added earlier; one added now runs at once.
  await page.evaluate(() => kelisim.setConsent({ categories: { analytics: true } }));
  await page.waitForFunction(() => window.__ran.includes("late"));
  await page.evaluate(() => { window.__ran = window.__ran.filter((x) => x !== "late"); });
  await add(`${env.tp.origin}/late.js?again`);
  await page.waitForFunction(() => window.__ran.includes("late"));
  assert.equal(env.tp.count("late.js"), 2);

  // Next page: the placeholder again; "allow always" accepts the service.
  await page.reload();
  await ready(page);
  await page.click(`${ph} [data-kelisim-action="allow-always"]`);
  await page.waitForSelector(ph, { state: "detached" });
  const consent = await page.evaluate(() => kelisim.getConsent());
  assert.equal(consent.services["video-host"], true);
  assert.equal(consent.categories.media, true);
  assert.equal(consent.categories.analytics, true, "earlier choices kept");
  await page.reload();
  await ready(page);
  assert.equal(await page.$(ph), null, "no placeholder once accepted");
  assert.equal(await page.getAttribute("iframe", "data-kelisim-state"), "released");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("withdrawal deletes the listed cookies (host, parent domain, other paths) and storage keys", async () => {
  const mapped = await launch(["--host-resolver-rules=MAP *.kelisim.test 127.0.0.1"]);
  try {
    const port = new URL(env.server.url).port;
    const base = `http://app.kelisim.test:${port}`;
    const config = gateConfig({ cookiePaths: ["/shop"] });
    const { page, context, log } = await visitGate({ base, browser: mapped, config });
    await page.evaluate(() => kelisim.acceptAll());
    await page.evaluate(() => {
      document.cookie = "_ga=parent; Domain=kelisim.test; Path=/";
      document.cookie = "_ga_K2=host; Path=/";
      document.cookie = "_ym_uid=sub; Domain=app.kelisim.test; Path=/";
      document.cookie = "keep=1; Domain=kelisim.test; Path=/";
      document.cookie = "session_id=s; Path=/";
      localStorage.setItem("_ym_retryReqs", "x");
      localStorage.setItem("keep_me", "y");
    });
    // A cookie under another path, which this page cannot see.
    await context.addCookies([{ name: "_ga", value: "shop", domain: "app.kelisim.test", path: "/shop" }]);
    const names = async () => (await context.cookies()).map((c) => `${c.name}@${c.domain}${c.path}`).sort();
    assert.deepEqual(await names(), [
      "_ga@.kelisim.test/", "_ga@app.kelisim.test/shop", "_ga_K2@app.kelisim.test/", "_ym_uid@.app.kelisim.test/",
      "kelisim@app.kelisim.test/", "keep@.kelisim.test/", "session_id@app.kelisim.test/",
    ].sort());
    // Refusing preferences alone clears nothing of analytics'.
    await page.evaluate(() => kelisim.setConsent({ categories: { preferences: false } }));
    assert.equal((await names()).length, 7);

    await page.evaluate(() => kelisim.setConsent({ categories: { analytics: false } }));
    assert.deepEqual(await names(), ["kelisim@app.kelisim.test/", "keep@.kelisim.test/", "session_id@app.kelisim.test/"].sort());
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).sort()), ["keep_me"]);
    assert.deepEqual(log.errors, []);
    await context.close();

    // reloadOnWithdrawal: the page reloads after a withdrawal, and only then.
    const r = await visitGate({ base, browser: mapped, config: gateConfig({ reloadOnWithdrawal: true }) });
    await r.page.evaluate(() => kelisim.acceptAll());
    await r.page.evaluate(() => { window.__mark = 1; kelisim.setConsent({ categories: { analytics: true } }); });
    assert.equal(await r.page.evaluate(() => window.__mark), 1, "no reload when nothing was withdrawn");
    const reloaded = r.page.waitForEvent("load");
    await r.page.evaluate(() => { kelisim.withdraw(); }).catch(() => {});
    await reloaded;
    await ready(r.page);
    assert.equal(await r.page.evaluate(() => window.__mark), undefined, "reloaded");
    assert.equal((await r.page.evaluate(() => kelisim.getConsent())).method, "withdraw");
    await r.context.close();
  } finally {
    await mapped.close();
  }
});

test("Global Privacy Control: sharing starts off, the banner says so, the consent records it", async () => {
  const gpc = () => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true, configurable: true });
  const { page, context, log } = await visitGate({ init: gpc });
  const notice = '[data-kelisim="banner"] [data-kelisim="gpc"]';
  assert.match(await page.textContent(notice), /Global Privacy Control/);
  assert.match(await page.textContent(notice), /ескердік/);
  await page.click('[data-kelisim-lang="ru"]');
  assert.match(await page.textContent(notice), /Мы его учли/);
  await page.click('[data-kelisim-action="preferences"]');
  assert.equal(await page.isChecked('input[data-kelisim-category="marketing"]'), false);
  // "Accept all" under the signal leaves selling and sharing off, and records that.
  await page.click('[data-kelisim="preferences"] [data-kelisim-action="accept-all"]');
  let c = await page.evaluate(() => kelisim.getConsent());
  assert.deepEqual([c.method, c.gpc, c.categories.analytics, c.categories.marketing, c.services["facebook-pixel"]], ["accept-all", true, true, false, false]);
  let cookie = decodeCookie((await consentCookie(context)).value);
  assert.deepEqual([cookie.version, cookie.gpc], [2, true]);
  assert.equal((await consentCommands(page)).at(-1)[2].ad_storage, "denied");
  await page.waitForFunction(() => window.__ran.includes("no-marketing"));
  // An explicit later choice is respected and recorded as such.
  await page.click('[data-kelisim-action="open"]');
  await page.check('input[data-kelisim-category="marketing"]');
  await page.click('[data-kelisim="preferences"] [data-kelisim-action="save"]');
  c = await page.evaluate(() => kelisim.getConsent());
  assert.deepEqual([c.method, c.gpc, c.categories.marketing], ["custom", false, true]);
  cookie = decodeCookie((await consentCookie(context)).value);
  assert.equal(cookie.gpc, false);
  await page.waitForFunction(() => window.__ran.includes("m1"));
  assert.deepEqual(log.errors, []);
  await context.close();

  // Without the signal: no notice, and "accept all" accepts marketing.
  const s = await visitGate();
  assert.equal(await s.page.$('[data-kelisim="gpc"]'), null);
  await s.page.click('[data-kelisim-action="accept-all"]');
  c = await s.page.evaluate(() => kelisim.getConsent());
  assert.deepEqual([c.gpc, c.categories.marketing], [false, true]);
  await s.context.close();
});

for (const [name, init] of [
  ["BroadcastChannel", undefined],
  ["the storage event (no BroadcastChannel)", () => { delete window.BroadcastChannel; }],
]) {
  test(`a decision in one tab applies in the others without a reload, through ${name}`, async () => {
    const one = await visitGate({ init });
    const context = one.context;
    const two = await context.newPage();
    const errors = [];
    two.on("pageerror", (e) => errors.push(e.message));
    if (init) await two.addInitScript(init);
    await two.addInitScript(() => {
      window.__changes = [];
      addEventListener("kelisim:change", (e) => window.__changes.push(e.detail.changed));
    });
    await two.goto(`${env.server.url}/gate.html`);
    await ready(two);
    assert.ok(await two.$('[data-kelisim="banner"]'));
    assert.deepEqual(await ran(two), ["necessary@1"]);

    await one.page.click('[data-kelisim-action="preferences"]');
    await one.page.check('input[data-kelisim-category="analytics"]');
    await one.page.click('[data-kelisim="preferences"] [data-kelisim-action="save"]');
    // The other tab closes its banner, runs the newly allowed scripts and fires kelisim:change.
    await two.waitForSelector('[data-kelisim="banner"]', { state: "detached" });
    await two.waitForFunction(() => window.__ran.includes("no-marketing"));
    assert.deepEqual(await ran(two), ["necessary@1", "a1", "i1", "ym", "ga", "no-marketing"]);
    assert.deepEqual(await two.evaluate(() => window.__changes), [["necessary", "analytics", "yandex-metrica", "google-analytics"]]);
    assert.deepEqual(await two.evaluate(() => kelisim.getConsent()), await one.page.evaluate(() => kelisim.getConsent()));

    // Accepting everything in tab two releases marketing in tab one.
    await two.evaluate(() => kelisim.acceptAll());
    await one.page.waitForFunction(() => window.__ran.includes("m1"));
    assert.equal(await one.page.evaluate(() => kelisim.accepted("marketing")), true);
    assert.deepEqual([...one.log.errors, ...errors], []);
    await context.close();
  });
}

test("the demo site gates its own scripts and map, in Kazakh and Russian", async () => {
  const demo = await startServer();
  try {
    for (const [path, ranKk] of [["/", "Аналитика скрипті жүктелді"], ["/ru/", "Скрипт аналитики загружен"]]) {
      const { page, context, log } = await openPage(env.browser, demo.url + path);
      await ready(page);
      assert.deepEqual(await page.$$eval("#demo-log li", (l) => l.length), 0, "nothing ran before a decision");
      assert.ok(await page.$('[data-kelisim="placeholder"]'), "the map waits behind a placeholder");
      await page.click('[data-kelisim="banner"] [data-kelisim-action="reject-all"]');
      await page.waitForFunction(() => document.querySelectorAll("#demo-log li").length === 1);
      await page.click('[data-kelisim-action="open"]');
      await page.click('[data-kelisim="preferences"] [data-kelisim-action="accept-all"]');
      await page.waitForFunction(() => document.querySelectorAll("#demo-log li").length === 3);
      const lines = await page.$$eval("#demo-log li", (l) => l.map((x) => x.textContent));
      assert.ok(lines.some((l) => l.startsWith(ranKk)), lines.join(" | "));
      assert.equal(await page.$('[data-kelisim="placeholder"]'), null, "the map loads once preferences are accepted");
      assert.equal(await page.getAttribute(".contacts__map", "src"), "/demo/map.html");
      assert.deepEqual(log.errors, []);
      await context.close();
    }
  } finally {
    await demo.stop();
  }
});
