// kelisim/testing/playwright: Playwright helpers built on kelisim/testing and
// kelisim/server. They take Playwright's own BrowserContext and Page objects
// and import nothing of Playwright, so any Playwright version (playwright,
// playwright-core, @playwright/test) works with them.
import { AssertionError } from "node:assert";
import { consentCookie } from "./testing.js";
import { readConsentWithReason } from "./server.js";

/**
 * Adds the consent cookie for `choice` to `context`, for pages at `url`
 * (its host and scheme; the config's cookie domain when it has one).
 * @returns the cookie added
 */
export async function seedConsent(context, url, config, choice, options = {}) {
  const cookie = consentCookie(config, choice, { url: String(url), ...options });
  await context.addCookies([cookie]);
  return cookie;
}

/** A new page of `context` with `choice` already given, opened at `url`. */
export async function openWithConsent(context, url, config, choice, options = {}) {
  await seedConsent(context, url, config, choice, options);
  const page = await context.newPage();
  await page.goto(String(url));
  return page;
}

/**
 * Fixtures for Playwright Test (`@playwright/test`): `test = base.extend(consentFixtures(config))`
 * adds a `consent` option ("all", "none", {categories, services}; unset: no consent) that
 * seeds the cookie for `use.baseURL` before each test, and watches the `page` fixture's
 * gated scripts, so `assertNoGatedScriptRanBeforeConsent(page)` works in every test.
 */
export function consentFixtures(config, options = {}) {
  return {
    consent: [undefined, { option: true }],
    page: async ({ context, page, consent, baseURL }, use) => {
      await watchGatedScripts(page, config);
      if (consent !== undefined) {
        if (!baseURL) throw new Error("kelisim/testing: the consent fixture needs use.baseURL (the site the cookie is for)");
        await seedConsent(context, baseURL, config, consent, options);
      }
      await use(page);
    },
  };
}

// Runs in the page from its first script on: records every gated script
// (`<script data-kelisim-category>`) that the browser will run, with the page's
// clock and cookies at that moment. A tag still typed text/plain is inert; a
// released copy, or a tag that was never inert, is recorded.
function recorder() {
  if (window.__kelisimGatedScripts) return;
  const log = [];
  Object.defineProperty(window, "__kelisimGatedScripts", { value: log });
  const seen = new WeakSet();
  const runs = (el) => {
    const type = (el.getAttribute("type") ?? "").trim().toLowerCase();
    return type === "" || type === "module" || /^(text|application)\/(x-)?(java|ecma)script$/.test(type);
  };
  const record = (el) => {
    if (el.nodeName !== "SCRIPT" || seen.has(el) || !el.hasAttribute("data-kelisim-category") || !runs(el)) return;
    seen.add(el);
    log.push({
      category: el.getAttribute("data-kelisim-category"),
      service: el.getAttribute("data-kelisim-service"),
      src: el.getAttribute("src") || null,
      text: (el.textContent ?? "").trim().slice(0, 80),
      at: Date.now(),
      cookie: document.cookie,
    });
  };
  const visit = (node) => {
    if (node.nodeType !== 1) return;
    record(node);
    for (const s of node.querySelectorAll?.("script[data-kelisim-category]") ?? []) record(s);
  };
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === "attributes") record(c.target);
      else c.addedNodes.forEach(visit);
    }
  }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["type", "src"] });
}

const watched = new WeakMap();

/**
 * Starts recording the gated scripts a page runs, from its next navigation on:
 * `target` is a Page (call it before `page.goto`) or a BrowserContext (every
 * page opened in it afterwards). `config` is the site's config, to read the
 * consent cookie with.
 */
export async function watchGatedScripts(target, config) {
  if (!watched.has(target)) await target.addInitScript(recorder);
  watched.set(target, config);
}

/** What a gated script needs: `{category, service?, refused}` ("!id" runs once `id` is refused). */
function needs(script) {
  const refused = script.category.startsWith("!");
  return { category: refused ? script.category.slice(1) : script.category, service: script.service, refused };
}

function allows(config, consent, script) {
  const { category, service, refused } = needs(script);
  const cat = (typeof config === "string" ? JSON.parse(config) : config).categories?.find((c) => c.id === category);
  if (cat?.required && !refused) return true;
  if (!consent) return false;
  const on = consent.categories[category] === true && (!service || consent.services[service] === true);
  return refused ? consent.categories[category] === false || (service != null && consent.services[service] === false) : on;
}

function describe(s) {
  const attrs = `data-kelisim-category="${s.category}"${s.service ? ` data-kelisim-service="${s.service}"` : ""}`;
  return s.src ? `<script ${attrs} src="${s.src}">` : `<script ${attrs}>${s.text}</script>`;
}

/**
 * The gated scripts `page` ran since `watchGatedScripts`, each with the
 * consent in force when it was inserted (`consent`, or `null` and `why`,
 * read by kelisim/server from the page's cookies at that moment) and whether
 * that consent allows it (`allowed`).
 */
export async function gatedScripts(page) {
  const config = watched.get(page) ?? watched.get(page.context?.());
  if (config === undefined) throw new Error("kelisim/testing: call watchGatedScripts(page or context, config) before page.goto");
  const log = await page.evaluate(() => window.__kelisimGatedScripts ?? []);
  return log.map((s) => {
    const { consent, why } = readConsentWithReason(s.cookie, config, { now: s.at });
    return { ...s, consent, why, allowed: allows(config, consent, s) };
  });
}

/**
 * Fails (AssertionError) when a gated script of `page` ran while no consent
 * allowing it was in force: before any consent, or against the one given.
 * Scripts of a required category run at once and are not counted.
 */
export async function assertNoGatedScriptRanBeforeConsent(page) {
  const ran = await gatedScripts(page);
  const bad = ran.filter((s) => !s.allowed);
  if (bad.length > 0) {
    const lines = bad.map((s) => `  ${describe(s)}: ${s.consent ? "the consent in force refuses it" : `no consent (${s.why})`}`);
    throw new AssertionError({
      message: `kelisim: ${bad.length} gated script(s) ran without a consent that allows them:\n${lines.join("\n")}`,
      actual: bad.map(describe),
      expected: [],
      operator: "assertNoGatedScriptRanBeforeConsent",
    });
  }
  return ran;
}
