// End-to-end tests of consent receipts from the SDK in headless Chromium, delivered
// to the real collector (POST /v1/receipts) and read back from it
// (GET /v1/receipts?subject=), including an outage (503s, the collector
// stopped and restarted on the same database) behind a small proxy.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, startServer } from "./harness.mjs";
import { demoConfig } from "./consent.mjs";

const env = useServerAndBrowser({ before, after });
const withReceipts = (receipts) => ({ ...demoConfig(), receipts });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function visit(url, opts = {}) {
  const s = await openPage(env.browser, url, opts);
  await ready(s.page);
  await recordEvents(s.page);
  return s;
}

/** Collects `kelisim:receipt` details in `window.__receipts` (per page load). */
async function recordEvents(page) {
  await page.evaluate(() => {
    window.__receipts = [];
    addEventListener("kelisim:receipt", (e) => window.__receipts.push(e.detail));
  });
}

async function stored(base, subject) {
  const r = await fetch(`${base}/v1/receipts?subject=${subject}`);
  assert.equal(r.status, 200);
  return (await r.json()).receipts;
}

/** Polls the collector until `want` receipts are stored for `subject` (deadline, not a timed assertion). */
async function storedAtLeast(base, subject, want, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const list = await stored(base, subject);
    if (list.length >= want || Date.now() > end) return list;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const subjectOf = (page) => page.evaluate(() => window.kelisim.getConsent().subject);

function assertChain(list, n) {
  assert.equal(list.length, n, "one stored receipt per decision");
  assert.deepEqual(list.map((e) => e.receipt.kelisim.chain.seq), Array.from({ length: n }, (_, i) => i + 1));
  assert.deepEqual(list.map((e) => e.chain), Array(n).fill("ok"), "every link verified by the collector");
  assert.equal(new Set(list.map((e) => e.receipt.consentReceiptID)).size, n);
}

test("every decision in the banner, the panel and the API stores one valid, chained receipt", async () => {
  const { page, context, log } = await visit(env.server.url + "/ru/", { config: withReceipts({ endpoint: "/v1/receipts" }) });
  await page.click('[data-kelisim-action="accept-all"]');
  await page.click('[data-kelisim-action="open"]');
  await page.uncheck('input[data-kelisim-category="marketing"]');
  await page.click('[data-kelisim-action="save"]');
  await page.click('[data-kelisim-action="open"]');
  await page.click(`[data-kelisim="preferences"] [data-kelisim-action="reject-all"]`);
  await page.evaluate(() => window.kelisim.setConsent({ services: { "yandex-metrica": true } }));
  await page.evaluate(() => window.kelisim.withdraw());
  await page.evaluate(() => window.kelisim.flush());
  assert.deepEqual(await page.evaluate(() => window.kelisim.pendingReceipts()), []);

  const subject = await subjectOf(page);
  const list = await stored(env.server.url, subject);
  assertChain(list, 5);
  const r = list.map((e) => e.receipt);
  assert.deepEqual(r.map((x) => x.collectionMethod), ["banner: accept all", "preferences: save", "preferences: reject all", "api: setConsent()", "api: withdraw()"]);
  assert.deepEqual(r.map((x) => x.kelisim.event), ["given", "updated", "updated", "updated", "withdrawn"]);
  assert.deepEqual(r.map((x) => x.kelisim.consent.method), ["accept-all", "custom", "reject-all", "custom", "withdraw"]);
  assert.equal(r[0].kelisim.chain.prev, null);
  for (const x of r) {
    assert.equal(x.version, "KI-CR-v1.1.0");
    assert.equal(x.jurisdiction, "KZ");
    assert.equal(x.language, "ru");
    assert.equal(x.piiPrincipalId, subject);
    assert.match(x.consentReceiptID, UUID);
    assert.equal(x.policyUrl, `${env.server.url}/privacy/ru.html`, "absolute, in the receipt's language");
    assert.equal(x.piiControllers[0].phone, "tel:+7-727-355-14-20");
    assert.equal(x.kelisim.law94v.operator.bin, "210540019876");
  }
  assert.deepEqual(r[0].kelisim.law94v.crossBorderCountries, ["RU", "US"]);
  assert.equal(r[1].kelisim.consent.categories.marketing, false);
  assert.deepEqual(r[2].kelisim.law94v.crossBorderCountries, [], "reject all: nothing leaves Kazakhstan");
  assert.deepEqual(r[3].kelisim.law94v.crossBorderCountries, ["RU"], "only Yandex Metrica");
  // The page heard about each one.
  const events = await page.evaluate(() => window.__receipts);
  assert.deepEqual(events.map((e) => [e.id, e.status, e.httpStatus]), r.map((x) => [x.consentReceiptID, "sent", 201]));
  assert.deepEqual(log.errors, []);
  await context.close();
});

/**
 * A proxy for /v1/: `mode` "503" answers 503 itself, "down" drops the
 * connection, "up" forwards to `upstream`. Everything else goes to `site`.
 */
function proxy(site) {
  const p = { mode: "up", upstream: undefined, attempts: 0, url: undefined, server: undefined };
  p.server = http.createServer((req, res) => {
    const api = req.url.startsWith("/v1/");
    if (api && req.method === "POST") p.attempts++;
    if (api && p.mode === "503") return res.writeHead(503, { "content-type": "text/plain" }).end("busy");
    if (api && p.mode === "down") return req.socket.destroy();
    const target = new URL(req.url, api ? p.upstream : site);
    const out = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    out.on("error", () => req.socket.destroy());
    req.pipe(out);
  });
  return new Promise((resolve) =>
    p.server.listen(0, "127.0.0.1", () => {
      p.url = `http://127.0.0.1:${p.server.address().port}`;
      resolve(p);
    }),
  );
}

test("through 503s, a stopped and a restarted collector, clicks and reloads: every receipt is stored once, chains intact", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kelisim-outage-"));
  const db = ["--db", path.join(dir, "receipts.sqlite3")];
  let collector = await startServer(db);
  const p = await proxy(env.server.url);
  p.upstream = collector.url;
  try {
    const config = withReceipts({ endpoint: "/v1/receipts" });
    p.mode = "503";
    const { page, context, log } = await visit(p.url + "/", { config });
    await page.click('[data-kelisim-action="accept-all"]');
    const retry = await page.waitForFunction(() => window.__receipts.find((e) => e.status === "retrying"), null, { timeout: 10_000 });
    assert.equal((await retry.jsonValue()).httpStatus, 503);
    await page.click('[data-kelisim-action="open"]');
    await page.uncheck('input[data-kelisim-category="analytics"]');
    await page.click('[data-kelisim-action="save"]');
    const pending = await page.evaluate(() => window.kelisim.pendingReceipts());
    assert.deepEqual(pending.map((e) => [e.status, e.receipt.kelisim.chain.seq]), [["pending", 1], ["pending", 2]]);
    assert.ok(pending[0].attempts >= 1);
    assert.equal(pending[1].receipt.kelisim.chain.prev.length, 64, "chained while the first is still unsent");

    // The collector goes away; the visitor reloads and decides again.
    p.mode = "down";
    await collector.stop();
    await page.reload();
    await ready(page);
    await recordEvents(page);
    await page.waitForFunction(() => window.__receipts.some((e) => e.status === "retrying" && e.httpStatus === undefined), null, { timeout: 10_000 });
    await page.evaluate(() => window.kelisim.rejectAll());
    await page.reload();
    await ready(page);
    await page.evaluate(() => window.kelisim.withdraw());
    const ids = (await page.evaluate(() => window.kelisim.pendingReceipts())).map((e) => e.id);
    assert.equal(ids.length, 4, "all four wait in the outbox");

    // Back on the same database, behind the same address.
    collector = await startServer(db);
    p.upstream = collector.url;
    p.mode = "up";
    await page.reload();
    await ready(page);
    await page.evaluate(() => window.kelisim.flush());
    assert.deepEqual(await page.evaluate(() => window.kelisim.pendingReceipts()), []);
    const list = await stored(collector.url, await subjectOf(page));
    assertChain(list, 4);
    assert.deepEqual(list.map((e) => e.receipt.consentReceiptID), ids, "the same ids, in order: retries reuse them");
    assert.deepEqual(list.map((e) => e.receipt.kelisim.event), ["given", "updated", "updated", "withdrawn"]);
    assert.ok(p.attempts > 4, `failed attempts were made (${p.attempts} in all)`);
    assert.equal(log.errors.filter((e) => e.includes("kelisim")).length, 0, log.errors.join("\n"));
    await context.close();
  } finally {
    p.server.close();
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the beacon transport delivers", async () => {
  const { page, context } = await visit(env.server.url + "/", { config: withReceipts({ endpoint: "/v1/receipts", transport: "beacon" }) });
  await page.click('[data-kelisim-action="reject-all"]');
  await page.evaluate(() => window.kelisim.flush());
  const events = await page.evaluate(() => window.__receipts);
  assert.deepEqual(events.map((e) => e.status), ["sent"]);
  assert.equal(events[0].httpStatus, undefined, "a beacon has no answer");
  const list = await storedAtLeast(env.server.url, await subjectOf(page), 1);
  assertChain(list, 1);
  assert.equal(list[0].receipt.collectionMethod, "banner: reject all");
  await context.close();
});

const MODULE_PAGE = `<!doctype html><html lang="kk"><head><meta charset="utf-8"><title>t</title></head><body><p>x</p>
<script type="module">
  import { start } from "/kelisim/kelisim.js";
  const config = await (await fetch("/kelisim.config.json")).json();
  window.__got = [];
  window.__fail = 1;
  window.__start = (options) => start(config, options).catch((e) => { window.__error = e.message; });
  window.__send = async (receipt) => {
    window.__got.push(receipt);
    if (window.__fail-- > 0) throw new Error("backend busy");
    const r = await fetch("/v1/receipts", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(receipt) });
    if (!r.ok) throw new Error("HTTP " + r.status);
  };
</script></body></html>`;

async function modulePage(config = demoConfig()) {
  const s = await openPage(env.browser, null, {
    config,
    beforeLoad: (_, ctx) => ctx.route(`${env.server.url}/__module.html`, (r) => r.fulfill({ contentType: "text/html", body: MODULE_PAGE })),
  });
  await s.page.goto(`${env.server.url}/__module.html`);
  await s.page.waitForFunction(() => window.__start);
  return s;
}

test("a custom send function delivers, and a rejected send is retried with the same receipt", async () => {
  const { page, context } = await modulePage();
  await page.evaluate(() => window.__start({ send: window.__send }));
  await ready(page);
  await recordEvents(page);
  await page.click('[data-kelisim-action="accept-all"]');
  await page.evaluate(() => window.kelisim.flush());
  const got = await page.evaluate(() => window.__got);
  assert.equal(got.length, 2, "first call rejected, second resolved");
  assert.deepEqual(got[0], got[1], "a retry sends the same receipt");
  assert.equal(typeof got[0], "object");
  assert.deepEqual((await page.evaluate(() => window.__receipts)).map((e) => e.status), ["retrying", "sent"]);
  const list = await stored(env.server.url, await subjectOf(page));
  assertChain(list, 1);
  assert.equal(list[0].receipt.consentReceiptID, got[0].consentReceiptID);
  await context.close();
});

test("start() refuses a bad receipts setup and leaves the page alone", async () => {
  const cases = [
    ["number", demoConfig(), "kelisim: start: options.send: expected a function"],
    ["function", withReceipts({ endpoint: "/v1/receipts" }), "kelisim: start: give the config's receipts section or options.send, not both"],
    ["none", withReceipts({ endpoint: "/v1/receipts", transport: "beacon", headers: { "X-Key": "k" } }), "kelisim: invalid config: receipts.headers: not allowed with transport \"beacon\" (sendBeacon cannot set headers)"],
    ["none", withReceipts({ endpoint: "javascript:alert(1)" }), "kelisim: invalid config: receipts.endpoint: must be an http(s) or relative URL"],
    ["function", { ...demoConfig(), controller: { ...demoConfig().controller, phone: undefined } }, "kelisim: invalid config: controller.phone: missing (consent receipts name the controller's e-mail and phone)"],
  ];
  for (const [send, config, want] of cases) {
    const { page, context } = await modulePage(config);
    await page.evaluate((send) => window.__start({ send: { number: 42, function: () => {}, none: undefined }[send] }), send);
    await page.waitForFunction(() => window.__error);
    assert.equal(await page.evaluate(() => window.__error), want);
    assert.equal(await page.$("[data-kelisim-root]"), null, "nothing added to the page");
    await context.close();
  }
});

test("a page closed right after a click still delivers (pagehide beacon, or the next visit)", async () => {
  const config = withReceipts({ endpoint: "/v1/receipts" });
  const first = await openPage(env.browser, env.server.url + "/", { config });
  await ready(first.page);
  // Nothing answers the first page's fetches.
  await first.page.route("**/v1/receipts", (r) => r.abort());
  await first.page.click('[data-kelisim-action="accept-all"]');
  const subject = await subjectOf(first.page);
  const id = (await first.page.evaluate(() => window.kelisim.pendingReceipts()))[0].id;
  await first.page.close({ runBeforeUnload: true });
  const second = await first.context.newPage();
  await second.goto(env.server.url + "/");
  await ready(second);
  await second.evaluate(() => window.kelisim.flush());
  assert.deepEqual(await second.evaluate(() => window.kelisim.pendingReceipts()), []);
  const list = await storedAtLeast(env.server.url, subject, 1);
  assertChain(list, 1);
  assert.equal(list[0].receipt.consentReceiptID, id);
  await first.context.close();
});

test("with localStorage throwing, a warning says receipts cannot survive a reload, and they are still delivered", async () => {
  const { page, context, log } = await visit(env.server.url + "/", {
    config: withReceipts({ endpoint: "/v1/receipts" }),
    beforeLoad: (p) => p.addInitScript(() => {
      Storage.prototype.setItem = () => { throw new DOMException("blocked", "SecurityError"); };
    }),
  });
  await page.click('[data-kelisim-action="accept-all"]');
  await page.evaluate(() => window.kelisim.flush());
  assert.ok(log.warnings.some((w) => w.startsWith("kelisim: no localStorage") && w.includes("will not survive a reload")), log.warnings.join("\n"));
  assertChain(await stored(env.server.url, await subjectOf(page)), 1);
  await context.close();
});

test("a receipt the endpoint refuses (4xx) is kept as failed, reported, and not retried; flush() still resolves", async () => {
  let calls = 0;
  const { page, context, log } = await visit(env.server.url + "/", {
    config: withReceipts({ endpoint: "/v1/receipts" }),
    beforeLoad: (_, ctx) => ctx.route("**/v1/receipts", (r) => { calls++; r.fulfill({ status: 400, contentType: "application/json", body: '{"errors":["x"]}' }); }),
  });
  await page.click('[data-kelisim-action="accept-all"]');
  await page.evaluate(() => window.kelisim.flush());
  const [entry] = await page.evaluate(() => window.kelisim.pendingReceipts());
  assert.deepEqual([entry.status, entry.attempts], ["failed", 1]);
  const events = await page.evaluate(() => window.__receipts);
  assert.deepEqual(events, [{ id: entry.id, status: "failed", httpStatus: 400 }]);
  assert.ok(log.warnings.some((w) => w.includes(`refused receipt ${entry.id}`)));
  await page.evaluate(() => window.kelisim.flush());
  assert.equal(calls, 1, "not sent again");
  await context.close();
});

test("the demo as served (its own kelisim.config.json) stores a receipt for every decision in the collector", async () => {
  const { page, context, log } = await openPage(env.browser, env.server.url + "/", { servedConfig: true });
  await ready(page);
  await page.click('[data-kelisim="banner"] [data-kelisim-action="accept-all"]');
  await page.evaluate(() => window.kelisim.flush());
  await page.evaluate(() => window.kelisim.withdraw());
  await page.evaluate(() => window.kelisim.flush());
  const subject = await page.evaluate(() => window.kelisim.getConsent().subject);
  const stored = await (await fetch(`${env.server.url}/v1/receipts?subject=${subject}`)).json();
  assert.deepEqual(stored.receipts.map((r) => [r.receipt.kelisim.event, r.chain]), [["given", "ok"], ["withdrawn", "ok"]]);
  assert.deepEqual(log.errors, []);
  await context.close();
});
