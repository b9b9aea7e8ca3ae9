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
  /**
   * The policy document (JSON, format "kelisim-policy" version 1) the policy view renders:
   * one URL for a bilingual file, or one per language. Fetched when a view first opens.
   */
  document?: string | Localized;
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
  /** The personal data this category collects, one item per kind (Law No. 94-V Art. 8(4)). */
  data?: Localized[];
  /** localStorage keys or `*` patterns it writes; deleted when it is withdrawn. */
  storage?: string[];
  /**
   * Sells or shares personal data: refused under a Global Privacy Control signal.
   * When nothing is marked, the category "marketing" is.
   */
  sharing?: boolean;
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
  /** At most 32. */
  thirdParties?: ThirdPartyConfig[];
  /** At most 32. */
  oauth?: OAuthConfig[];
  /** Which links get a disclosure before the visitor leaves. Default "declared". */
  externalLinks?: "declared" | "all" | "off";
  /** Whether personal data are published in public sources (Law No. 94-V Art. 8(4)). Default false. */
  publicSources?: boolean;
  /** Where consent receipts are posted (needs `controller.email` and `controller.phone`). */
  receipts?: ReceiptsConfig;
  /** Reload the page after a withdrawal (scripts that ran cannot be unloaded). Default false. */
  reloadOnWithdrawal?: boolean;
  /** Extra cookie paths to delete withdrawn cookies under (each starts with "/"). */
  cookiePaths?: string[];
  consentMode?: ConsentModeConfig;
  /** How the banner looks; colours, fonts and sizes are the CSS custom properties `--kelisim-*`. */
  ui?: UiConfig;
}

/** The config's `ui` section (docs/theming.md). Written on the banner's root as `data-kelisim-layout`, `data-kelisim-position` and `data-kelisim-theme`. */
export interface UiConfig {
  /** "box" (default), "bar" (full width) or "wide" (a wide box). */
  layout?: "box" | "bar" | "wide";
  /** Vertical, a dash, horizontal. Default "bottom-center". */
  position?: `${"top" | "middle" | "bottom"}-${"left" | "center" | "right"}`;
  /** "auto" (default) follows `prefers-color-scheme`; "light" or "dark" forces one. */
  theme?: "auto" | "light" | "dark";
}

/** The config's `receipts` section. */
export interface ReceiptsConfig {
  /** An http(s) or relative URL that accepts `POST` of one receipt. */
  endpoint: string;
  /** Extra request headers (fetch only; not allowed with "beacon"). */
  headers?: Record<string, string>;
  /** "fetch" (default): application/json, CORS; "beacon": navigator.sendBeacon, text/plain. */
  transport?: "fetch" | "beacon";
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
  /**
   * Opens the privacy policy (`policy.document`) in a dialog, in `lang` or the current language.
   * Resolves once it is rendered; rejects with an Error naming the problem.
   */
  showPolicy(lang?: Lang): Promise<void>;

  /** Receipts not delivered yet (none when receipts are off). */
  pendingReceipts(): PendingReceipt[];
  /**
   * Tries every pending receipt now; always resolves: once the outbox is empty or holds only
   * failed receipts, or its oldest pending receipt must wait for its next retry.
   */
  flush(): Promise<void>;
  /** Every disclosure record kept in this browser (at most 100), oldest first. */
  getDisclosures(): Disclosure[];
  /**
   * Shows the OAuth disclosure of `oauth[].id`. Resolves true when the visitor continues
   * (at once if they chose "don't ask again"), false when they cancel; rejects for an
   * id the config does not declare.
   */
  discloseOAuth(id: string): Promise<boolean>;
}

export interface StartOptions {
  /** Delivers one receipt; resolving counts as delivered, rejecting (or throwing) retries later. */
  send?: (receipt: Receipt) => unknown | Promise<unknown>;
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
export function start(config: Config, options?: StartOptions): Promise<Kelisim>;

/** A Kantara Consent Receipt v1.1 with the kelisim extension (receipt format v1). */
export interface Receipt {
  version: "KI-CR-v1.1.0";
  jurisdiction: "KZ";
  /** Seconds since the Unix epoch. */
  consentTimestamp: number;
  /** e.g. "banner: accept all", "preferences: save", "api: withdraw()", "disclosure: link". */
  collectionMethod: string;
  /** UUID v4; retries reuse it. */
  consentReceiptID: string;
  language: Lang;
  /** The consent's subject id. */
  piiPrincipalId: string;
  piiControllers: {
    piiController: string;
    contact: string;
    address: { streetAddress?: string; addressCountry: "KZ" };
    email: string;
    /** RFC 3966, e.g. "tel:+7-727-355-14-20". */
    phone: string;
    piiControllerUrl?: string;
  }[];
  /** Absolute URL of the policy in the receipt's language. */
  policyUrl: string;
  /** One per accepted category. */
  services: {
    service: string;
    purposes: {
      purpose: string;
      purposeCategory: string[];
      consentType: "EXPLICIT" | "N/A";
      piiCategory: string[];
      primaryPurpose: boolean;
      termination: string;
      thirdPartyDisclosure: boolean;
      thirdPartyName?: string;
    }[];
  }[];
  sensitive: boolean;
  spiCat: string[];
  kelisim: ReceiptExtension;
}

export type ReceiptEvent = "given" | "updated" | "renewed" | "withdrawn" | "disclosure";

/** The `kelisim` extension of a receipt. Later versions may add fields. */
export interface ReceiptExtension {
  v: 1;
  event: ReceiptEvent;
  consent: {
    id: string;
    method: Method;
    categories: Record<string, boolean>;
    services: Record<string, boolean>;
    givenAt: string;
    expiresAt: string;
  };
  policy: { version: string; revision: number };
  /** What Law No. 94-V Art. 8(4) requires a consent to state. */
  law94v: {
    operator: { name: string; bin: string };
    subject: string;
    validUntil: string;
    thirdPartyTransfer: boolean;
    crossBorderTransfer: boolean;
    /** ISO 3166-1 alpha-2, sorted, without KZ. */
    crossBorderCountries: string[];
    publicSources: boolean;
    dataCollected: string[];
  };
  /** Only when `event` is "disclosure". */
  disclosure?: {
    kind: "link" | "oauth";
    party: string;
    host: string;
    outcome: "shown" | "continued" | "cancelled";
  };
  /** Per-subject hash chain: `prev` is the SHA-256 (hex) of the previous receipt's canonical form. */
  chain: { seq: number; prev: string | null };
}

export interface PendingReceipt {
  id: string;
  /** "failed": refused for good (a 4xx other than 408/429), or it cannot be sent as built; kept, not retried. */
  status: "pending" | "failed";
  /** Attempts answered with a failure so far. */
  attempts: number;
  receipt: Receipt;
  /** Why a failed receipt cannot be sent as built (over 64 KiB, refused by the browser). */
  reason?: string;
}

export interface ReceiptDetail {
  /** The receipt's consentReceiptID. */
  id: string;
  /** "dropped": removed unsent because the outbox was full (also a console error). */
  status: "sent" | "retrying" | "failed" | "dropped";
  /** The HTTP status, when there was one. */
  httpStatus?: number;
  /** Why a "failed" receipt cannot be sent as built (over 64 KiB, refused by the browser). */
  reason?: string;
}

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
    /** kelisim could not start (bad config, module refused by the page's CSP, network); `detail` names what is wrong. Gated content stays held. */
    "kelisim:error": CustomEvent<Error>;
    "kelisim:consent": CustomEvent<Consent>;
    "kelisim:change": CustomEvent<ChangeDetail>;
    "kelisim:receipt": CustomEvent<ReceiptDetail>;
    "kelisim:disclosure": CustomEvent<Disclosure>;
  }
}
