// What the page downloads, and when: the entry, the wasm module and the
// stylesheet are requested together (no request waits on another), and parts
// loaded on first use are not requested before.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, openPage, ready } from "./harness.mjs";

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
  assert.deepEqual(seen.map((s) => s.url).filter((u) => u.endsWith(".js") && u.startsWith("/kelisim/")), ["/kelisim/kelisim.js"]);
  assert.deepEqual(log.errors, []);
  await context.close();
});
