// Countries data go to are named in the visitor's language (the browser's
// Intl.DisplayNames), in the disclosure dialog and the panel's list of third
// parties; the ISO code stays in the config and in receipts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, root } from "./harness.mjs";

const env = useServerAndBrowser({ before, after });
const config = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
// The facebook log-in sends data to the declared party "meta".
const facebook = config.thirdParties.find((p) => p.id === "meta");

for (const [lang, url] of [["ru", "/ru/"], ["kk", "/"]]) {
  test(`the disclosure dialog names the country in ${lang}, not its code`, async () => {
    const { page, context, log } = await openPage(env.browser, env.server.url + url);
    await ready(page);
    // What this browser calls the country in that language (the code where it has no names in it).
    const expected = await page.evaluate(
      ([l, code]) => (Intl.DisplayNames.supportedLocalesOf([l]).length ? new Intl.DisplayNames([l], { type: "region" }).of(code) : code),
      [lang, facebook.country],
    );
    const answer = page.evaluate(() => window.kelisim.discloseOAuth("facebook"));
    await page.waitForSelector('[data-kelisim="disclosure"]', { state: "visible" });
    const values = await page.$$eval('[data-kelisim="disclosure"] .kelisim-facts dd', (dds) => dds.map((d) => d.textContent));
    assert.ok(values.includes(expected), `the dialog shows "${expected}": ${JSON.stringify(values)}`);
    if (lang === "ru") {
      assert.ok(!values.includes(facebook.country), `no bare ISO code in Russian: ${JSON.stringify(values)}`);
      assert.match(expected, /[\u0400-\u04FF]/, "a Russian name");
    }
    await page.keyboard.press("Escape");
    assert.equal(await answer, false);
    // The panel's list of third parties uses the same name.
    await page.evaluate(() => window.kelisim.showPreferences());
    const listed = await page.$$eval('[data-kelisim="preferences"] .kelisim-facts dd', (dds) => dds.map((d) => d.textContent));
    assert.ok(listed.includes(expected), `the panel lists "${expected}": ${JSON.stringify(listed)}`);
    assert.deepEqual(log.errors, []);
    await context.close();
  });
}
