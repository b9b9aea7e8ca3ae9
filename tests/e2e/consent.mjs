// Test-side helpers that know the public contract, written independently of the Rust code.
import { readFileSync } from "node:fs";
import path from "node:path";
import { root } from "./harness.mjs";

/** The demo config without its `receipts` section (see `servedDemoConfig`). */
export function demoConfig() {
  const c = servedDemoConfig();
  delete c.receipts;
  return c;
}

/** The demo config exactly as `www/kelisim.config.json` serves it. */
export function servedDemoConfig() {
  return JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
}

/** Decodes a version-1 or version-2 cookie value per docs/cookie-format.md (not the Rust decoder). */
export function decodeCookie(value) {
  const parts = value.split(".");
  const v2 = parts.length === 11 && parts[0] === "2";
  if (!v2 && (parts.length !== 10 || parts[0] !== "1")) throw new Error(`not a v1 or v2 cookie: ${value}`);
  const list = (s) => Object.fromEntries(s ? s.split("~").map((e) => { const [k, v] = e.split(":"); return [k, v === "1"]; }) : []);
  return {
    version: Number(parts[0]),
    id: parts[1], subject: parts[2], givenAt: Number(parts[3]), revision: Number(parts[4]),
    language: parts[5], method: parts[6], categories: list(parts[7]), services: list(parts[8]),
    gpc: v2 ? parts[9] === "1" : false, check: parts[parts.length - 1],
  };
}

/** Same day-of-month 13 months later in UTC, clamped to the month's last day. */
export function plus13Months(ms) {
  const d = new Date(ms);
  const m = d.getUTCMonth() + 13;
  const y = d.getUTCFullYear() + Math.floor(m / 12);
  const month = m % 12;
  const last = new Date(Date.UTC(y, month + 1, 0)).getUTCDate();
  return Date.UTC(y, month, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** Visible text lines of an element. */
export async function textLines(page, selector) {
  return page.$eval(selector, (e) => e.innerText.split("\n").map((s) => s.trim()).filter(Boolean));
}

export const BLANK = "<!doctype html><html lang=\"kk\"><head><meta charset=\"utf-8\"><title>blank</title></head><body><main><p>Host page</p></main></body></html>";
