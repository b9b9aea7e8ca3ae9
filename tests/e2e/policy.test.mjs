// End-to-end tests of the policy view on the demo site, in real headless Chromium.
// Expectations come from www/policy/policy.json as it is at test time (read here,
// independently of the Rust decoder), never from hard-coded wording.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, consentCookie, screenshotDir, root } from "./harness.mjs";
import { demoConfig } from "./consent.mjs";

const env = useServerAndBrowser({ before, after });

const POLICY_PATH = "/policy/policy.json";
const policyDoc = () => JSON.parse(readFileSync(path.join(root, "www", POLICY_PATH), "utf8"));
const dialog = '[data-kelisim="policy-dialog"]';
const view = `${dialog} [data-kelisim-policy-view]`;
const link = '[data-kelisim="banner"] [data-kelisim-action="policy"]';

/** Every clause of a text in document order, with its depth and whether it has a heading. */
function flatten(sections, depth = 1, out = []) {
  for (const s of sections) {
    out.push({ clause: s.clause, depth, heading: Boolean(s.heading) });
    flatten(s.sections ?? [], depth + 1, out);
  }
  return out;
}

/** The format's `nearest`, written from its definition: same clause, deepest ancestor, next in numbering. */
function nearest(text, clause) {
  const all = flatten(text.sections).map((c) => c.clause);
  const parts = clause.split(".");
  for (let n = parts.length; n > 0; n--) {
    const want = parts.slice(0, n).join(".");
    if (all.includes(want)) return want;
  }
  const key = (c) => c.split(".").map(Number);
  const after = (a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] === undefined) return false;
      if (y[i] === undefined) return true;
      if (x[i] !== y[i]) return x[i] > y[i];
    }
    return false;
  };
  return all.find((c) => after(c, clause)) ?? null;
}

/** The deepest clause spanning the line 24 px below the top of the dialog's text (docs/policy.md: "current clause"). */
function clauseAtTop(page) {
  return page.$eval(view, (v) => {
    const a = v.querySelector(".kelisim-scroll").getBoundingClientRect().top + 24;
    const hit = [...v.querySelectorAll("[data-kelisim-clause]")].filter((s) => {
      const r = s.getBoundingClientRect();
      return r.top <= a && r.bottom > a;
    });
    return hit.at(-1)?.dataset.kelisimClause;
  });
}

/** Opens a page, recording requests for the policy document and browser dialogs (alert etc.). */
async function visit(url, opts = {}) {
  const s = await openPage(env.browser, null, opts);
  s.policyRequests = [];
  s.alerts = [];
  s.page.on("request", (r) => {
    if (new URL(r.url()).pathname.startsWith("/policy/")) s.policyRequests.push(r.url());
  });
  s.page.on("dialog", (d) => {
    s.alerts.push(d.message());
    d.dismiss();
  });
  await s.page.goto(env.server.url + url);
  await ready(s.page);
  return s;
}

/** Serves `doc` (an object or raw text) as the policy document. */
function servePolicy(doc, status = 200) {
  return (_, context) =>
    context.route(`**${POLICY_PATH}`, (route) =>
      route.fulfill({ status, contentType: "application/json", body: typeof doc === "string" ? doc : JSON.stringify(doc) }),
    );
}

async function openFromBanner(page) {
  await page.click(link);
  await page.waitForSelector(`${view} [data-kelisim-clause]`);
}

/** The clause marked current in the open dialog and whether it is inside the visible scroll area. */
function currentClause(page, scope = view) {
  return page.$eval(scope, (v) => {
    const s = v.querySelector("[data-kelisim-current]");
    if (!s) return null;
    const area = v.querySelector(".kelisim-scroll");
    const a = area ? area.getBoundingClientRect() : { top: 0, bottom: innerHeight };
    const r = s.getBoundingClientRect();
    return { clause: s.dataset.kelisimClause, visible: r.top < a.bottom && r.bottom > a.top, top: Math.round(r.top - a.top) };
  });
}

test("the policy is not downloaded until the banner's link is clicked; a plain click opens it in a dialog", async () => {
  const doc = policyDoc();
  const { page, context, log, policyRequests } = await visit("/");
  await page.waitForLoadState("networkidle");
  assert.deepEqual(policyRequests, [], "no request for the policy before the click");
  assert.equal(await page.getAttribute(link, "href"), demoConfig().policy.url.kk, "the href stays as a fallback");
  assert.equal(await page.$(dialog), null);
  // Switching the banner's language does not download it either.
  await page.click('[data-kelisim="banner"] [data-kelisim-lang="ru"]');
  await page.click('[data-kelisim="banner"] [data-kelisim-lang="kk"]');
  await page.waitForLoadState("networkidle");
  assert.deepEqual(policyRequests, [], "no request for the policy after a language switch");

  await openFromBanner(page);
  assert.equal(policyRequests.length, 1);
  assert.ok(await page.$eval(dialog, (d) => d.open && d.matches(":modal")), "a modal dialog");
  assert.equal(await page.getAttribute(view, "lang"), "kk");
  assert.equal(await page.textContent(`${dialog} h2`), doc.texts.kk.title);
  // Every clause of the file is rendered once, in order, with a unique id.
  const rendered = await page.$$eval(`${view} [data-kelisim-clause]`, (ss) => ss.map((s) => [s.dataset.kelisimClause, s.id]));
  assert.deepEqual(rendered.map(([c]) => c), flatten(doc.texts.kk.sections).map((c) => c.clause));
  assert.equal(new Set(rendered.map(([, id]) => id)).size, rendered.length, "unique ids");
  // Version and date (Intl, kk-KZ), the prevailing-text notice, the previous editions.
  const meta = await page.textContent(`${view} .kelisim-pmeta`);
  assert.ok(meta.includes(doc.version), meta);
  if (doc.effective) {
    const want = await page.evaluate((d) => new Date(d + "T00:00:00Z").toLocaleDateString("kk-KZ", { dateStyle: "long", timeZone: "UTC" }), doc.effective);
    assert.equal(await page.textContent(`${view} .kelisim-pmeta time[datetime="${doc.effective}"]`), want);
  }
  assert.equal((await page.$$(`${view} .kelisim-pnotice`)).length, doc.prevails ? 1 : 0);
  const previous = await page.$$eval(`${view} .kelisim-previous a`, (as) => as.map((a) => a.getAttribute("href")));
  assert.deepEqual(previous, (doc.previous ?? []).map((e) => e.url));
  // The same language buttons as the banner.
  assert.deepEqual(await page.$$eval(`${view} [data-kelisim-lang]`, (bs) => bs.map((b) => [b.dataset.kelisimLang, b.getAttribute("aria-pressed")])), [["kk", "true"], ["ru", "false"]]);
  // The declared third parties and OAuth providers are listed after the text.
  const cfg = demoConfig();
  assert.deepEqual(
    await page.$$eval(`${view} [data-kelisim-parties] [data-kelisim-party]`, (ps) => ps.map((p) => p.dataset.kelisimParty)),
    cfg.thirdParties.map((p) => p.id),
  );
  assert.deepEqual(
    await page.$$eval(`${view} [data-kelisim-parties] [data-kelisim-provider]`, (ps) => ps.map((p) => p.dataset.kelisimProvider)),
    cfg.oauth.map((p) => p.id),
  );
  await page.screenshot({ path: path.join(screenshotDir(), "policy-dialog-kk-desktop.png") });

  // Escape closes it and focus goes back to the link; the banner still decides.
  await page.keyboard.press("Escape");
  assert.equal(await page.$(dialog), null);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.kelisimAction), "policy");
  // Opened again: no second download.
  await openFromBanner(page);
  assert.equal(policyRequests.length, 1, "cached for the page's life");
  await page.click(`${dialog} [data-kelisim-action="close"]`);
  assert.equal(await page.$(dialog), null);
  await page.click('[data-kelisim-action="accept-all"]');
  assert.ok(await consentCookie(context));
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("showPolicy('ru') resolves once the Russian text is rendered; bad arguments reject", async () => {
  const doc = policyDoc();
  const { page, context, log } = await visit("/", { viewport: { width: 360, height: 740 } });
  const state = await page.evaluate(async () => {
    await window.kelisim.showPolicy("ru");
    const v = document.querySelector('[data-kelisim="policy-dialog"] [data-kelisim-policy-view]');
    return { lang: v.lang, title: v.querySelector("h2").textContent, clauses: v.querySelectorAll("[data-kelisim-clause]").length, banner: window.kelisim.language };
  });
  assert.deepEqual(state, { lang: "ru", title: doc.texts.ru.title, clauses: flatten(doc.texts.ru.sections).length, banner: "kk" });
  const box = await page.locator(dialog).boundingBox();
  assert.ok(box.width <= 360 && box.height <= 740, `fits a phone: ${JSON.stringify(box)}`);
  await page.screenshot({ path: path.join(screenshotDir(), "policy-dialog-ru-mobile.png") });
  const errors = await page.evaluate(async () => {
    const out = [];
    for (const arg of ["en", 7]) {
      try {
        await window.kelisim.showPolicy(arg);
        out.push("resolved");
      } catch (e) {
        out.push(e instanceof Error ? e.message : String(e));
      }
    }
    return out;
  });
  assert.match(errors[0], /^kelisim: language "en" is not supported/);
  assert.match(errors[1], /^kelisim: /);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("table of contents links go to their clause in the dialog and mark it current", async () => {
  const doc = policyDoc();
  const { page, context, log } = await visit("/");
  await openFromBanner(page);
  const toc = await page.$$eval(`${view} .kelisim-toc a`, (as) => as.map((a) => a.getAttribute("href")));
  const tops = doc.texts.kk.sections.map((s) => s.clause);
  assert.ok(toc.length >= tops.length, "every top-level clause is in the contents");
  for (const clause of [tops[tops.length - 1], tops[Math.floor(tops.length / 2)]]) {
    const href = await page.$eval(`${view} [data-kelisim-clause="${clause}"]`, (s) => "#" + s.id);
    assert.ok(toc.includes(href), `${href} in the contents`);
    await page.click(`${view} .kelisim-toc a[href="${href}"]`);
    const cur = await currentClause(page);
    assert.equal(cur.clause, clause);
    assert.ok(cur.visible, `clause ${clause} is on screen`);
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.kelisimClause), clause, "focus moved to the clause");
  }
  assert.equal(new URL(page.url()).hash, "", "the host page's URL is untouched");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("switching language keeps the reader at the same clause, or the nearest one", async () => {
  const doc = policyDoc();
  const { page, context, log } = await visit("/");
  await openFromBanner(page);
  // A nested clause in the contents if there is one, else a top-level one, chosen from the file.
  const kk = flatten(doc.texts.kk.sections);
  const pick = (kk.filter((c) => c.depth > 1 && c.heading).at(-1) ?? kk.filter((c) => c.depth === 1).at(-2) ?? kk[0]).clause;
  const href = await page.$eval(`${view} [data-kelisim-clause="${pick}"]`, (s) => "#" + s.id);
  await page.click(`${view} .kelisim-toc a[href="${href}"]`);
  await page.click(`${view} [data-kelisim-lang="ru"]`);
  await page.waitForFunction((sel) => document.querySelector(sel)?.lang === "ru", view);
  const want = nearest(doc.texts.ru, pick);
  const cur = await currentClause(page);
  assert.equal(cur?.clause ?? null, want, `kk ${pick} -> ru ${want}`);
  if (want) assert.ok(cur.visible, "the clause is on screen");
  assert.equal(await page.evaluate(() => window.kelisim.language), "ru", "the banner follows the visitor's choice");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.kelisimLang), "ru", "focus stays on the language button");
  await page.screenshot({ path: path.join(screenshotDir(), "policy-dialog-ru-desktop.png") });

  // Scrolled by hand (no link): the marked clause while it is still on screen, else the clause
  // at the top of the text, is the one kept (docs/policy.md: "current clause").
  const ru = flatten(doc.texts.ru.sections);
  const target = ru[Math.floor(ru.length / 3)].clause;
  await page.$eval(`${view} [data-kelisim-clause="${target}"]`, (s) => s.scrollIntoView());
  const marked = await currentClause(page);
  const atTop = marked?.visible ? marked.clause : await clauseAtTop(page);
  assert.ok(atTop, "a clause is at the top");
  await page.click(`${view} [data-kelisim-lang="kk"]`);
  await page.waitForFunction((sel) => document.querySelector(sel)?.lang === "kk", view);
  const back = await currentClause(page);
  assert.equal(back?.clause ?? null, nearest(doc.texts.kk, atTop));
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a hostile policy renders inert: markup as literal text, no javascript: links, no requests", async () => {
  const evil = {
    format: "kelisim-policy",
    formatVersion: 1,
    controller: { name: { kk: "<img src=x onerror=alert('name')>", ru: "ТОО" } },
    version: "<script>alert('v')</script>",
    prevails: "ru",
    previous: [{ version: "<b>0</b>", url: "/privacy/old.html" }],
    texts: {
      kk: {
        title: "<svg onload=alert('title')>",
        intro: [{ type: "paragraph", spans: [{ text: "<script>window.__pwned = 1; alert('intro')</script>" }] }],
        sections: [
          {
            clause: "1",
            number: "1.",
            heading: [{ text: "<img src=x onerror=\"window.__pwned = 2\">" }],
            blocks: [
              {
                type: "paragraph",
                spans: [
                  { text: "js link", href: "javascript:window.__pwned = 3" },
                  { text: " upper", href: "JaVaScRiPt:alert('u')" },
                  { text: " spaced", href: " javascript:alert('s')" },
                  { text: " data", href: "data:text/html,<script>alert('d')</script>" },
                  { text: " ok", href: "https://example.kz/ok" },
                  { text: " mail", href: "mailto:privacy@example.kz", strong: true },
                ],
              },
              { type: "list", ordered: true, items: [{ marker: "<i>1)</i>", blocks: [{ type: "paragraph", spans: [{ text: "<iframe src=/x>" }] }] }] },
              { type: "table", header: true, rows: [[[{ text: "<th onclick=alert(1)>" }]], [[{ text: "<a href=javascript:alert(1)>x</a>" }]]] },
            ],
            sections: [],
          },
        ],
      },
    },
  };
  const { page, context, log, alerts } = await visit("/", { beforeLoad: servePolicy(evil) });
  const stray = [];
  page.on("request", (r) => {
    const p = new URL(r.url()).pathname;
    if (p === "/x" || p.startsWith("/privacy/old")) stray.push(p);
  });
  await openFromBanner(page);
  const found = await page.$eval(view, (v) => ({
    elements: [...v.querySelectorAll("script, img, svg, iframe, i, b")].map((e) => e.tagName),
    jsLinks: [...v.querySelectorAll("a")].filter((a) => !/^(https?:|mailto:|tel:|\/|#)/i.test(a.getAttribute("href"))).map((a) => a.getAttribute("href")),
    links: [...v.querySelectorAll("[data-kelisim-clause] a")].map((a) => [a.getAttribute("href"), a.getAttribute("rel"), a.getAttribute("target")]),
    text: v.textContent,
    pwned: window.__pwned,
  }));
  assert.deepEqual(found.elements, [], "no element made from the document's text");
  assert.deepEqual(found.jsLinks, []);
  assert.deepEqual(found.links, [["https://example.kz/ok", "noopener noreferrer", null], ["mailto:privacy@example.kz", null, null]]);
  for (const literal of ["<script>window.__pwned = 1; alert('intro')</script>", "<img src=x onerror=\"window.__pwned = 2\">", "js link", "<iframe src=/x>", "<i>1)</i>", "<svg onload=alert('title')>"]) {
    assert.ok(found.text.includes(literal), `shown literally: ${literal}`);
  }
  assert.equal(found.pwned, undefined);
  // Clicking the would-be javascript: text does nothing.
  await page.click(`${view} [data-kelisim-clause="1"] p >> text=js link`);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(alerts, [], "no alert");
  assert.deepEqual(stray, [], "no request made by the document's text");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a policy that fails to load shows a message with the policy page link; the banner keeps working", async () => {
  const config = demoConfig();
  config.policy.document = "/policy/missing.json";
  const { page, context, log } = await visit("/", { config });
  await page.click(link);
  await page.waitForSelector(`${view} .kelisim-perror`);
  assert.equal(await page.getAttribute(`${view} .kelisim-perror a`, "href"), config.policy.url.kk);
  assert.equal(await page.getAttribute(`${view} .kelisim-perror`, "role"), "alert");
  assert.ok(log.errors.some((e) => e.includes("/policy/missing.json") && e.includes("HTTP 404")), log.errors.join("\n"));
  await page.screenshot({ path: path.join(screenshotDir(), "policy-dialog-failed-kk-desktop.png") });
  // The promise rejects with an Error naming the URL and the problem.
  const rejected = await page.evaluate(() => window.kelisim.showPolicy("ru").then(() => "resolved", (e) => e.message));
  assert.match(rejected, /^kelisim: could not load the policy \/policy\/missing\.json: HTTP 404$/);
  assert.equal(await page.getAttribute(`${view} .kelisim-perror a`, "href"), config.policy.url.ru, "the message follows the language");
  await page.keyboard.press("Escape");
  await page.click('[data-kelisim-action="accept-all"]');
  const cookie = await consentCookie(context);
  assert.ok(cookie, "accept all still writes the cookie");
  assert.equal(await page.getAttribute("[data-kelisim-root]", "data-kelisim-view"), "closed");
  await context.close();
});

test("a document that is not JSON, or not the format, is named in the console error", async () => {
  for (const [body, want] of [
    ["{ not json", /the policy \/policy\/policy\.json is not valid JSON: /],
    [JSON.stringify({ ...policyDoc(), extra: 1 }), /the policy \/policy\/policy\.json is invalid: extra: unknown field/],
  ]) {
    const { page, context, log } = await visit("/", { beforeLoad: servePolicy(body) });
    await page.click(link);
    await page.waitForSelector(`${view} .kelisim-perror`);
    assert.ok(log.errors.some((e) => want.test(e)), log.errors.join("\n"));
    await page.keyboard.press("Escape");
    await page.click('[data-kelisim-action="reject-all"]');
    assert.ok(await consentCookie(context));
    await context.close();
  }
});

test("[data-kelisim=\"policy\"] on the policy pages renders the policy in place, in the page's language", async () => {
  const doc = policyDoc();
  for (const [lang, url] of [["kk", "/privacy/kk.html"], ["ru", "/privacy/ru.html"]]) {
    const { page, context, log } = await visit(url);
    const place = '[data-kelisim="policy"] [data-kelisim-policy-view]';
    await page.waitForSelector(`${place} [data-kelisim-clause]`);
    assert.equal(await page.getAttribute(place, "lang"), lang);
    assert.equal(await page.textContent(`${place} h1`), doc.texts[lang].title);
    assert.equal((await page.$$(`${place} [data-kelisim-clause]`)).length, flatten(doc.texts[lang].sections).length);
    assert.equal(await page.$(dialog), null, "no dialog on the page itself");
    await page.screenshot({ path: path.join(screenshotDir(), `policy-page-${lang}-desktop.png`), fullPage: true });
    assert.deepEqual(log.errors, []);
    await context.close();
  }
});

test("a link to a clause of the policy page (#id) goes there once the policy is rendered", async () => {
  const doc = policyDoc();
  const last = doc.texts.kk.sections.at(-1).clause;
  const { page, context } = await visit(`/privacy/kk.html#kelisim-${last.replaceAll(".", "-")}`);
  await page.waitForSelector("[data-kelisim-current]");
  const place = '[data-kelisim="policy"] [data-kelisim-policy-view]';
  assert.equal((await currentClause(page, place)).clause, last);
  // The site scrolls smoothly: wait until the clause has arrived on screen.
  await page.waitForFunction(() => {
    const r = document.querySelector("[data-kelisim-current]").getBoundingClientRect();
    return r.top >= 0 && r.top < innerHeight;
  });
  await context.close();
});

test("print shows only the policy: no dialog chrome, backdrop, buttons or host page", async () => {
  const { page, context } = await visit("/");
  await openFromBanner(page);
  await page.emulateMedia({ media: "print" });
  const shown = await page.evaluate(() => {
    const d = (sel) => {
      const e = document.querySelector(sel);
      return e ? getComputedStyle(e).display : "missing";
    };
    const dialog = document.querySelector('[data-kelisim="policy-dialog"]');
    return {
      header: d(".site-header"),
      main: d("main"),
      banner: d("[data-kelisim-root]"),
      close: d('[data-kelisim="policy-dialog"] [data-kelisim-action="close"]'),
      lang: d('[data-kelisim="policy-dialog"] .kelisim-lang'),
      toc: d('[data-kelisim="policy-dialog"] .kelisim-toc'),
      backdrop: getComputedStyle(dialog, "::backdrop").display,
      view: d('[data-kelisim="policy-dialog"] [data-kelisim-policy-view]'),
      clause: d('[data-kelisim="policy-dialog"] [data-kelisim-clause]'),
      overflow: getComputedStyle(document.querySelector('[data-kelisim="policy-dialog"] .kelisim-scroll')).overflowY,
      border: getComputedStyle(dialog).borderTopStyle,
    };
  });
  assert.deepEqual(shown, {
    header: "none", main: "none", banner: "none", close: "none", lang: "none", toc: "none", backdrop: "none",
    view: "block", clause: "block", overflow: "visible", border: "none",
  });
  await page.emulateMedia({ media: "screen" });
  assert.equal(await page.$eval(".site-header", (e) => getComputedStyle(e).display), "block");

  const inPlace = await visit("/privacy/ru.html");
  await inPlace.page.waitForSelector('[data-kelisim="policy"] [data-kelisim-clause]');
  await inPlace.page.emulateMedia({ media: "print" });
  const p = await inPlace.page.evaluate(() => ({
    view: getComputedStyle(document.querySelector("[data-kelisim-policy-view]")).display,
    lang: getComputedStyle(document.querySelector("[data-kelisim-policy-view] .kelisim-lang")).display,
  }));
  assert.deepEqual(p, { view: "block", lang: "none" });
  await inPlace.context.close();
  await context.close();
});
