// Accessibility of every view kelisim draws: axe with the WCAG 2.2 AA rules (target size
// and contrast included) on the banner, the preferences panel, the policy dialog and the
// in-place policy view, the disclosure dialog, the iframe placeholder and the reopen
// button, in Kazakh and Russian, light and dark colour schemes, at 360 and 1280 px. Focus
// moves into each dialog and back on close; a control that gets focus is never hidden
// behind the banner; long unbroken strings wrap; the accessible names of the controls
// are the visitor's language.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, root } from "./harness.mjs";

const require = createRequire(import.meta.url);
const env = useServerAndBrowser({ before, after });
const AXE = require.resolve("axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

const sizes = { mobile: { width: 360, height: 740 }, desktop: { width: 1280, height: 800 } };
const demo = () => {
  const c = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
  delete c.receipts;
  return c;
};

/** axe's WCAG 2.2 AA violations inside `selector`, one line each. */
async function axe(page, selector) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(
    ([sel, tags]) => window.axe.run(sel, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    [selector, TAGS],
  );
  return result.violations.map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Where focus is: a short description, or null when it is on the body. */
const focused = (page) =>
  page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a === document.body) return null;
    return { tag: a.tagName, action: a.dataset.kelisimAction ?? null, inKelisim: !!a.closest("[data-kelisim-root],[data-kelisim]") };
  });

async function open(lang, viewport, colorScheme, url = lang === "kk" ? "/" : "/ru/", config = demo()) {
  const { page, context, log } = await openPage(env.browser, env.server.url + url, { viewport, config });
  await page.emulateMedia({ colorScheme, reducedMotion: "reduce" });
  return { page, context, log };
}

for (const [sizeName, viewport] of Object.entries(sizes)) {
  for (const lang of ["kk", "ru"]) {
    for (const scheme of ["light", "dark"]) {
      test(`axe WCAG 2.2 AA, every view, ${lang}, ${scheme}, ${sizeName}`, async () => {
        const { page, context, log } = await open(lang, viewport, scheme);
        await ready(page);
        assert.deepEqual(await axe(page, '[data-kelisim="banner"]'), [], "banner");

        await page.click('[data-kelisim-action="preferences"]');
        await page.waitForSelector('[data-kelisim="preferences"]', { state: "visible" });
        await page.click('[data-kelisim-section="analytics"] summary').catch(() => {});
        assert.deepEqual(await axe(page, '[data-kelisim="preferences"]'), [], "preferences panel");
        await page.keyboard.press("Escape");
        await page.waitForSelector('[data-kelisim="preferences"]', { state: "hidden" });

        await page.evaluate((l) => window.kelisim.showPolicy(l), lang);
        await page.waitForSelector('[data-kelisim="policy-dialog"] [data-kelisim-toc]', { state: "visible" });
        assert.deepEqual(await axe(page, '[data-kelisim="policy-dialog"]'), [], "policy dialog");
        await page.keyboard.press("Escape");
        await page.waitForSelector('[data-kelisim="policy-dialog"]', { state: "hidden" });

        const answer = page.evaluate(() => window.kelisim.discloseOAuth("facebook"));
        await page.waitForSelector('[data-kelisim="disclosure"]', { state: "visible" });
        assert.deepEqual(await axe(page, '[data-kelisim="disclosure"]'), [], "disclosure dialog");
        await page.keyboard.press("Escape");
        assert.equal(await answer, false, "Escape cancels the disclosure");

        await page.click('[data-kelisim="banner"] [data-kelisim-action="reject-all"]');
        await page.waitForSelector('[data-kelisim="placeholder"]', { state: "visible" });
        await page.locator('[data-kelisim="placeholder"]').first().scrollIntoViewIfNeeded();
        assert.deepEqual(await axe(page, '[data-kelisim="placeholder"]'), [], "iframe placeholder");
        await page.waitForSelector('[data-kelisim-action="open"]', { state: "visible" });
        assert.deepEqual(await axe(page, '[data-kelisim-action="open"]'), [], "reopen button");
        assert.deepEqual(log.errors, []);
        await context.close();
      });
    }

    test(`axe WCAG 2.2 AA, in-place policy view, ${lang}, ${sizeName}`, async () => {
      const { page, context, log } = await open(lang, viewport, "light", `/privacy/${lang}.html`);
      await page.waitForSelector('[data-kelisim="policy"] [data-kelisim-toc]', { state: "visible", timeout: 10_000 });
      assert.deepEqual(await axe(page, '[data-kelisim="policy"]'), [], "in-place policy view");
      assert.deepEqual(log.errors, []);
      await context.close();
    });
  }
}

test("focus moves into each dialog and returns to the control that opened it", async () => {
  const { page, context } = await open("kk", sizes.desktop, "light");
  await ready(page);
  // Preferences, opened from the banner by keyboard.
  await page.focus('[data-kelisim="banner"] [data-kelisim-action="preferences"]');
  await page.keyboard.press("Enter");
  await page.waitForSelector('[data-kelisim="preferences"]', { state: "visible" });
  assert.equal((await focused(page))?.inKelisim, true, "focus is inside the panel");
  assert.ok(await page.evaluate(() => document.querySelector('[data-kelisim="preferences"]').contains(document.activeElement)));
  await page.keyboard.press("Escape");
  await page.waitForSelector('[data-kelisim="preferences"]', { state: "hidden" });
  assert.equal((await focused(page))?.action, "preferences", "focus is back on the preferences button");

  // The policy dialog, opened from the banner's policy link.
  await page.focus('[data-kelisim="banner"] [data-kelisim-action="policy"]');
  await page.keyboard.press("Enter");
  await page.waitForSelector('[data-kelisim="policy-dialog"]', { state: "visible" });
  assert.ok(await page.evaluate(() => document.querySelector('[data-kelisim="policy-dialog"]').contains(document.activeElement)), "focus in the policy dialog");
  await page.keyboard.press("Escape");
  await page.waitForSelector('[data-kelisim="policy-dialog"]', { state: "hidden" });
  assert.equal((await focused(page))?.action, "policy", "focus is back on the policy link");

  // The disclosure dialog, opened by the site's OAuth button.
  await page.focus("#login-google");
  const answer = page.evaluate(() => window.kelisim.discloseOAuth("google"));
  await page.waitForSelector('[data-kelisim="disclosure"]', { state: "visible" });
  assert.ok(await page.evaluate(() => document.querySelector('[data-kelisim="disclosure"]').contains(document.activeElement)), "focus in the disclosure dialog");
  await page.keyboard.press("Escape");
  assert.equal(await answer, false);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "login-google", "focus is back on the site's button");
  await context.close();
});

for (const [sizeName, viewport] of Object.entries(sizes)) {
  test(`a control that gets focus is not hidden behind the banner, ${sizeName}`, async () => {
    const { page, context } = await open("ru", viewport, "light");
    await ready(page);
    await page.evaluate(() => document.activeElement?.blur());
    const hidden = [];
    // Bounded: the demo page has fewer focusable controls than this.
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press("Tab");
      const r = await page.evaluate(() => {
        const a = document.activeElement;
        if (!a || a === document.body || a.closest("[data-kelisim-root]")) return null;
        const b = a.getBoundingClientRect();
        if (b.width === 0 || b.height === 0) return null;
        const banner = document.querySelector('[data-kelisim="banner"]');
        if (!banner || banner.hidden) return null;
        const k = banner.getBoundingClientRect();
        // Entirely covered: the control's box lies inside the banner's box.
        const covered = b.left >= k.left && b.right <= k.right && b.top >= k.top && b.bottom <= k.bottom;
        return covered ? `${a.tagName} ${a.textContent.trim().slice(0, 40)}` : null;
      });
      if (r) hidden.push(r);
    }
    assert.deepEqual(hidden, [], "focused controls hidden behind the banner");
    await context.close();
  });
}

test("long unbroken strings wrap inside the banner and the panel", async () => {
  const config = demo();
  const long = "Ұ".repeat(4000);
  config.categories[1].description = { kk: long, ru: long };
  config.categories[1].title = { kk: "Т" + "қ".repeat(300), ru: "Т" + "щ".repeat(300) };
  const { page, context, log } = await open("kk", sizes.mobile, "light", "/", config);
  await ready(page);
  await page.click('[data-kelisim-action="preferences"]');
  await page.waitForSelector('[data-kelisim="preferences"]', { state: "visible" });
  const overflow = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('[data-kelisim="preferences"] *')) {
      const b = el.getBoundingClientRect();
      if (b.width > 0 && b.right > window.innerWidth + 1) out.push(`${el.tagName}.${el.className} right=${Math.round(b.right)}`);
    }
    return out.slice(0, 5);
  });
  assert.deepEqual(overflow, [], "nothing in the panel is wider than the screen");
  assert.deepEqual(log.errors, []);
  await context.close();
});

for (const [lang, expect] of [
  ["kk", { accept: /Барлығын қабылдау|қабылдау/i, dialog: /cookie/i }],
  ["ru", { accept: /Принять все|Принять/i, dialog: /cookie/i }],
]) {
  test(`screen-reader names come from the accessibility tree in ${lang}`, async () => {
    const { page, context } = await open(lang, sizes.desktop, "light");
    await ready(page);
    const banner = page.getByRole("dialog").or(page.getByRole("region")).filter({ has: page.locator('[data-kelisim-action="accept-all"]') }).first();
    const snapshot = await page.locator('[data-kelisim="banner"]').ariaSnapshot();
    assert.match(snapshot, expect.dialog, `the banner's name is read out:\n${snapshot}`);
    assert.ok(await banner.count(), "the banner is exposed as a dialog or region");
    const accept = page.getByRole("button", { name: expect.accept });
    assert.ok((await accept.count()) >= 1, `an accept button named in ${lang}:\n${snapshot}`);
    // Every button in the banner has a non-empty accessible name in the page's language
    // (Cyrillic letters, not ids or English).
    const names = await page.evaluate(() =>
      [...document.querySelectorAll('[data-kelisim="banner"] button')].map((b) => (b.getAttribute("aria-label") || b.textContent).trim()),
    );
    for (const n of names) assert.match(n, /[\u0400-\u04FF]/, `button name "${n}" is in ${lang}`);
    await page.click('[data-kelisim-action="preferences"]');
    const prefs = await page.locator('[data-kelisim="preferences"]').ariaSnapshot();
    assert.match(prefs, /switch|checkbox/, `category switches are exposed:\n${prefs}`);
    assert.doesNotMatch(prefs, /checkbox ""|switch ""|button ""/, `no control without a name:\n${prefs}`);
    await context.close();
  });
}
