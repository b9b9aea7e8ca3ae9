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
  /** The declared third party (`thirdParties[].id`) that receives data through this service. */
  thirdParty?: string;
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
  /** The personal data this category collects, one item per kind (Law No. 94-V Art. 8(4)). */
  data?: Localized[];
}

/** An organisation outside the site that receives data or that links lead to. */
export interface ThirdPartyConfig {
  /** `[a-z0-9_-]`, at most 32 characters, unique among third parties. */
  id: string;
  name: Localized;
  /** 1 to 16 lowercase host names it owns; subdomains are included. */
  domains: string[];
  /** Absolute http(s) URL of its own privacy policy. */
  policyUrl: string;
  /** ISO 3166-1 alpha-2 code of the country data go to, e.g. "US". */
  country: string;
  /** What it may collect. */
  collects: Localized;
  /** Why. */
  purpose: Localized;
}

/** A third-party log-in ("log in with Facebook"). */
export interface OAuthConfig {
  /** `[a-z0-9_-]`, at most 32 characters, unique among OAuth providers. */
  id: string;
  name: Localized;
  /** The data the site receives on log-in. */
  receives: Localized;
  /** Absolute http(s) URL of the provider's privacy policy. */
  policyUrl: string;
  /** The declared third party behind it. */
  thirdParty?: string;
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
  /** At most 32. */
  thirdParties?: ThirdPartyConfig[];
  /** At most 32. */
  oauth?: OAuthConfig[];
  /** Which links get a disclosure before the visitor leaves. Default "declared". */
  externalLinks?: "declared" | "all" | "off";
  /** Whether personal data are published in public sources (Law No. 94-V Art. 8(4)). Default false. */
  publicSources?: boolean;
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
  /** Every disclosure record kept in this browser (at most 100), oldest first. */
  getDisclosures(): Disclosure[];
  /**
   * Shows the OAuth disclosure of `oauth[].id`. Resolves true when the visitor continues
   * (at once if they chose "don't ask again"), false when they cancel; rejects for an
   * id the config does not declare.
   */
  discloseOAuth(id: string): Promise<boolean>;
}

/** One acknowledgement of a third-party link or OAuth disclosure. */
export interface Disclosure {
  kind: "link" | "oauth";
  /** `thirdParties[].id` (links) or `oauth[].id`; null for a site the config does not declare. */
  id: string | null;
  /** Destination host; null when the action has none (a log-in button). */
  host: string | null;
  outcome: "shown" | "continued" | "cancelled";
  /** ISO 8601, UTC. */
  at: string;
  language: Lang;
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
    "kelisim:disclosure": CustomEvent<Disclosure>;
  }
}
