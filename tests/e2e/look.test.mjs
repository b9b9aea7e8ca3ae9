// Screenshots of every state in both languages at mobile and desktop widths
// (written to tests/screenshots/, git-ignored), layout checks, and an axe scan.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, screenshotDir } from "./harness.mjs";

const require = createRequire(import.meta.url);
const env = useServerAndBrowser({ before, after });

const sizes = { mobile: { width: 360, height: 740 }, desktop: { width: 1280, height: 800 } };

async function axe(page) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const result = await page.evaluate(() => window.axe.run("[data-kelisim-root]", { resultTypes: ["violations"] }));
  return result.violations.map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

for (const [sizeName, viewport] of Object.entries(sizes)) {
  for (const [lang, url] of [["kk", "/"], ["ru", "/ru/"]]) {
    test(`banner and preferences, ${lang}, ${sizeName}: fit the screen, no axe violations`, async () => {
      const { page, context, log } = await openPage(env.browser, env.server.url + url, { viewport });
      await ready(page);
      const dir = screenshotDir();
      const box = await page.locator('[data-kelisim="banner"]').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `banner fits horizontally: ${JSON.stringify(box)}`);
      assert.ok(box.y >= 0 && box.y + box.height <= viewport.height, `banner fits vertically: ${JSON.stringify(box)}`);
      // The three choices carry equal visual weight: same size and colours.
      const looks = await page.$$eval('[data-kelisim="banner"] .kelisim-actions button', (bs) =>
        bs.map((b) => { const s = getComputedStyle(b); return [s.backgroundColor, s.color, s.fontWeight, s.fontSize, Math.round(b.getBoundingClientRect().height)].join("|"); }));
      assert.equal(looks.length, 3);
      assert.equal(new Set(looks).size, 1, `buttons differ: ${looks}`);
      // Host styles (uppercase pill buttons) do not leak in.
      assert.equal(await page.$eval('[data-kelisim-action="accept-all"]', (b) => getComputedStyle(b).textTransform), "none");
      await page.screenshot({ path: path.join(dir, `banner-${lang}-${sizeName}.png`) });
      assert.deepEqual(await axe(page), [], "axe on the banner");

      await page.click('[data-kelisim-action="preferences"]');
      await page.click('[data-kelisim-section="analytics"] summary');
      const dialog = await page.locator('[data-kelisim="preferences"]').boundingBox();
      assert.ok(dialog.width <= viewport.width && dialog.height <= viewport.height, `panel fits: ${JSON.stringify(dialog)}`);
      await page.screenshot({ path: path.join(dir, `preferences-${lang}-${sizeName}.png`) });
      assert.deepEqual(await axe(page), [], "axe on the panel");

      await page.click('[data-kelisim="preferences"] [data-kelisim-action="save"]');
      await page.screenshot({ path: path.join(dir, `reopen-${lang}-${sizeName}.png`) });
      assert.deepEqual(log.errors, []);
      await context.close();
    });
  }
}
