// Types for kelisim/testing/playwright. The helpers take Playwright's own
// objects; only the methods used are named here, so any Playwright works.
import type { Config, Consent } from "./kelisim.js";
import type { Choice, ConsentCookie, ConsentCookieOptions } from "./testing.js";
import type { NoConsentReason } from "./server.js";

/** The part of Playwright's BrowserContext the helpers use. */
export interface ContextLike<P extends PageLike = PageLike> {
  addCookies(cookies: ConsentCookie[]): Promise<unknown>;
  newPage(): Promise<P>;
}

/** The part of Playwright's Page the helpers use. */
export interface PageLike {
  goto(url: string): Promise<unknown>;
  addInitScript(script: () => void): Promise<unknown>;
  evaluate<R>(fn: () => R): Promise<R>;
  context(): unknown;
}

/** Adds the consent cookie for `choice` to `context`, for pages at `url`; returns it. */
export function seedConsent(context: Pick<ContextLike, "addCookies">, url: string | URL, config: Config | string, choice: Choice, options?: Omit<ConsentCookieOptions, "url">): Promise<ConsentCookie>;

/** A new page of `context` with `choice` already given, opened at `url`. */
export function openWithConsent<P extends PageLike>(context: ContextLike<P>, url: string | URL, config: Config | string, choice: Choice, options?: Omit<ConsentCookieOptions, "url">): Promise<P>;

/**
 * Records the gated scripts a page runs from its next navigation on: `target` is a
 * Page (call before `page.goto`) or a BrowserContext (every page opened in it afterwards).
 */
export function watchGatedScripts(target: { addInitScript(script: () => void): Promise<unknown> }, config: Config | string): Promise<void>;

/** A gated script the page ran, and the consent in force when it was inserted. */
export interface GatedScript {
  /** `data-kelisim-category` (`"!id"`: runs once `id` is refused). */
  category: string;
  service: string | null;
  src: string | null;
  /** The first 80 characters of an inline script. */
  text: string;
  /** The page's clock when it was inserted (ms since the Unix epoch). */
  at: number;
  /** `document.cookie` then. */
  cookie: string;
  consent: Consent | null;
  why: NoConsentReason | null;
  /** Whether that consent allows it (a required category's scripts always are). */
  allowed: boolean;
}

export function gatedScripts(page: PageLike): Promise<GatedScript[]>;

/** Throws an AssertionError listing each gated script that ran without a consent allowing it. */
export function assertNoGatedScriptRanBeforeConsent(page: PageLike): Promise<GatedScript[]>;

/**
 * Fixtures for Playwright Test: `const test = base.extend(consentFixtures(config))`, then
 * `test.use({ consent: "none" })`. Seeds the cookie for `use.baseURL` before each test
 * (unset: no consent) and watches the page's gated scripts.
 */
export function consentFixtures(config: Config | string, options?: Omit<ConsentCookieOptions, "url">): {
  consent: [Choice | undefined, { option: true }];
  page: <P extends PageLike>(
    fixtures: { context: Pick<ContextLike, "addCookies">; page: P; consent: Choice | undefined; baseURL: string | undefined },
    use: (page: P) => Promise<void>,
  ) => Promise<void>;
};
