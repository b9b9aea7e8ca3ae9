// kelisim under a strict Content Security Policy: `script-src 'self' 'wasm-unsafe-eval'`
// plus the page's nonce, `style-src 'self'`, no 'unsafe-inline', no 'unsafe-eval'.
// The demo runs with no violation at all; a released inline script carries the nonce of
// the tag it replaces; one the policy refuses is marked `blocked` (not `released`) with a
// console error; without 'wasm-unsafe-eval' start() rejects naming the missing directive,
// a `kelisim:error` event fires and gated content stays held.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, openPage } from "./harness.mjs";

const env = useServerAndBrowser({ before, after });
const NONCE = "k3l1s1mN0nc3";
const STRICT = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' 'nonce-${NONCE}'`,
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
].join("; ");

/** Records every CSP violation the page sees, before any script of the page runs. */
function recordViolations(page) {
  return page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener(
      "securitypolicyviolation",
      (e) => window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample}`),
      true,
    );
  });
}

/** Serves `path` as the site would under `policy`, with `nonce` on every script tag. */
async function underPolicy(context, path, policy, rewrite = (html) => html) {
  await context.route((url) => url.pathname === path, async (route) => {
    const response = await route.fetch();
    let html = await response.text();
    html = html.replace(/<script(?![^>]*\bnonce=)/g, `<script nonce="${NONCE}"`);
    await route.fulfill({ response, body: rewrite(html), headers: { ...response.headers(), "content-security-policy": policy } });
  });
}

test("the demo under the strict policy: no violation, gated scripts released with the page's nonce", async () => {
  const { page, context, log } = await openPage(env.browser, null, {
    beforeLoad: async (page, context) => {
      await recordViolations(page);
      await underPolicy(context, "/", STRICT);
    },
  });
  await page.goto(env.server.url + "/");
  await page.waitForSelector('[data-kelisim="banner"]', { state: "visible" });
  await page.click('[data-kelisim-action="accept-all"]');
  // The demo's gated inline script (`!marketing`) is held; analytics (external) runs.
  await page.waitForSelector('script[data-src="/demo/analytics.js"][data-kelisim-state="released"]', { state: "attached" });
  await page.waitForFunction(() => document.querySelectorAll("script[src='/demo/analytics.js']").length === 1);
  // Open every view the SDK draws: each must load under the policy too.
  await page.evaluate(() => window.kelisim.showPreferences());
  await page.keyboard.press("Escape");
  await page.evaluate(() => window.kelisim.showPolicy("kk"));
  await page.waitForSelector('[data-kelisim="policy-dialog"] [data-kelisim-toc]', { state: "visible" });
  await page.keyboard.press("Escape");
  await page.waitForTimeout(100);
  assert.deepEqual(await page.evaluate(() => window.__violations), [], "CSP violations");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a released inline script runs with its nonce; one without it is marked blocked, with a console error", async () => {
  const gated = [
    `<script type="text/plain" data-kelisim-category="analytics" nonce="${NONCE}" id="with-nonce">window.ranWithNonce = true;</script>`,
    `<script type="text/plain" data-kelisim-category="analytics" id="without-nonce">window.ranWithoutNonce = true;</script>`,
  ].join("\n");
  const { page, context, log } = await openPage(env.browser, null, {
    beforeLoad: async (page, context) => {
      await recordViolations(page);
      // Added after the page's own tags got the nonce: only #with-nonce carries it.
      await underPolicy(context, "/", STRICT, (html) => html.replace("</body>", `${gated}\n</body>`));
    },
  });
  await page.goto(env.server.url + "/");
  await page.waitForSelector('[data-kelisim="banner"]', { state: "visible" });
  assert.equal(await page.evaluate(() => document.getElementById("without-nonce").nonce), "", "the test tag really has no nonce");
  await page.click('[data-kelisim-action="accept-all"]');
  await page.waitForFunction(() => window.ranWithNonce === true);
  assert.equal(await page.getAttribute("#with-nonce", "data-kelisim-state"), "released");
  await page.waitForSelector('#without-nonce[data-kelisim-state="blocked"]', { state: "attached", timeout: 5_000 });
  assert.equal(await page.evaluate(() => window.ranWithoutNonce), undefined, "the script without the nonce did not run");
  assert.ok(
    log.errors.some((m) => m.includes("kelisim:") && m.includes("Content Security Policy") && m.includes("analytics")),
    `a console error names the blocked script: ${JSON.stringify(log.errors)}`,
  );
  const violations = await page.evaluate(() => window.__violations);
  assert.equal(violations.length, 1, `only the site's own un-nonced script is refused: ${JSON.stringify(violations)}`);
  assert.match(violations[0], /^script-src-elem inline/);
  await context.close();
});

test("without 'wasm-unsafe-eval': start() rejects naming the directive, kelisim:error fires, gated content stays held", async () => {
  const policy = STRICT.replace(" 'wasm-unsafe-eval'", "");
  const { page, context, log } = await openPage(env.browser, null, {
    beforeLoad: async (page, context) => {
      await page.addInitScript(() => {
        window.__errors = [];
        addEventListener("kelisim:error", (e) => window.__errors.push(e.detail.message));
      });
      await underPolicy(context, "/", policy);
    },
  });
  await page.goto(env.server.url + "/");
  await page.waitForFunction(() => window.__errors.length > 0, null, { timeout: 10_000 });
  const errors = await page.evaluate(() => window.__errors);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], /^kelisim: .*Content Security Policy.*'wasm-unsafe-eval'.*script-src/);
  assert.ok(log.errors.some((m) => m.includes("'wasm-unsafe-eval'")), `the console names the directive: ${JSON.stringify(log.errors)}`);
  // Nothing gated ran, and the page is otherwise untouched.
  assert.equal(await page.evaluate(() => document.querySelectorAll("script[src='/demo/analytics.js']").length), 0);
  assert.equal(await page.evaluate(() => window.kelisim), undefined);
  assert.equal(await page.locator("[data-kelisim-root]").count(), 0);
  // The API rejects the same way when called directly.
  const direct = await page.evaluate(async () => {
    const { start } = await import("/kelisim/kelisim.js");
    try {
      await start({});
      return "resolved";
    } catch (e) {
      return e.message;
    }
  });
  assert.match(direct, /'wasm-unsafe-eval'/);
  await context.close();
});
