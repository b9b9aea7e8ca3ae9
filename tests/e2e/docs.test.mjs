// The README's embed, run as written: its one tag, its config and its gated script, on a
// page served by the collector, in headless Chromium. A change to the README's examples
// that stops them working fails here.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, root } from "./harness.mjs";
import { blocks } from "../unit/markdown.mjs";

const env = useServerAndBrowser({ before, after });
const readme = blocks(readFileSync(path.join(root, "README.md"), "utf8"));
const html = readme.filter((b) => b.lang === "html").map((b) => b.code);
const config = JSON.parse(readme.find((b) => b.lang === "json").code);
const tag = html.find((h) => h.includes("data-config="));
const gated = html.find((h) => h.includes('type="text/plain"'));

test("the README's tag, config and gated script work as the README says", async () => {
  assert.ok(tag && gated, "README.md lost its embed examples");
  const body = `<!doctype html><html lang="kk"><head><meta charset="utf-8">${tag}</head><body><h1>README</h1>${gated}</body></html>`;
  const { context, page, log } = await openPage(env.browser, null, {
    config,
    beforeLoad: async (p, ctx) => {
      await ctx.route((u) => u.pathname === "/readme.html", (route) => route.fulfill({ contentType: "text/html", body }));
      // The gated script's file: it records that it ran.
      await ctx.route((u) => u.pathname === "/analytics.js", (route) => route.fulfill({ contentType: "text/javascript", body: "window.__analytics = true;" }));
    },
  });
  try {
    await page.goto(`${env.server.url}/readme.html`);
    await ready(page);
    // The banner shows, in Kazakh (the page's language).
    const banner = page.locator('[data-kelisim="banner"]');
    await banner.waitFor({ state: "visible" });
    assert.equal(await page.locator('[data-kelisim-lang="kk"]').first().getAttribute("aria-pressed"), "true");
    const held = page.locator('script[type="text/plain"][data-kelisim-category="analytics"]');
    assert.equal(await held.getAttribute("data-kelisim-state"), "held");
    assert.equal(await page.evaluate(() => window.__analytics === true), false);

    await page.click('[data-kelisim-action="accept-all"]');
    await page.waitForFunction(() => window.__analytics === true, null, { timeout: 5_000 });
    assert.equal(await held.getAttribute("data-kelisim-state"), "released");
    // The README's npm example: accepted() and the kelisim:change event.
    assert.equal(await page.evaluate(() => window.kelisim.accepted("analytics")), true);
    const changed = await page.evaluate(
      () =>
        new Promise((resolve) => {
          addEventListener("kelisim:change", (e) => resolve(e.detail.changed), { once: true });
          window.kelisim.rejectAll();
        }),
    );
    assert.deepEqual(changed, ["analytics"]);
    assert.deepEqual(log.errors, []);
  } finally {
    await context.close();
  }
});
