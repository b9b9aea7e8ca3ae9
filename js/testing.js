// kelisim/testing: the consent cookie a test suite seeds, made in Node by the
// same core (compiled to WebAssembly) and the same decision path as a
// visitor's click on the banner: the same value format, checksum, revision,
// 13-calendar-month expiry and category/service rules. Not on any browser path.
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { initSync, consent_cookie } from "./kelisim_server.js";

// Shares the module with kelisim/server; a second initSync is a no-op.
initSync({ module: readFileSync(new URL("./kelisim_server_bg.wasm", import.meta.url)) });

function configText(config) {
  if (typeof config === "string") return config;
  if (config !== null && typeof config === "object" && !Array.isArray(config)) return JSON.stringify(config);
  throw new TypeError("kelisim/testing: config must be the site's config object (or its JSON text)");
}

function millis(givenAt) {
  if (givenAt === undefined) return Date.now();
  let ms = givenAt;
  if (givenAt instanceof Date) ms = givenAt.getTime();
  else if (typeof givenAt === "string") {
    ms = Date.parse(givenAt);
    if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(givenAt) || Number.isNaN(ms)) {
      throw new TypeError(`kelisim/testing: options.givenAt: expected an ISO 8601 time such as 2026-01-31T12:00:00Z, got "${givenAt}"`);
    }
  }
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new TypeError("kelisim/testing: options.givenAt: expected a Date, milliseconds since the Unix epoch, or an ISO 8601 string");
  }
  return Math.trunc(ms);
}

function pageUrl(url) {
  if (url === undefined) return undefined;
  try {
    return new URL(url);
  } catch {
    throw new TypeError(`kelisim/testing: options.url: not an absolute URL: "${url}"`);
  }
}

const OWN_OPTIONS = ["givenAt", "language", "subject", "id", "revision", "gpc", "url", "domain", "secure"];

/**
 * The consent cookie for `config` after `choice`, as the SDK writes it.
 * @param {object|string} config the site's config (what the page passes to start())
 * @param {"all"|"none"|{categories?: Record<string, boolean>, services?: Record<string, boolean>}} choice
 * @param {object} [options] givenAt, language, subject, id, revision, gpc, url, domain, secure
 * @returns {{name: string, value: string, path: string, expires: number, sameSite: "Lax", secure: boolean, domain?: string}}
 */
export function consentCookie(config, choice, options = {}) {
  if (options === null || typeof options !== "object") throw new TypeError("kelisim/testing: options must be an object");
  const unknown = Object.keys(options).find((k) => !OWN_OPTIONS.includes(k));
  if (unknown) throw new TypeError(`kelisim/testing: options: unknown option "${unknown}" (expected ${OWN_OPTIONS.join(", ")})`);
  const url = pageUrl(options.url);
  const passed = {
    givenAt: millis(options.givenAt),
    language: options.language ?? null,
    id: options.id ?? randomUUID(),
    subject: options.subject ?? randomUUID(),
    revision: options.revision ?? null,
    gpc: options.gpc ?? false,
  };
  let made;
  try {
    made = JSON.parse(consent_cookie(configText(config), JSON.stringify(choice ?? null), JSON.stringify(passed)));
  } catch (e) {
    if (e instanceof SyntaxError) throw e;
    const why = typeof e === "string" ? e : e?.message ?? String(e);
    throw new TypeError(`kelisim/testing: ${/^(choice|options)\b/.test(why) ? why : `invalid config: ${why}`}`);
  }
  // Secure as the SDK sets it: on an https page. The Domain attribute: the
  // config's; without one the cookie is host-only, on the page's host.
  const secure = options.secure ?? url?.protocol === "https:";
  if (typeof secure !== "boolean") throw new TypeError("kelisim/testing: options.secure: expected true or false");
  const domain = options.domain ?? made.domain ?? url?.hostname;
  const cookie = { name: made.name, value: made.value, path: made.path, expires: made.expires, sameSite: made.sameSite, secure };
  if (domain !== undefined) cookie.domain = domain;
  return cookie;
}

/** The `Cookie` request header a browser holding `cookie` sends (`name=value`). */
export function cookieHeader(cookie) {
  return `${cookie.name}=${cookie.value}`;
}
