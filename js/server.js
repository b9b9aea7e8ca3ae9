// kelisim/server: reads the visitor's consent from a request's Cookie header on
// a Node server, with the same core (compiled to WebAssembly) as the browser's
// getConsent(): the same expiry, revision, unanswered-category, checksum and
// several-cookies rules, so a server never honours what the page would not.
import { readFileSync } from "node:fs";
import { initSync, Reader } from "./kelisim_server.js";

initSync({ module: readFileSync(new URL("./kelisim_server_bg.wasm", import.meta.url)) });

// The last config read, decoded once: a server passes the same config on every request.
let cached = { text: undefined, reader: undefined };

function readerFor(config) {
  let text;
  if (typeof config === "string") text = config;
  else if (config !== null && typeof config === "object" && !Array.isArray(config)) text = JSON.stringify(config);
  else throw new TypeError("kelisim/server: config must be the site's config object (or its JSON text)");
  if (cached.text !== text) {
    let reader;
    try {
      reader = new Reader(text);
    } catch (e) {
      // `path: message`, e.g. "categories[1].id: expected a string, got a number".
      throw new TypeError(`kelisim/server: invalid config: ${typeof e === "string" ? e : e?.message ?? e}`);
    }
    cached.reader?.free();
    cached = { text, reader };
  }
  return cached.reader;
}

function header(cookieHeader) {
  if (cookieHeader === undefined || cookieHeader === null) return "";
  if (Array.isArray(cookieHeader)) return cookieHeader.join("; ");
  if (typeof cookieHeader !== "string") throw new TypeError("kelisim/server: cookieHeader must be the Cookie header, a string");
  return cookieHeader;
}

function clock(now) {
  if (now === undefined) return Date.now();
  const ms = now instanceof Date ? now.getTime() : now;
  if (typeof ms !== "number" || !Number.isFinite(ms)) throw new TypeError("kelisim/server: options.now must be a Date or milliseconds since the Unix epoch");
  return Math.trunc(ms);
}

/**
 * The consent in `cookieHeader` for `config` at `now`, and why there is none.
 * @returns {{consent: import("./kelisim.js").Consent | null, why: string | null, detail: string | null, message: string | null}}
 */
export function readConsentWithReason(cookieHeader, config, { now } = {}) {
  return JSON.parse(readerFor(config).read(header(cookieHeader), clock(now)));
}

/** The consent `getConsent()` would give for `cookieHeader` and `config` at `now`, or null. */
export function readConsent(cookieHeader, config, options = {}) {
  return readConsentWithReason(cookieHeader, config, options).consent;
}
