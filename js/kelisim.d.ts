// Types of the kelisim public API. Kept by hand to match src/core/config.rs and src/shell/mod.rs.

/** A language kelisim speaks. */
export type Lang = "kk" | "ru";

/** A text in each configured language (both required when both are offered). */
export interface Localized {
  kk: string;
  ru: string;
}

/** The personal-data operator (Law No. 94-V). */
export interface ControllerConfig {
  name: Localized;
  /** Business identification number: exactly 12 digits. */
  bin: string;
  address?: Localized;
  email?: string;
  phone?: string;
  url?: string;
}

export interface PolicyConfig {
  /** Edition label shown to people, e.g. "2.1". */
  version: string;
  /** Bumping it asks every visitor again. A whole number >= 0. */
  revision: number;
  /** The policy page per language (http:, https: or a relative URL). */
  url: Localized;
}

export interface ServiceConfig {
  /** `[a-z0-9_-]`, at most 32 characters, unique across categories and services. */
  id: string;
  title: Localized;
  description: Localized;
  /** Cookie names or `*` patterns this service sets. */
  cookies?: string[];
  /** localStorage keys or `*` patterns it writes; deleted when it is withdrawn. */
  storage?: string[];
  /** Sells or shares personal data: refused under a Global Privacy Control signal. */
  sharing?: boolean;
}

export interface CategoryConfig {
  /** `[a-z0-9_-]`, at most 32 characters, unique across categories and services. */
  id: string;
  /** Strictly necessary: always on. Default false. */
  required?: boolean;
  title: Localized;
  description: Localized;
  cookies?: string[];
  services?: ServiceConfig[];
  /** localStorage keys or `*` patterns it writes; deleted when it is withdrawn. */
  storage?: string[];
  /**
   * Sells or shares personal data: refused under a Global Privacy Control signal.
   * When nothing is marked, the category "marketing" is.
   */
  sharing?: boolean;
}

/** A Google Consent Mode v2 signal kelisim sets. */
export type ConsentModeSignal =
  | "ad_storage"
  | "ad_user_data"
  | "ad_personalization"
  | "analytics_storage"
  | "functionality_storage"
  | "personalization_storage";

/** Google Consent Mode v2 (`gtag('consent', ...)`). */
export interface ConsentModeConfig {
  /** Default true when the object is given. */
  enabled?: boolean;
  /** `wait_for_update` of the default command, in ms (0 to 60000; 0 leaves it out). */
  waitForUpdate?: number;
  /** ISO 3166 codes (`"KZ"`, `"US-CA"`) the default applies to; default everywhere. */
  regions?: string[];
  /**
   * The category or service id each signal follows. Default: ad_* follow
   * "marketing", analytics_storage "analytics", functionality_storage and
   * personalization_storage "preferences".
   */
  mapping?: Partial<Record<ConsentModeSignal, string>>;
}

export interface CookieOptions {
  /** Default "kelisim". */
  name?: string;
  /** Domain attribute; default none (host-only). */
  domain?: string;
  /** Default "/". */
  path?: string;
}

/** The site's configuration. Unknown fields are rejected. */
export interface Config {
  controller: ControllerConfig;
  policy: PolicyConfig;
  /** Languages offered, in order. Default ["kk", "ru"]. */
  languages?: Lang[];
  /** Default "kk" (or the first language offered). */
  defaultLanguage?: Lang;
  /** At most 16 categories and 64 services in all. */
  categories: CategoryConfig[];
  cookie?: CookieOptions;
  /** Reload the page after a withdrawal (scripts that ran cannot be unloaded). Default false. */
  reloadOnWithdrawal?: boolean;
  /** Extra cookie paths to delete withdrawn cookies under (each starts with "/"). */
  cookiePaths?: string[];
  consentMode?: ConsentModeConfig;
}

export type Method = "accept-all" | "reject-all" | "custom" | "withdraw";

/** A stored, valid consent. */
export interface Consent {
  /** UUID v4 of this decision. */
  id: string;
  /** Pseudonymous subject id (UUID v4), kept while the cookie exists. */
  subject: string;
  /** ISO 8601, UTC. */
  givenAt: string;
  /** ISO 8601, UTC: 13 calendar months after givenAt. */
  expiresAt: string;
  revision: number;
  language: Lang;
  categories: Record<string, boolean>;
  services: Record<string, boolean>;
  method: Method;
  /** A Global Privacy Control signal was on and honoured (every selling or sharing id refused). */
  gpc: boolean;
}

export interface ConsentStates {
  categories?: Record<string, boolean>;
  services?: Record<string, boolean>;
}

/** A started instance (also `window.kelisim`). */
export interface Kelisim {
  getConsent(): Consent | null;
  /** Whether a category or service is accepted now. */
  accepted(id: string): boolean;
  acceptAll(): Consent;
  rejectAll(): Consent;
  /** Throws on an unknown id or a non-boolean state. */
  setConsent(states: ConsentStates): Consent;
  withdraw(): Consent;
  /** Deletes the cookie and shows the banner, as on a first visit. */
  reset(): void;
  showBanner(): void;
  showPreferences(): void;
  hide(): void;
  /** Throws for a language the site does not offer. */
  setLanguage(lang: Lang): void;
  readonly language: Lang;
}

/** Starts kelisim; rejects with an Error naming the bad field, leaving the page untouched. */
export function start(config: Config): Promise<Kelisim>;

export interface ChangeDetail {
  /** Category and service ids whose state changed. */
  changed: string[];
  consent: Consent;
}

declare global {
  interface Window {
    kelisim?: Kelisim;
  }
  interface WindowEventMap {
    "kelisim:ready": CustomEvent<Kelisim>;
    "kelisim:consent": CustomEvent<Consent>;
    "kelisim:change": CustomEvent<ChangeDetail>;
  }
}
