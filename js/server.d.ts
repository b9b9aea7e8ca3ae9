// Types for kelisim/server: reading the visitor's consent on a Node server.
import type { Config, Consent } from "./kelisim.js";

/** Why a request carries no consent (stable; listed in tests/vectors/consent-cookies.json). */
export type NoConsentReason =
  | "absent"
  | "several-no-latest"
  | "malformed"
  | "unknown-version"
  | "bad-field"
  | "checksum"
  | "from-the-future"
  | "too-old"
  | "expired"
  | "revision-changed"
  | "unanswered";

export interface ReadOptions {
  /** The clock: a Date or ms since the Unix epoch (default: Date.now()). */
  now?: number | Date;
}

export interface ReadResult {
  /** What getConsent() gives in the browser for the same cookie, config and clock. */
  consent: Consent | null;
  /** null when there is a consent. */
  why: NoConsentReason | null;
  /** The field (bad-field) or the category or service id (unanswered). */
  detail: string | null;
  /** Why, as a sentence. */
  message: string | null;
}

/**
 * The consent in a request's Cookie header (`req.headers.cookie`), or null.
 * Throws a TypeError naming the field path when the config is invalid.
 */
export function readConsent(cookieHeader: string | string[] | undefined | null, config: Config | string, options?: ReadOptions): Consent | null;

/** Like readConsent, with the reason when there is no consent. */
export function readConsentWithReason(cookieHeader: string | string[] | undefined | null, config: Config | string, options?: ReadOptions): ReadResult;
