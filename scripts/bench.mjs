// `npm run bench`: kelisim against vanilla-cookieconsent 3.1.0, side by side in one
// headless Chromium run. Figures only: nothing here passes or fails on speed.
//
// Two pages with the same content, served by the same server (the collector, which
// serves dist/ at /kelisim/ and a temporary folder at /), differ only in the consent
// tool: kelisim's one-tag embed with an inline JSON config (the demo config without
// `receipts`), and vanilla-cookieconsent's stylesheet and script with an equivalent
// config (the same two languages and the same categories and services), both
// discovered from the HTML. Each page carries two gated scripts (analytics, marketing)
// that record when they run.
//
// Per profile (unthrottled; "mobile": 150 ms latency, 1.6 Mbit/s down, CPU ×4), runs
// alternate between the two tools, each in a fresh browser context (cold cache):
// - first visit: navigation start → the banner element is in the DOM and visible
//   (checked on every DOM mutation and every animation frame, the same check for both:
//   non-zero box, checkVisibility with opacity and visibility);
// - returning visitor (the consent cookie each tool wrote when "accept all" was
//   clicked, set before loading): navigation start → both gated scripts have run.
// What each downloaded is measured from the network (every response except the page
// itself and its own stylesheet and gated scripts), each body gzipped at level 9.
//
// Throttling is CDP's (Network.emulateNetworkConditions, Emulation.setCPUThrottlingRate):
// the latency is added once per request (request sent → response headers), not per
// round trip of connection setup, and the loopback connections themselves cost
// nothing; the throughput cap applies to each response body. Both tools get the same
// treatment, so the ratios are what to read.
//
// The server gzips static files (level 9) for a browser that accepts it, as a production host
// or CDN does, for both tools alike: what crosses the throttled link is the compressed size.
//
// The pages are on the same origin as the files: the collector sends no CORS headers
// for static files, and a module script (kelisim's entry) from another origin needs
// them, so a page on a second origin could not load kelisim from the collector at all.
//
// KELISIM_BENCH_RUNS (default 9, at least 7): runs per tool, visit kind and profile.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { startServer, launch, root } from "../tests/e2e/harness.mjs";

const runs = Math.max(7, Number(process.env.KELISIM_BENCH_RUNS || 9));
const vanillaDir = path.join(root, "node_modules/vanilla-cookieconsent/dist");
const vanillaVersion = JSON.parse(readFileSync(path.join(vanillaDir, "../package.json"), "utf8")).version;

// ---- the pages ------------------------------------------------------------------

const config = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
delete config.receipts;

/** The demo home page's body, without its scripts, frames and kelisim attributes. */
function body() {
  const html = readFileSync(path.join(root, "www/index.html"), "utf8");
  return html
    .slice(html.indexOf("<body>"), html.indexOf("</body>") + "</body>".length)
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replace(/<iframe[\s\S]*?<\/iframe>/g, "")
    .replace(/\sdata-kelisim-[a-z-]+(="[^"]*")?/g, "");
}

function page(head) {
  return `<!doctype html>
<html lang="kk">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Сапар Тревел</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/site.css">
${head}
</head>
${body()}
</html>
`;
}

const json = (v) => JSON.stringify(v).replace(/</g, "\\u003c");

const kelisimPage = page(`<script type="module" src="/kelisim/kelisim.js"></script>
<script type="application/json" id="kelisim-config">${json(config)}</script>
<script type="text/plain" data-kelisim-category="analytics" data-src="/bench/gated-analytics.js"></script>
<script type="text/plain" data-kelisim-category="marketing" data-src="/bench/gated-marketing.js"></script>`);

/** vanilla-cookieconsent's config with the demo's languages, categories and services. */
function vanillaConfig() {
  const words = {
    kk: {
      title: "Cookie файлдары",
      description: "Сайт жұмыс істеуі үшін cookie файлдарын пайдаланамыз. Аналитика мен жарнамаға арналған cookie файлдары тек сіздің келісіміңізбен қосылады.",
      acceptAll: "Барлығын қабылдау",
      rejectAll: "Барлығынан бас тарту",
      settings: "Баптаулар",
      settingsTitle: "Cookie файлдарының баптаулары",
      save: "Таңдауды сақтау",
      close: "Жабу",
      policy: "Құпиялылық саясаты",
    },
    ru: {
      title: "Файлы cookie",
      description: "Мы используем файлы cookie для работы сайта. Файлы cookie для аналитики и рекламы включаются только с вашего согласия.",
      acceptAll: "Принять все",
      rejectAll: "Отклонить все",
      settings: "Настройки",
      settingsTitle: "Настройки файлов cookie",
      save: "Сохранить выбор",
      close: "Закрыть",
      policy: "Политика конфиденциальности",
    },
  };
  const translations = {};
  for (const lang of config.languages) {
    const w = words[lang];
    translations[lang] = {
      consentModal: {
        title: w.title,
        description: w.description,
        acceptAllBtn: w.acceptAll,
        acceptNecessaryBtn: w.rejectAll,
        showPreferencesBtn: w.settings,
        footer: `<a href="${config.policy.url[lang]}">${w.policy}</a>`,
      },
      preferencesModal: {
        title: w.settingsTitle,
        acceptAllBtn: w.acceptAll,
        acceptNecessaryBtn: w.rejectAll,
        savePreferencesBtn: w.save,
        closeIconLabel: w.close,
        sections: config.categories.map((c) => ({
          title: c.title[lang],
          description: c.description[lang],
          linkedCategory: c.id,
        })),
      },
    };
  }
  const categories = {};
  for (const c of config.categories) {
    categories[c.id] = {
      ...(c.required ? { enabled: true, readOnly: true } : {}),
      ...(c.services?.length ? { services: Object.fromEntries(c.services.map((s) => [s.id, { label: s.title[config.defaultLanguage] }])) } : {}),
    };
  }
  return {
    // Its default hides the banner from automated browsers (navigator.webdriver), as this one is.
    hideFromBots: false,
    categories,
    language: { default: config.defaultLanguage, autoDetect: "document", translations },
  };
}

const vanillaPage = page(`<link rel="stylesheet" href="/vendor/cookieconsent.css">
<script defer src="/vendor/cookieconsent.umd.js"></script>
<script type="module">CookieConsent.run(${json(vanillaConfig())});</script>
<script type="text/plain" data-category="analytics" data-src="/bench/gated-analytics.js"></script>
<script type="text/plain" data-category="marketing" data-src="/bench/gated-marketing.js"></script>`);

const site = mkdtempSync(path.join(os.tmpdir(), "kelisim-bench-"));
mkdirSync(path.join(site, "bench"));
mkdirSync(path.join(site, "vendor"));
writeFileSync(path.join(site, "kelisim.html"), kelisimPage);
writeFileSync(path.join(site, "vanilla.html"), vanillaPage);
for (const c of ["analytics", "marketing"]) {
  writeFileSync(path.join(site, `bench/gated-${c}.js`), `(window.__gated ||= {})[${JSON.stringify(c)}] = performance.now();\n`);
}
copyFileSync(path.join(root, "www/site.css"), path.join(site, "site.css"));
for (const f of ["cookieconsent.css", "cookieconsent.umd.js"]) copyFileSync(path.join(vanillaDir, f), path.join(site, "vendor", f));

const tools = [
  {
    name: "kelisim",
    path: "/kelisim.html",
    banner: '[data-kelisim="banner"]',
    accept: '[data-kelisim="banner"] [data-kelisim-action="accept-all"]',
    cookie: config.cookie?.name ?? "kelisim",
  },
  {
    name: `vanilla-cookieconsent ${vanillaVersion}`,
    path: "/vanilla.html",
    banner: "#cc-main .cm",
    accept: '#cc-main .cm [data-role="all"]',
    cookie: "cc_cookie",
  },
];
/** The page's own resources, the same for both tools: not counted as the tool's bytes. */
const own = (url) => /^\/(site\.css|bench\/|kelisim\.html|vanilla\.html)/.test(new URL(url).pathname);

// ---- measuring ------------------------------------------------------------------

const profiles = [
  { name: "unthrottled" },
  { name: "mobile (150 ms latency, 1.6 Mbit/s down, 750 kbit/s up, CPU ×4)", latency: 150, down: 1.6e6 / 8, up: 0.75e6 / 8, cpu: 4 },
];

/** Records, from the start of the document, when the banner element is first in the DOM and visible. */
function watchBanner(selector) {
  const visible = () => {
    const el = document.querySelector(selector);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  };
  const check = () => {
    if (window.__bannerAt !== undefined) return true;
    if (!visible()) return false;
    window.__bannerAt = performance.now();
    return true;
  };
  const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
  observer.observe(document, { subtree: true, childList: true, attributes: true });
  const frame = () => { if (!check()) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
}

async function open(browser, profile, cookies) {
  const context = await browser.newContext({ viewport: { width: 412, height: 915 }, locale: "kk-KZ" });
  if (cookies) await context.addCookies(cookies);
  const page = await context.newPage();
  if (profile.cpu) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false, latency: profile.latency, downloadThroughput: profile.down, uploadThroughput: profile.up,
    });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: profile.cpu });
  }
  return { context, page };
}

/** One timed visit; resolves to ms from navigation start. */
async function timed(browser, server, tool, profile, cookies) {
  const { context, page } = await open(browser, profile, cookies);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.addInitScript(watchBanner, tool.banner);
    await page.goto(server.url + tool.path);
    if (cookies) {
      await page.waitForFunction(() => window.__gated?.analytics !== undefined && window.__gated?.marketing !== undefined, null, { timeout: 60_000 });
      if (await page.evaluate(() => window.__bannerAt !== undefined)) throw new Error(`${tool.name}: the banner showed to a returning visitor`);
      return await page.evaluate(() => Math.max(window.__gated.analytics, window.__gated.marketing));
    }
    await page.waitForFunction(() => window.__bannerAt !== undefined, null, { timeout: 60_000 });
    return await page.evaluate(() => window.__bannerAt);
  } catch (e) {
    throw new Error(`${tool.name} (${profile.name}${cookies ? ", returning" : ""}): ${e.message}; page errors: ${errors.join("; ")}`);
  } finally {
    await context.close();
  }
}

/** What the tool downloads on one unthrottled visit: gzip -9 bytes and the requests. */
async function downloads(browser, server, tool, cookies) {
  const { context, page } = await open(browser, {}, cookies);
  const bodies = [];
  page.on("response", (r) => {
    if (!own(r.url()) && r.request().resourceType() !== "document") {
      bodies.push(r.body().then((b) => ({ url: new URL(r.url()).pathname, raw: b.length, gzip: gzipSync(b, { level: 9 }).length })));
    }
  });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.addInitScript(watchBanner, tool.banner);
    await page.goto(server.url + tool.path);
    if (cookies) await page.waitForFunction(() => window.__gated?.analytics !== undefined && window.__gated?.marketing !== undefined, null, { timeout: 15_000 });
    else await page.waitForFunction(() => window.__bannerAt !== undefined, null, { timeout: 15_000 });
    await page.waitForLoadState("networkidle");
    const files = await Promise.all(bodies);
    let cookie;
    if (!cookies) {
      await page.click(tool.accept);
      await page.waitForFunction((name) => document.cookie.split("; ").some((c) => c.startsWith(name + "=")), tool.cookie, { timeout: 15_000 });
      cookie = (await context.cookies()).filter((c) => c.name === tool.cookie);
    }
    return { files, gzip: files.reduce((n, f) => n + f.gzip, 0), cookie };
  } catch (e) {
    throw new Error(`${tool.name} (${cookies ? "returning" : "first"} visit): ${e.message}; console errors: ${JSON.stringify(errors)}`);
  } finally {
    await context.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => `${Math.round(x).toLocaleString("en-US")} ms`;
const bytes = (x) => `${x.toLocaleString("en-US")} B`;

const server = await startServer(["--www", site]);
const browser = await launch();
try {
  // Downloads, and the cookie each tool writes on "accept all" (used for the returning visits).
  for (const tool of tools) {
    const first = await downloads(browser, server, tool);
    tool.first = first;
    tool.cookies = first.cookie;
    if (!tool.cookies.length) throw new Error(`${tool.name}: no ${tool.cookie} cookie after accepting`);
    tool.returning = await downloads(browser, server, tool, tool.cookies);
  }
  console.log(`kelisim vs vanilla-cookieconsent ${vanillaVersion}: ${runs} alternating runs per tool, visit kind and profile; fresh context (cold cache) each run; headless Chromium, viewport 412×915`);
  console.log("Throttling is CDP's: the latency is added once per request, not per round trip of connection setup; same page origin as the files (see scripts/bench.mjs).");
  console.log("\nWhat each downloads (every response but the page and its own CSS and gated scripts; gzip -9 of each body):");
  for (const tool of tools) {
    for (const [kind, d] of [["first visit", tool.first], ["returning visitor", tool.returning]]) {
      console.log(`  ${tool.name}, ${kind}: ${bytes(d.gzip)} gzip in ${d.files.length} requests (${d.files.map((f) => `${f.url} ${f.gzip}`).join(", ")})`);
    }
  }
  const [k, v] = tools;
  console.log(`  ratio kelisim/vanilla: first visit ${(k.first.gzip / v.first.gzip).toFixed(2)}×, returning ${(k.returning.gzip / v.returning.gzip).toFixed(2)}×`);

  const results = [];
  for (const profile of profiles) {
    const samples = new Map(tools.map((t) => [t.name, { banner: [], released: [] }]));
    for (let i = 0; i < runs; i++) {
      for (const tool of i % 2 ? [...tools].reverse() : tools) {
        samples.get(tool.name).banner.push(await timed(browser, server, tool, profile));
        samples.get(tool.name).released.push(await timed(browser, server, tool, profile, tool.cookies));
      }
    }
    results.push({ profile, samples });
  }
  for (const { profile, samples } of results) {
    const [ks, vs] = tools.map((t) => samples.get(t.name));
    console.log(`\n${profile.name}: median of ${runs} (min–max)`);
    for (const tool of tools) {
      const s = samples.get(tool.name);
      const range = (xs) => `${ms(median(xs))} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;
      console.log(`  ${tool.name.padEnd(28)} time to banner ${range(s.banner).padEnd(24)} returning visitor, gated scripts released ${range(s.released)}`);
    }
    console.log(`  ratio kelisim/vanilla: time to banner ${(median(ks.banner) / median(vs.banner)).toFixed(2)}×, gated scripts released ${(median(ks.released) / median(vs.released)).toFixed(2)}×`);
  }
} finally {
  await browser.close();
  await server.stop();
  rmSync(site, { recursive: true, force: true });
}
