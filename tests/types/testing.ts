// Compiled with `tsc --noEmit --strict` by `npm test`: kelisim/testing's typings
// as a suite uses them, with Playwright's own types and the demo's real config.
import type { Browser } from "playwright-core";
import { consentCookie, cookieHeader, type ConsentCookie } from "../../js/testing.js";
import { consentFixtures, seedConsent, openWithConsent, watchGatedScripts, gatedScripts, assertNoGatedScriptRanBeforeConsent, type GatedScript } from "../../js/testing-playwright.js";
import demo from "../../www/kelisim.config.json";

const config = demo as Parameters<typeof consentCookie>[0];
declare const browser: Browser;

const all: ConsentCookie = consentCookie(config, "all", { givenAt: "2026-01-31T12:00:00Z", language: "ru", url: "http://127.0.0.1:8080/" });
const custom = consentCookie(JSON.stringify(demo), { categories: { analytics: true }, services: { "google-analytics": false } }, { givenAt: new Date(), gpc: true, revision: 2 });
const header: string = cookieHeader(custom);
void header;

async function suite() {
  const context = await browser.newContext();
  await context.addCookies([all]);
  await watchGatedScripts(context, config);
  const seeded: ConsentCookie = await seedConsent(context, "http://127.0.0.1:8080/", config, "none");
  void seeded;
  const page = await openWithConsent(context, new URL("http://127.0.0.1:8080/"), config, "all", { language: "kk" });
  await page.click('[data-kelisim-action="accept-all"]'); // a real Playwright Page comes back
  await watchGatedScripts(page, config);
  const ran: GatedScript[] = await assertNoGatedScriptRanBeforeConsent(page);
  const listed = await gatedScripts(page);
  if (ran[0]?.consent?.categories.analytics && listed[0]?.allowed) void ran[0].at;
}
void suite;

const fixtures = consentFixtures(config, { language: "ru" });
const option: [unknown, { option: true }] = fixtures.consent;
void option;
async function fixture() {
  const context = await browser.newContext({ baseURL: "http://127.0.0.1:8080" });
  const page = await context.newPage();
  await fixtures.page({ context, page, consent: "none", baseURL: "http://127.0.0.1:8080" }, async (p) => {
    await p.goto("/");
  });
}
void fixture;

// @ts-expect-error: a choice is "all", "none" or {categories, services}
consentCookie(config, "some");
// @ts-expect-error: no such option
consentCookie(config, "all", { expires: 1 });
