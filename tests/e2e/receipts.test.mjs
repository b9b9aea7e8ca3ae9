// End-to-end tests of the receipt collector with a real browser: receipts
// built and hashed in Chromium (JSON.stringify with sorted keys, crypto.subtle)
// are accepted and chain-verified by the collector, the demo's receipts page
// lists them, and CORS lets only configured origins read the answers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, startServer, root } from "./harness.mjs";
import { TEXTS } from "../../www/receipts-texts.js";

const env = useServerAndBrowser({ before, after });
const fixture = JSON.parse(readFileSync(path.join(root, "collector/tests/fixtures/receipt.json"), "utf8"));

/**
 * In the page: builds `n` chained receipts for the current consent from the
 * fixture and delivers them (fetch JSON, sendBeacon, fetch text/plain, ...).
 * `tamper` alters the stored copy of receipt 1 after receipt 2 hashed it.
 * Returns the answers of the fetches and the receipt ids.
 */
async function deliverChain(page, { n, tamper = false, edit = null }) {
  return page.evaluate(async ({ fixture, n, tamper, edit }) => {
    const sortKeys = (v) =>
      Array.isArray(v) ? v.map(sortKeys)
        : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]))
          : v;
    const canonical = (v) => JSON.stringify(sortKeys(v));
    const sha256 = async (s) =>
      [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))]
        .map((b) => b.toString(16).padStart(2, "0")).join("");
    const consent = window.kelisim.getConsent();
    const steps = [
      ["given", "banner: accept all", "accept-all"],
      ["updated", "preferences: save", "custom"],
      ["withdrawn", "api: withdraw()", "withdraw"],
    ];
    const receipts = [];
    let prev = null;
    for (let seq = 1; seq <= n; seq++) {
      const r = structuredClone(fixture);
      const [event, how, method] = steps[(seq - 1) % steps.length];
      r.consentReceiptID = crypto.randomUUID();
      r.piiPrincipalId = consent.subject;
      r.kelisim.law94v.subject = consent.subject;
      r.kelisim.consent.id = consent.id;
      r.kelisim.event = event;
      r.kelisim.consent.method = method;
      r.collectionMethod = how;
      if (method !== "accept-all") r.kelisim.consent.categories.marketing = false;
      r.kelisim.chain = { seq, prev };
      if (edit) new Function("r", edit)(r);
      prev = await sha256(canonical(r));
      receipts.push(r);
    }
    if (tamper) receipts[0].kelisim.consent.categories.analytics = false;
    const answers = [];
    for (const [i, r] of receipts.entries()) {
      const body = JSON.stringify(r);
      if (i % 3 === 1) {
        answers.push({ beacon: navigator.sendBeacon("/v1/receipts", body) });
      } else {
        const type = i % 3 === 0 ? "application/json" : "text/plain;charset=UTF-8";
        const res = await fetch("/v1/receipts", { method: "POST", headers: { "Content-Type": type }, body });
        answers.push({ status: res.status, json: await res.json() });
      }
    }
    return { answers, ids: receipts.map((r) => r.consentReceiptID), subject: consent.subject };
  }, { fixture, n, tamper, edit });
}

/** Waits (without a fixed delay) until the collector holds `count` receipts for `subject`. */
async function storedFor(subject, count) {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${env.server.url}/v1/receipts?subject=${subject}`);
    const { receipts } = await res.json();
    if (receipts.length >= count) return receipts;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the collector never held ${count} receipts for ${subject}`);
}

async function statusText(page) {
  return (await page.textContent("[data-receipts-status]")).trim();
}

async function rows(page) {
  return page.$$eval("[data-receipts-table] tbody tr", (trs) =>
    trs.map((tr) => ({
      id: tr.dataset.receipt,
      cells: [...tr.children].map((td) => td.textContent),
      event: tr.querySelector("[data-event]").dataset.event,
      chain: tr.querySelector("[data-chain]").dataset.chain,
    })));
}

async function openReceipts(query = "", opts = {}) {
  const s = await openPage(env.browser, `${env.server.url}/receipts.html${query}`, opts);
  await ready(s.page);
  return s;
}

test("before any decision the receipts page says there is nothing, in Kazakh and in Russian", async () => {
  const kk = await openReceipts();
  await kk.page.waitForFunction((want) => document.querySelector("[data-receipts-status]").textContent === want, TEXTS.kk.noConsent);
  assert.equal(await kk.page.textContent("h1"), TEXTS.kk.title);
  assert.equal(await kk.page.getAttribute("html", "lang"), "kk");
  assert.equal(await kk.page.isHidden("[data-receipts-table]"), true);
  assert.deepEqual(kk.log.errors, []);
  await kk.context.close();

  const ru = await openReceipts("?lang=ru");
  await ru.page.waitForFunction((want) => document.querySelector("[data-receipts-status]").textContent === want, TEXTS.ru.noConsent);
  assert.equal(await ru.page.textContent("h1"), TEXTS.ru.title);
  assert.equal(await ru.page.getAttribute("html", "lang"), "ru");
  assert.equal(await ru.page.evaluate(() => window.kelisim.language), "ru");
  assert.equal(await ru.page.textContent('[data-kelisim="banner"] h2'), "Мы используем файлы cookie");
  await ru.context.close();
});

test("receipts hashed in the browser chain correctly, arrive by fetch and sendBeacon, and are listed", async () => {
  const { page, context, log } = await openReceipts();
  await page.evaluate(() => window.kelisim.acceptAll());
  const { answers, ids, subject } = await deliverChain(page, { n: 3 });
  assert.equal(answers[0].status, 201);
  assert.deepEqual({ id: answers[0].json.id, chain: answers[0].json.chain }, { id: ids[0], chain: "ok" });
  // The collector's countersignature of what it stored.
  assert.match(answers[0].json.signature, /^[0-9a-f]{128}$/);
  assert.deepEqual(answers[1], { beacon: true });
  assert.equal(answers[2].status, 201);
  const stored = await storedFor(subject, 3);
  assert.deepEqual(stored.map((e) => [e.receipt.consentReceiptID, e.chain]), ids.map((id) => [id, "ok"]));

  await page.click("[data-receipts-refresh]");
  await page.waitForFunction((n) => document.querySelectorAll("[data-receipts-table] tbody tr").length === n, 3);
  const list = await rows(page);
  assert.deepEqual(list.map((r) => r.id), ids);
  assert.deepEqual(list.map((r) => r.chain), ["ok", "ok", "ok"]);
  assert.deepEqual(list.map((r) => r.cells[1]), [TEXTS.kk.events.given, TEXTS.kk.events.updated, TEXTS.kk.events.withdrawn]);
  assert.deepEqual(list.map((r) => r.cells[2]), [TEXTS.kk.methods["accept-all"], TEXTS.kk.methods.custom, TEXTS.kk.methods.withdraw]);
  assert.deepEqual(list.map((r) => r.cells[4]), [TEXTS.kk.chain.ok, TEXTS.kk.chain.ok, TEXTS.kk.chain.ok]);
  // Categories come from the receipt (given in Russian): optional ones accepted.
  assert.equal(list[0].cells[3], "Настройки, Аналитика, Маркетинг");
  assert.equal(list[1].cells[3], "Настройки, Аналитика");
  assert.equal(await statusText(page), `${TEXTS.kk.count}3`);
  assert.equal(await page.textContent("[data-receipts-subject]"), subject);
  assert.deepEqual(log.errors, []);

  // The same visitor reads the page in Russian.
  await page.goto(`${env.server.url}/receipts.html?lang=ru`);
  await ready(page);
  await page.waitForFunction(() => document.querySelectorAll("[data-receipts-table] tbody tr").length === 3);
  const ru = await rows(page);
  assert.deepEqual(ru.map((r) => r.cells[4]), [TEXTS.ru.chain.ok, TEXTS.ru.chain.ok, TEXTS.ru.chain.ok]);
  assert.equal(ru[2].cells[1], TEXTS.ru.events.withdrawn);
  assert.equal(await page.textContent("th >> nth=4"), TEXTS.ru.colChain);
  await context.close();
});

test("a receipt altered after its successor hashed it shows as a mismatch", async () => {
  const { page, context } = await openReceipts("?lang=ru");
  await page.evaluate(() => window.kelisim.rejectAll());
  const { answers, ids, subject } = await deliverChain(page, { n: 2, tamper: true });
  assert.equal(answers[0].status, 201);
  const stored = await storedFor(subject, 2);
  assert.deepEqual(stored.map((e) => e.chain), ["ok", "mismatch"]);
  await page.click("[data-receipts-refresh]");
  await page.waitForFunction(() => document.querySelectorAll("[data-receipts-table] tbody tr").length === 2);
  const list = await rows(page);
  assert.deepEqual(list.map((r) => [r.id, r.chain]), [[ids[0], "ok"], [ids[1], "mismatch"]]);
  assert.equal(list[1].cells[4], TEXTS.ru.chain.mismatch);
  await context.close();
});

test("text from receipts is shown as text, never as markup", async () => {
  const { page, context, log } = await openReceipts();
  await page.evaluate(() => window.kelisim.acceptAll());
  const edit = `r.services[2].service = '<img src=x onerror="window.__pwned = 1">Аналитика'; r.collectionMethod = "<b>api: acceptAll()</b>";`;
  const { subject } = await deliverChain(page, { n: 1, edit });
  await storedFor(subject, 1);
  await page.click("[data-receipts-refresh]");
  await page.waitForFunction(() => document.querySelectorAll("[data-receipts-table] tbody tr").length === 1);
  const [row] = await rows(page);
  assert.match(row.cells[3], /<img src=x onerror="window.__pwned = 1">Аналитика/);
  assert.equal(await page.$$eval("[data-receipts-table] img, [data-receipts-table] b", (els) => els.length), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.getAttribute("[data-receipts-table] tbody td:nth-child(3)", "title"), "<b>api: acceptAll()</b>");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("the demo footer links to the receipts page in both languages", async () => {
  for (const [home, href, text] of [["/", "/receipts.html", TEXTS.kk.title], ["/ru/", "/receipts.html?lang=ru", TEXTS.ru.title]]) {
    const { page, context } = await openPage(env.browser, env.server.url + home);
    const link = page.locator(`footer a[href="${href}"]`);
    assert.equal(await link.textContent(), text);
    await link.click();
    await page.waitForURL(`**${href}`);
    await ready(page);
    await page.waitForFunction((t) => document.querySelector("h1").textContent === t, text);
    await context.close();
  }
});

test("CORS: a page on a configured origin reads the collector's answers; others cannot", async () => {
  const pageOrigin = env.server.url;
  const open = await startServer(["--cors-origin", pageOrigin]);
  const closed = await startServer();
  try {
    // No request interception here: a routed context would let the cross-origin request
    // through without the browser's own preflight.
    const { page, context } = await openReceipts("", { servedConfig: true });
    await page.evaluate(() => window.kelisim.acceptAll());
    const result = await page.evaluate(async ({ fixture, open, closed }) => {
      const consent = window.kelisim.getConsent();
      const make = () => {
        const r = structuredClone(fixture);
        r.consentReceiptID = crypto.randomUUID();
        r.piiPrincipalId = consent.subject;
        r.kelisim.law94v.subject = consent.subject;
        return JSON.stringify(r);
      };
      const post = async (base) => {
        try {
          // application/json makes the browser send a preflight first.
          const res = await fetch(`${base}/v1/receipts`, { method: "POST", headers: { "Content-Type": "application/json" }, body: make() });
          return { status: res.status, json: await res.json() };
        } catch (e) {
          return { error: e.name };
        }
      };
      return { open: await post(open), closed: await post(closed), subject: consent.subject };
    }, { fixture, open: open.url, closed: closed.url });
    assert.equal(result.open.status, 201);
    assert.equal(result.open.json.chain, "ok");
    assert.deepEqual(result.closed, { error: "TypeError" });
    // The refused preflight kept the receipt from being sent at all.
    const stored = await (await fetch(`${closed.url}/v1/receipts?subject=${result.subject}`)).json();
    assert.deepEqual(stored, { receipts: [] });
    await context.close();
  } finally {
    await open.stop();
    await closed.stop();
  }
});

test("the receipts page's Kazakh texts use Cyrillic letters, not Latin lookalikes", () => {
  const flat = (o) => Object.values(o).flatMap((v) => (typeof v === "string" ? [v] : flat(v)));
  const kk = flat(TEXTS.kk);
  const ru = flat(TEXTS.ru);
  assert.equal(kk.length, ru.length);
  for (const s of kk) {
    assert.ok(!/[\u0259\u018F]/.test(s), `Latin schwa in ${s}`);
    for (const w of s.split(/[^\p{L}]+/u)) {
      assert.ok(!(/[A-Za-z]/.test(w) && /[\u0400-\u04FF]/.test(w)), `mixed-script word ${w} in ${s}`);
    }
  }
  const all = kk.join(" ");
  assert.match(all, /ә/);
  assert.match(all, /қ/);
  assert.match(all, /келісім|Келісім/);
  assert.match(all, /cookie файлдар/);
  assert.match(flat(TEXTS.ru).join(" "), /файлах cookie|файлы cookie/);
});
