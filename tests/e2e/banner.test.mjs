// End-to-end tests of the banner on the demo site, in real headless Chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, openPage, ready, consentCookie } from "./harness.mjs";
import { demoConfig, decodeCookie, plus13Months, textLines, BLANK } from "./consent.mjs";

const env = useServerAndBrowser({ before, after });

const KK_TITLE = "Біз cookie файлдарын пайдаланамыз";
const RU_TITLE = "Мы используем файлы cookie";
const banner = '[data-kelisim="banner"]';
const prefs = '[data-kelisim="preferences"]';

async function visit(path = "/", opts = {}) {
  const s = await openPage(env.browser, env.server.url + path, opts);
  await ready(s.page);
  return s;
}

function noErrors(log) {
  assert.deepEqual(log.errors, [], "console errors");
}

test("first visit shows the banner in Kazakh for lang=kk and in Russian for lang=ru", async () => {
  const kk = await visit("/");
  assert.equal(await kk.page.textContent(`${banner} h2`), KK_TITLE);
  assert.equal(await kk.page.getAttribute("[data-kelisim-root]", "lang"), "kk");
  assert.equal(await kk.page.textContent('[data-kelisim-action="accept-all"]'), "Барлығын қабылдау");
  noErrors(kk.log);
  await kk.context.close();

  const ru = await visit("/ru/");
  assert.equal(await ru.page.textContent(`${banner} h2`), RU_TITLE);
  assert.equal(await ru.page.textContent('[data-kelisim-action="reject-all"]'), "Отклонить все");
  assert.equal(await ru.page.getAttribute(`${banner} a[data-kelisim-action="policy"]`, "href"), "/privacy/ru.html");
  noErrors(ru.log);
  await ru.context.close();
});

test("kelisim:ready fires once with the instance, after the banner is in the page", async () => {
  const s = await openPage(env.browser, null, {
    beforeLoad: (p) => p.addInitScript(() => {
      window.__ready = [];
      addEventListener("kelisim:ready", (e) => window.__ready.push({
        same: e.detail === window.kelisim,
        banner: !!document.querySelector('[data-kelisim="banner"]'),
        lang: e.detail.language,
      }));
    }),
  });
  await s.page.goto(env.server.url + "/");
  await ready(s.page);
  assert.deepEqual(await s.page.evaluate(() => window.__ready), [{ same: true, banner: true, lang: "kk" }]);
  noErrors(s.log);
  await s.context.close();
});

test("navigator.languages decides when <html> has no usable lang; the config default otherwise", async () => {
  const page = (lang) => `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>t</title><script type="module" src="/kelisim/kelisim.js" data-config="/kelisim.config.json"></script></head><body><p>x</p></body></html>`;
  for (const [htmlLang, locale, want] of [["en", "ru-RU", "ru"], ["en", "kk-KZ", "kk"], ["de", "en-US", "kk"]]) {
    const s = await openPage(env.browser, null, {
      locale,
      beforeLoad: (_, ctx) => ctx.route(`${env.server.url}/__lang.html`, (r) => r.fulfill({ contentType: "text/html", body: page(htmlLang) })),
    });
    await s.page.goto(`${env.server.url}/__lang.html`);
    await ready(s.page);
    assert.equal(await s.page.evaluate(() => window.kelisim.language), want, `${htmlLang} + ${locale}`);
    await s.context.close();
  }
});

test("switching language changes every visible text, in place, and is remembered", async () => {
  const { page, context, log } = await visit("/");
  const before = await textLines(page, banner);
  await page.click('[data-kelisim-lang="ru"]');
  const after = await textLines(page, banner);
  assert.equal(after.length, before.length);
  const langNames = new Set(["Қазақша", "Русский"]);
  for (let i = 0; i < before.length; i++) {
    if (langNames.has(before[i])) continue;
    assert.notEqual(after[i], before[i], `"${before[i]}" did not change`);
  }
  assert.equal(await page.textContent(`${banner} h2`), RU_TITLE);
  assert.equal(await page.getAttribute('[data-kelisim-lang="ru"]', "aria-pressed"), "true");
  assert.equal(await page.evaluate(() => window.kelisim.language), "ru");

  // The panel switches too, keeping unsaved switch states.
  await page.click('[data-kelisim-action="preferences"]');
  await page.check('input[data-kelisim-category="analytics"]');
  const prefsRu = await textLines(page, prefs);
  await page.click(`${prefs} [data-kelisim-lang="kk"]`);
  const prefsKk = await textLines(page, prefs);
  assert.ok(prefsKk.includes("Cookie файлдарының баптаулары") && prefsRu.includes("Настройки файлов cookie"));
  const config = demoConfig();
  for (const c of config.categories) {
    assert.ok(prefsKk.some((l) => l.includes(c.title.kk)), `kk title of ${c.id}`);
    assert.ok(prefsRu.some((l) => l.includes(c.title.ru)), `ru title of ${c.id}`);
  }
  assert.equal(await page.isChecked('input[data-kelisim-category="analytics"]'), true, "draft kept across the switch");

  // Remembered on the next page, even one whose <html lang> says otherwise.
  await page.goto(env.server.url + "/ru/");
  await ready(page);
  assert.equal(await page.textContent(`${banner} h2`), KK_TITLE);
  noErrors(log);
  await context.close();
});

for (const [action, expectCats] of [
  ["accept-all", { necessary: true, preferences: true, analytics: true, marketing: true }],
  ["reject-all", { necessary: true, preferences: false, analytics: false, marketing: false }],
]) {
  test(`${action} writes a 13-month cookie that decodes to the choice, and survives a reload`, async () => {
    const { page, context, log } = await visit("/");
    const events = page.evaluate(() => new Promise((r) => addEventListener("kelisim:consent", (e) => r(e.detail), { once: true })));
    await page.click(`[data-kelisim-action="${action}"]`);
    const detail = await events;
    await page.waitForSelector(banner, { state: "detached" });
    const consent = await page.evaluate(() => window.kelisim.getConsent());
    assert.deepEqual(detail, consent, "kelisim:consent detail is the consent");
    assert.equal(consent.method, action);
    assert.deepEqual(consent.categories, expectCats);

    const cookie = await consentCookie(context);
    const decoded = decodeCookie(cookie.value);
    assert.deepEqual(decoded.categories, expectCats);
    assert.deepEqual(decoded.services, consent.services);
    assert.equal(decoded.id, consent.id);
    assert.match(consent.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const given = Date.parse(consent.givenAt);
    assert.equal(decoded.givenAt, given);
    assert.equal(Date.parse(consent.expiresAt), plus13Months(given));
    // Max-Age = seconds until expiresAt (the browser turns it into an expiry date).
    assert.ok(Math.abs(cookie.expires - plus13Months(given) / 1000) < 5, `cookie expires ${cookie.expires}`);
    assert.equal(cookie.path, "/");
    assert.equal(cookie.sameSite, "Lax");
    assert.equal(cookie.httpOnly, false);

    await page.reload();
    await ready(page);
    assert.equal(await page.$(banner), null, "no banner after reload");
    assert.ok(await page.$('[data-kelisim-action="open"]'), "reopen button");
    assert.deepEqual(await page.evaluate(() => window.kelisim.getConsent()), consent);
    noErrors(log);
    await context.close();
  });
}

test("a custom choice in the panel is saved per category and per service", async () => {
  const { page, context, log } = await visit("/");
  await page.click('[data-kelisim-action="preferences"]');
  await page.waitForSelector(prefs);
  assert.equal(await page.isChecked('input[data-kelisim-category="necessary"]'), true);
  assert.equal(await page.isDisabled('input[data-kelisim-category="necessary"]'), true);
  for (const id of ["preferences", "analytics", "marketing"]) {
    assert.equal(await page.isChecked(`input[data-kelisim-category="${id}"]`), false, `${id} starts unticked`);
  }
  await page.check('input[data-kelisim-category="analytics"]');
  await page.click(`[data-kelisim-section="analytics"] summary`);
  assert.equal(await page.isChecked('input[data-kelisim-service="google-analytics"]'), true, "category sets its services");
  await page.uncheck('input[data-kelisim-service="google-analytics"]');
  await page.click(`[data-kelisim-section="marketing"] summary`);
  await page.check('input[data-kelisim-service="vk-pixel"]');
  assert.equal(await page.isChecked('input[data-kelisim-category="marketing"]'), true, "a service turns its category on");
  await page.click(`${prefs} [data-kelisim-action="save"]`);
  await page.waitForSelector(prefs, { state: "detached" });

  const consent = await page.evaluate(() => window.kelisim.getConsent());
  assert.equal(consent.method, "custom");
  assert.deepEqual(consent.categories, { necessary: true, preferences: false, analytics: true, marketing: true });
  assert.deepEqual(consent.services, { "yandex-metrica": true, "google-analytics": false, "facebook-pixel": false, "vk-pixel": true });
  const decoded = decodeCookie((await consentCookie(context)).value);
  assert.deepEqual(decoded.categories, consent.categories);
  assert.deepEqual(decoded.services, consent.services);
  const cookie = await consentCookie(context);
  assert.ok(Math.abs(cookie.expires - plus13Months(Date.parse(consent.givenAt)) / 1000) < 5);
  assert.equal(await page.evaluate(() => [kelisim.accepted("analytics"), kelisim.accepted("google-analytics"), kelisim.accepted("vk-pixel")].join()), "true,false,true");

  // Reopen shows the saved state; a change fires kelisim:change with what changed.
  await page.click('[data-kelisim-action="open"]');
  assert.equal(await page.isChecked('input[data-kelisim-service="vk-pixel"]'), true);
  const change = page.evaluate(() => new Promise((r) => addEventListener("kelisim:change", (e) => r(e.detail), { once: true })));
  await page.uncheck('input[data-kelisim-category="marketing"]');
  await page.click(`${prefs} [data-kelisim-action="save"]`);
  const detail = await change;
  assert.deepEqual(detail.changed.sort(), ["marketing", "vk-pixel"]);
  assert.equal(detail.consent.categories.marketing, false);
  noErrors(log);
  await context.close();
});

test("the banner returns once the page clock passes expiresAt (13 months, clamped)", async () => {
  const { page, context, log } = await openPage(env.browser, null, {
    beforeLoad: (p) => p.clock.install({ time: new Date("2025-01-31T10:00:00Z") }),
  });
  await page.goto(env.server.url + "/");
  await ready(page);
  await page.click('[data-kelisim-action="accept-all"]');
  const consent = await page.evaluate(() => window.kelisim.getConsent());
  // The installed clock runs on from 10:00:00, so compare to the second.
  assert.match(consent.givenAt, /^2025-01-31T10:00:0\d\.\d{3}Z$/);
  assert.equal(consent.expiresAt.slice(0, 19), "2026-02-28T" + consent.givenAt.slice(11, 19));
  const expiresAt = Date.parse(consent.expiresAt);
  const cookie = await consentCookie(context);
  const maxAge = cookie.expires - Date.now() / 1000;
  assert.ok(Math.abs(maxAge - 393 * 86400) < 10, `Max-Age ≈ 393 days, got ${maxAge / 86400} days`);

  await page.clock.setSystemTime(new Date(expiresAt - 1500));
  await page.reload();
  await ready(page);
  assert.equal(await page.$(banner), null, "still valid one second before");
  assert.equal((await page.evaluate(() => window.kelisim.getConsent())).id, consent.id);

  await page.clock.setSystemTime(new Date(expiresAt));
  await page.reload();
  await ready(page);
  assert.ok(await page.$(banner), "banner at expiresAt");
  assert.equal(await page.evaluate(() => window.kelisim.getConsent()), null);

  // Renewal keeps the pseudonymous subject and never extends by revisiting.
  await page.click('[data-kelisim-action="reject-all"]');
  const renewed = await page.evaluate(() => window.kelisim.getConsent());
  assert.equal(renewed.subject, consent.subject);
  assert.notEqual(renewed.id, consent.id);
  assert.equal(renewed.expiresAt.slice(0, 10), "2027-03-28"); // 13 months after the renewal, not after the first consent
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a revision bump or a new category brings the banner back", async () => {
  const config = demoConfig();
  const { page, context, log } = await visit("/", { config });
  await page.click('[data-kelisim-action="accept-all"]');
  const first = await page.evaluate(() => window.kelisim.getConsent());
  assert.equal(first.revision, config.policy.revision);

  await context.unroute("**/kelisim.config.json");
  const bumped = structuredClone(config);
  bumped.policy.revision += 1;
  await context.route("**/kelisim.config.json", (r) => r.fulfill({ contentType: "application/json", body: JSON.stringify(bumped) }));
  await page.reload();
  await ready(page);
  assert.ok(await page.$(banner), "banner after the revision bump");
  await page.click('[data-kelisim-action="accept-all"]');
  const second = await page.evaluate(() => window.kelisim.getConsent());
  assert.equal(second.revision, config.policy.revision + 1);
  assert.equal(second.subject, first.subject);

  await context.unroute("**/kelisim.config.json");
  const grown = structuredClone(bumped);
  grown.categories.push({ id: "support-chat", title: { kk: "Қолдау чаты", ru: "Чат поддержки" }, description: { kk: "Онлайн кеңесші.", ru: "Онлайн-консультант." } });
  await context.route("**/kelisim.config.json", (r) => r.fulfill({ contentType: "application/json", body: JSON.stringify(grown) }));
  await page.reload();
  await ready(page);
  assert.ok(await page.$(banner), "banner after a new category");
  noErrors(log);
  await context.close();
});

test("a corrupt or tampered cookie brings the banner back with no uncaught error", async () => {
  const { page, context, log } = await visit("/");
  await page.click('[data-kelisim-action="reject-all"]');
  const good = (await consentCookie(context)).value;
  const values = [
    "garbage",
    "1.%%%..",
    good.replace("analytics:0", "analytics:1"), // tampered: checksum no longer matches
    good.slice(0, good.length - 12), // truncated
    "9" + good.slice(1), // unknown version
    "x".repeat(3000),
  ];
  for (const value of values) {
    await context.addCookies([{ name: "kelisim", value, url: env.server.url }]);
    await page.reload();
    await ready(page);
    assert.ok(await page.$(banner), `banner for ${value.slice(0, 30)}`);
    assert.equal(await page.evaluate(() => window.kelisim.getConsent()), null);
    assert.equal(await page.evaluate(() => window.kelisim.accepted("analytics")), false);
  }
  assert.deepEqual(log.errors, []);
  assert.ok(log.warnings.some((w) => w.includes("kelisim: ignored an unreadable consent cookie")), "a warning explains it");
  // Deciding again replaces the bad cookie.
  await page.click('[data-kelisim-action="accept-all"]');
  assert.equal(decodeCookie((await consentCookie(context)).value).categories.analytics, true);
  await context.close();
});

test("a bad config rejects start() with the field named and leaves the page untouched", async () => {
  const bad = demoConfig();
  delete bad.categories[2].title.kk;
  const s = await openPage(env.browser, null, {
    beforeLoad: (_, ctx) => ctx.route(`${env.server.url}/__blank.html`, (r) => r.fulfill({ contentType: "text/html", body: BLANK })),
  });
  await s.page.goto(`${env.server.url}/__blank.html`);
  const snapshot = () => s.page.evaluate(() => document.documentElement.outerHTML);
  const before = await snapshot();
  const result = await s.page.evaluate(async (config) => {
    const { start } = await import("/kelisim/kelisim.js");
    try {
      await start(config);
      return "resolved";
    } catch (e) {
      return `${e instanceof Error}:${e.message}`;
    }
  }, bad);
  assert.equal(result, "true:kelisim: invalid config: categories[2].title.kk: missing");
  assert.equal(await snapshot(), before, "document unchanged");
  assert.equal(await s.page.evaluate(() => window.kelisim), undefined);

  // Other kinds of bad input: each error names the field, nothing is added.
  const cases = [
    [{ ...demoConfig(), colour: "red" }, "colour: unknown field"],
    [{ ...demoConfig(), policy: { ...demoConfig().policy, revision: "2" } }, "policy.revision: expected a whole number"],
    [null, "config: expected an object, got null"],
    [{ ...demoConfig(), policy: { ...demoConfig().policy, url: { kk: "javascript:window.__pwned=1", ru: "/p" } } }, "policy.url.kk: must be an http(s) or relative URL"],
  ];
  for (const [config, message] of cases) {
    const msg = await s.page.evaluate(async (config) => {
      const { start } = await import("/kelisim/kelisim.js");
      return start(config).then(() => "resolved", (e) => e.message);
    }, config);
    assert.ok(msg.includes(message), `${msg} should include ${message}`);
  }
  assert.equal(await snapshot(), before, "document unchanged");
  assert.deepEqual(s.log.errors, []);
  await s.context.close();

  // The one-tag embed logs the same error to the console and adds nothing.
  const t = await openPage(env.browser, env.server.url + "/", { config: bad });
  await t.page.waitForFunction(() => true);
  await t.page.waitForTimeout(500);
  assert.equal(await t.page.$("[data-kelisim-root]"), null);
  assert.equal(await t.page.$("link[data-kelisim-css]"), null);
  await t.page.waitForFunction(() => document.readyState === "complete");
  assert.ok(t.log.errors.some((e) => e.includes("categories[2].title.kk: missing")), JSON.stringify(t.log.errors));
  await t.context.close();

  // Broken JSON is reported as such.
  const j = await openPage(env.browser, env.server.url + "/", { config: "{not json" });
  await j.page.waitForTimeout(500);
  assert.ok(j.log.errors.some((e) => e.includes("is not valid JSON")), JSON.stringify(j.log.errors));
  await j.context.close();
});

test("keyboard only: Tab, Enter, Space and Escape complete every flow", async () => {
  const { page, context, log } = await visit("/");
  const active = () => page.evaluate(() => {
    const a = document.activeElement;
    return a?.getAttribute("data-kelisim-action") ?? a?.getAttribute("data-kelisim-category") ?? a?.getAttribute("data-kelisim-lang") ?? a?.tagName;
  });
  async function tabTo(want, max = 40) {
    for (let i = 0; i < max; i++) {
      if ((await active()) === want) return;
      await page.keyboard.press("Tab");
    }
    throw new Error(`Tab never reached ${want}`);
  }
  // The banner comes first in the tab order.
  await page.keyboard.press("Tab");
  assert.equal(await active(), "kk");
  await tabTo("preferences", 8);
  await page.keyboard.press("Enter");
  await page.waitForSelector(prefs);
  assert.ok(await page.evaluate(() => document.activeElement.matches('input[data-kelisim-category="preferences"]')), "focus on the first switch");
  // Escape closes the panel and returns to the banner.
  await page.keyboard.press("Escape");
  await page.waitForSelector(prefs, { state: "detached" });
  assert.ok(await page.$(banner));
  assert.equal(await active(), "preferences", "focus back on the settings button");
  await page.keyboard.press("Enter");
  await page.waitForSelector(prefs);
  await tabTo("analytics");
  await page.keyboard.press("Space");
  assert.equal(await page.isChecked('input[data-kelisim-category="analytics"]'), true);
  await tabTo("save");
  await page.keyboard.press("Enter");
  await page.waitForSelector(prefs, { state: "detached" });
  let consent = await page.evaluate(() => window.kelisim.getConsent());
  assert.equal(consent.categories.analytics, true);
  assert.equal(consent.categories.marketing, false);
  assert.equal(await active(), "open", "focus lands on the reopen button");

  // Reopen with Space, withdraw with "reject all" via Enter.
  await page.keyboard.press("Space");
  await page.waitForSelector(prefs);
  await tabTo("reject-all");
  await page.keyboard.press("Enter");
  await page.waitForSelector(prefs, { state: "detached" });
  consent = await page.evaluate(() => window.kelisim.getConsent());
  assert.equal(consent.categories.analytics, false);

  // Accept all from the banner with the keyboard.
  await page.evaluate(() => window.kelisim.reset());
  await page.waitForSelector(banner);
  await page.focus('[data-kelisim-lang="kk"]');
  await tabTo("accept-all", 6);
  await page.keyboard.press("Space");
  await page.waitForSelector(banner, { state: "detached" });
  assert.equal((await page.evaluate(() => window.kelisim.getConsent())).method, "accept-all");
  noErrors(log);
  await context.close();
});

test("the JS API: setConsent, accepted, withdraw, reset, show/hide, setLanguage, errors", async () => {
  const { page, context, log } = await visit("/");
  const r = await page.evaluate(() => {
    const k = window.kelisim;
    const out = {};
    const c = k.setConsent({ categories: { analytics: true }, services: { "google-analytics": false } });
    out.custom = [c.method, c.categories.analytics, c.services["yandex-metrica"], c.services["google-analytics"]];
    out.accepted = [k.accepted("analytics"), k.accepted("google-analytics"), k.accepted("nope")];
    try { k.setConsent({ categories: { nope: true } }); } catch (e) { out.unknown = e.message; }
    try { k.setConsent({ categories: { analytics: "yes" } }); } catch (e) { out.type = e.message; }
    try { k.setLanguage("en"); } catch (e) { out.lang = e.message; }
    const w = k.withdraw();
    out.withdraw = [w.method, w.categories.analytics, w.categories.necessary];
    k.showPreferences();
    out.prefsOpen = !!document.querySelector('[data-kelisim="preferences"][open]');
    k.hide();
    out.hidden = !document.querySelector('[data-kelisim="preferences"]') && !!document.querySelector('[data-kelisim-action="open"]');
    k.showBanner();
    out.banner = !!document.querySelector('[data-kelisim="banner"]');
    k.setLanguage("ru");
    out.ru = document.querySelector('[data-kelisim="banner"] h2').textContent;
    k.reset();
    out.reset = [k.getConsent(), document.cookie.includes("kelisim="), !!document.querySelector('[data-kelisim="banner"]')];
    return out;
  });
  assert.deepEqual(r.custom, ["custom", true, true, false], "a named category sets its services unless they are named");
  assert.deepEqual(r.accepted, [true, false, false]);
  assert.equal(r.unknown, 'kelisim: unknown category or service: "nope"');
  assert.equal(r.type, "kelisim: categories.analytics: expected true or false, got a string");
  assert.equal(r.lang, 'kelisim: language "en" is not supported (kk, ru)');
  assert.deepEqual(r.withdraw, ["withdraw", false, true]);
  assert.ok(r.prefsOpen && r.hidden && r.banner);
  assert.equal(r.ru, RU_TITLE);
  assert.deepEqual(r.reset, [null, false, true]);
  const again = await page.evaluate(async () => {
    const { start } = await import("/kelisim/kelisim.js");
    return start({}).then(() => "resolved", (e) => e.message);
  });
  assert.match(again, /already called/);
  noErrors(log);
  await context.close();
});

test("hostile strings in the config are shown as text, never parsed as HTML", async () => {
  const config = demoConfig();
  config.categories[1].title.kk = '<img src=x onerror="window.__pwned=1">Баптау';
  config.categories[1].description.kk = "<script>window.__pwned=2</script>";
  config.controller.name.kk = '"><svg onload="window.__pwned=3">';
  const { page, context, log } = await visit("/", { config });
  await page.click('[data-kelisim-action="preferences"]');
  const text = await page.textContent(prefs);
  assert.ok(text.includes('<img src=x onerror="window.__pwned=1">Баптау'));
  assert.ok(text.includes("<script>window.__pwned=2</script>"));
  assert.equal(await page.$(`${prefs} img, ${prefs} script, ${prefs} svg`), null);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  noErrors(log);
  await context.close();
});
