// What the page downloads, and when: the entry, the wasm module and the
// stylesheet are requested together (no request waits on another), and parts
// loaded on first use are not requested before.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, root } from "./harness.mjs";

const env = useServerAndBrowser({ before, after });

/** Records every request of a page: [{url, at}] (ms since the first). */
function recordRequests(page) {
  const seen = [];
  page.on("request", (r) => seen.push({ url: new URL(r.url()).pathname, at: Date.now() }));
  return seen;
}

test("the wasm module and the stylesheet are requested while the config is still downloading", async () => {
  let answered = false;
  const served = [];
  const { context, page, log } = await openPage(env.browser, null, {
    beforeLoad: async (page, context) => {
      // Hold the config back: anything requested before it is answered came
      // from the entry alone, not from a later step.
      await context.route("**/kelisim.config.json", async (route) => {
        await new Promise((r) => setTimeout(r, 800));
        served.push(...seen.map((s) => s.url));
        answered = true;
        await route.fallback();
      });
    },
  });
  const seen = recordRequests(page);
  await page.goto(env.server.url + "/");
  await ready(page);
  assert.ok(answered);
  assert.ok(served.includes("/kelisim/kelisim_core_bg.wasm"), `requested before the config was answered: ${served}`);
  assert.ok(served.includes("/kelisim/kelisim.css"), `requested before the config was answered: ${served}`);
  // The glue is inside the entry: no second script before the module.
  const upToModule = seen.slice(0, seen.findIndex((s) => s.url === "/kelisim/kelisim_core_bg.wasm"));
  assert.deepEqual(upToModule.map((s) => s.url).filter((u) => u.endsWith(".js") && u.startsWith("/kelisim/")), ["/kelisim/kelisim.js"]);
  assert.deepEqual(log.errors, []);
  await context.close();
});

const isPolicyPart = (u) => /\/kelisim_policy(_bg\.wasm|\.js|\.css)$/.test(u);
const policyLink = '[data-kelisim="banner"] [data-kelisim-action="policy"]';

test("a first visit requests no part loaded on first use; the policy view arrives when the link is reached", async () => {
  const { context, page, log } = await openPage(env.browser, null);
  const seen = recordRequests(page);
  await page.goto(env.server.url + "/");
  await ready(page);
  await page.waitForLoadState("networkidle");
  await page.waitForTimeout(500); // idle time: nothing is fetched ahead on idle either
  assert.deepEqual(seen.map((s) => s.url).filter(isPolicyPart), [], "nothing of the policy view before use");
  // The pointer reaching the link starts the download, ahead of the click.
  const requested = page.waitForRequest((r) => r.url().endsWith("/kelisim/kelisim_policy_bg.wasm"));
  await page.hover(policyLink);
  await requested;
  await page.click(policyLink);
  await page.waitForSelector('[data-kelisim="policy-dialog"] [data-kelisim-clause]');
  assert.deepEqual(seen.map((s) => s.url).filter(isPolicyPart).sort(), [
    "/kelisim/kelisim_policy.css",
    "/kelisim/kelisim_policy.js",
    "/kelisim/kelisim_policy_bg.wasm",
  ]);
  // Styled by its own stylesheet: the dialog has its width, not a bare <dialog>'s.
  assert.equal(await page.$eval('[data-kelisim="policy-dialog"]', (d) => getComputedStyle(d).padding), "0px");
  // The link was held while the module loaded: the page did not navigate.
  assert.equal(new URL(page.url()).pathname, "/");
  assert.deepEqual(log.errors, []);
  await context.close();
});

/** Serves `html` at `path` of the test server's origin, and `/slow.js` (a parser-blocking script) after 1.5 s. */
const servePage = (path, html) => async (page, context) => {
  await context.route(`**${path}`, (route) => route.fulfill({ contentType: "text/html; charset=utf-8", body: html }));
  await context.route("**/slow.js", async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.fulfill({ contentType: "text/javascript", body: "window.__slowRan = true;" });
  });
};

test("an async tag in <head>, config after it: the module downloads while the page still parses, and kelisim starts once it is parsed", async () => {
  const demo = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
  delete demo.receipts;
  const config = JSON.stringify(demo).replace(/</g, "\\u003c");
  const html = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>async</title>
<script type="module" async src="/kelisim/kelisim.js"></script>
<script type="application/json" id="kelisim-config">${config}</script>
<script src="/slow.js"></script>
</head><body><p>page</p>
<script type="text/plain" data-kelisim-category="necessary">window.__necessary = true;</script>
<script>window.__wasmBeforeParsed = performance.getEntriesByType("resource").some((e) => e.name.endsWith("/kelisim/kelisim_core_bg.wasm"));</script>
</body></html>`;
  const { context, page, log } = await openPage(env.browser, null, { beforeLoad: servePage("/async.html", html) });
  await page.goto(env.server.url + "/async.html");
  await ready(page);
  assert.equal(await page.evaluate(() => window.__slowRan), true);
  assert.equal(await page.evaluate(() => window.__wasmBeforeParsed), true, "the wasm module was requested before the parser reached the end of the page");
  assert.equal(await page.getAttribute("[data-kelisim-root]", "lang"), "ru");
  assert.ok(await page.$('[data-kelisim="banner"]'));
  assert.equal(await page.evaluate(() => window.__necessary), true, "the gated script after the tag was released");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("an async tag with no config leaves the page as it was; start() then works as usual", async () => {
  const html = `<!doctype html><html lang="kk"><head><meta charset="utf-8"><title>no config</title>
<script type="module" async src="/kelisim/kelisim.js"></script>
<script src="/slow.js"></script>
</head><body><p>page</p></body></html>`;
  const { context, page, log } = await openPage(env.browser, null, { beforeLoad: servePage("/bare.html", html) });
  await page.goto(env.server.url + "/bare.html");
  await page.waitForLoadState("networkidle");
  assert.equal(await page.$("link[data-kelisim-css]"), null, "no stylesheet left behind");
  assert.equal(await page.$("[data-kelisim-root]"), null);
  assert.equal(await page.evaluate(() => window.kelisim), undefined);
  const config = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
  delete config.receipts;
  await page.evaluate(async (config) => {
    const { start } = await import("/kelisim/kelisim.js");
    await start(config);
  }, config);
  await ready(page);
  assert.ok(await page.$('[data-kelisim="banner"]'));
  assert.deepEqual(log.errors, []);
  await context.close();
});

const notFound = { status: 404, body: "not found" };
const notWasm = { status: 200, contentType: "application/wasm", body: "this is not a wasm module" };
for (const [what, file, answer] of [
  ["wasm module answering 404", "kelisim_policy_bg.wasm", notFound],
  ["glue answering 404", "kelisim_policy.js", notFound],
  ["wasm module not compiling", "kelisim_policy_bg.wasm", notWasm],
]) {
  test(`the policy view's ${what}: a message in the visitor's language, the URL on the console, the banner still works`, async () => {
    let blocked = true;
    for (const [path, lang, message] of [
      ["/", "kk", "Бұл бөлім жүктелмеді"],
      ["/ru/", "ru", "Этот раздел не загрузился"],
    ]) {
      const { context, page, log } = await openPage(env.browser, null, {
        beforeLoad: (page, context) =>
          context.route(`**/kelisim/${file}`, (route) => (blocked ? route.fulfill(answer) : route.fallback())),
      });
      await page.goto(env.server.url + path);
      await ready(page);
      await page.click(policyLink);
      const alert = await page.waitForSelector('[data-kelisim="banner"] [data-kelisim-error][role="alert"]');
      assert.equal(await alert.getAttribute("lang"), lang);
      assert.ok((await alert.textContent()).includes(message), await alert.textContent());
      assert.equal(new URL(page.url()).pathname, path, "the link did not navigate");
      assert.ok(log.errors.some((e) => e.includes(`/kelisim/${file}`)), `the console names the URL: ${JSON.stringify(log.errors)}`);
      assert.ok(!log.errors.some((e) => e.startsWith("uncaught")), JSON.stringify(log.errors));
      // The API's promise rejects with the same cause.
      const rejected = await page.evaluate(() => window.kelisim.showPolicy().then(() => "resolved", (e) => e.message));
      assert.ok(rejected.includes(`/kelisim/${file}`), rejected);
      // The message links to the policy page, and so does the policy link from now on.
      const page_ = await alert.$eval("a", (a) => a.getAttribute("href"));
      assert.equal(page_, await page.$eval(policyLink, (a) => a.getAttribute("href")));
      const held = await page.$eval(policyLink, (a) => {
        let prevented;
        window.addEventListener("click", (e) => {
          prevented = e.defaultPrevented;
          e.preventDefault(); // stay on the page
        }, { once: true });
        a.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, button: 0 }));
        return prevented;
      });
      assert.equal(held, false, "after a failed load the policy link is a plain link");
      // The banner still works.
      await page.click('[data-kelisim-action="accept-all"]');
      await page.waitForSelector('[data-kelisim-action="open"]');
      assert.equal(await page.evaluate(() => window.kelisim.accepted("analytics")), true);
      // The next use tries again, and succeeds once the file is there.
      blocked = false;
      await page.evaluate(() => window.kelisim.showPolicy());
      await page.waitForSelector('[data-kelisim="policy-dialog"] [data-kelisim-clause]');
      blocked = true;
      await context.close();
    }
  });
}

test("a returning visitor with a valid consent requests no part loaded on first use", async () => {
  const { context, page, log } = await openPage(env.browser, env.server.url + "/");
  await ready(page);
  await page.click('[data-kelisim-action="accept-all"]');
  await page.waitForSelector('[data-kelisim-action="open"]');
  const seen = recordRequests(page);
  await page.reload();
  await ready(page);
  await page.waitForLoadState("networkidle");
  assert.equal(await page.$('[data-kelisim="banner"]'), null, "no banner: the consent is valid");
  assert.deepEqual(seen.map((s) => s.url).filter(isPolicyPart), []);
  assert.deepEqual(log.errors, []);
  await context.close();
});
