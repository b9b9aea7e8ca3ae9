// Types for kelisim/testing: the consent cookie a test suite seeds.
import type { Config, Lang } from "./kelisim.js";

/** `"all"` (accept all), `"none"` (reject all), or the states `setConsent()` takes. */
export type Choice =
  | "all"
  | "none"
  | { categories?: Record<string, boolean>; services?: Record<string, boolean> };

export interface ConsentCookieOptions {
  /** When the decision was made: a Date, ms since the Unix epoch, or ISO 8601 (default: now). */
  givenAt?: Date | number | string;
  /** The language the visitor read (default: the config's defaultLanguage). */
  language?: Lang;
  /** The visitor's pseudonymous id, a lowercase UUID v4 (default: a fresh one). */
  subject?: string;
  /** The decision's id, a lowercase UUID v4 (default: a fresh one). */
  id?: string;
  /** The policy revision recorded (default: the config's policy.revision). */
  revision?: number;
  /** A Global Privacy Control signal was on: "all" leaves selling and sharing off, as the banner does. */
  gpc?: boolean;
  /** The page the cookie is for: `secure` when https, and `domain` = its host when the config sets none. */
  url?: string | URL;
  /** Overrides the Domain (default: the config's cookie.domain, else the url's host). */
  domain?: string;
  /** Overrides Secure (default: true for an https url). */
  secure?: boolean;
}

/** Playwright's `addCookies` item, also usable for Cypress's `cy.setCookie` and WebDriver's add-cookie. */
export interface ConsentCookie {
  name: string;
  value: string;
  path: string;
  /** Seconds since the Unix epoch: 13 calendar months after givenAt. */
  expires: number;
  sameSite: "Lax";
  secure: boolean;
  domain?: string;
}

/**
 * The consent cookie for `config` after `choice`, as the SDK writes it.
 * Throws a TypeError naming what is wrong: the config's field path, an
 * unknown category or service id, a bad option.
 */
export function consentCookie(config: Config | string, choice: Choice, options?: ConsentCookieOptions): ConsentCookie;

/** The `Cookie` request header a browser holding `cookie` sends (`name=value`). */
export function cookieHeader(cookie: Pick<ConsentCookie, "name" | "value">): string;
