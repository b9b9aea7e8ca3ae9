// kelisim/testing against kelisim/server: a cookie made by consentCookie reads
// back as the consent the choice gives, from the same core; errors name what is
// wrong; the `kelisim cookie` command prints the same cookie.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { consentCookie, cookieHeader } from "../../dist/testing.js";
import { readConsent, readConsentWithReason } from "../../dist/server.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const demoFile = path.join(root, "www/kelisim.config.json");
const demo = JSON.parse(readFileSync(demoFile, "utf8"));
const SUBJECT = "0b9e8d7c-6b5a-4948-b736-251403f2e1a1";
const JAN_31 = "2026-01-31T10:20:30.456Z";

/** The ids whose state is true. */
const on = (states) => Object.keys(states).filter((k) => states[k]);

function readBack(cookie, now = Date.parse(JAN_31) + 1000) {
  return readConsent(cookieHeader(cookie), demo, { now });
}

test("all, none and a custom choice read back as that consent, 13 calendar months", () => {
  const all = consentCookie(demo, "all", { givenAt: JAN_31, subject: SUBJECT, language: "ru" });
  assert.deepEqual(Object.keys(all), ["name", "value", "path", "expires", "sameSite", "secure"]);
  assert.deepEqual({ ...all, value: undefined }, { name: "kelisim", value: undefined, path: "/", expires: Date.parse("2027-02-28T10:20:30Z") / 1000, sameSite: "Lax", secure: false });
  const c = readBack(all);
  assert.equal(c.givenAt, JAN_31);
  assert.equal(c.expiresAt, "2027-02-28T10:20:30.456Z", "31 January + 13 months: the last day of February");
  assert.equal(all.expires, Math.floor(Date.parse(c.expiresAt) / 1000));
  assert.deepEqual([c.subject, c.language, c.method, c.revision, c.gpc], [SUBJECT, "ru", "accept-all", demo.policy.revision, false]);
  assert.deepEqual(on(c.categories), demo.categories.map((k) => k.id));
  assert.deepEqual(on(c.services), demo.categories.flatMap((k) => k.services.map((s) => s.id)));
  assert.match(c.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

  const none = readBack(consentCookie(demo, "none", { givenAt: JAN_31 }));
  assert.deepEqual([on(none.categories), on(none.services), none.method, none.language], [["necessary"], [], "reject-all", "kk"]);
  assert.notEqual(none.subject, SUBJECT, "a fresh subject by default");

  const custom = readBack(consentCookie(demo, { categories: { preferences: true }, services: { "yandex-metrica": true } }, { givenAt: new Date(JAN_31) }));
  assert.deepEqual(on(custom.categories), ["necessary", "preferences", "analytics"]);
  assert.deepEqual(on(custom.services), ["yandex-metrica"], "a service named true turns its category on, not its siblings");
  assert.equal(custom.method, "custom");

  // The last millisecond before expiry holds; the expiry itself does not.
  const exp = Date.parse(c.expiresAt);
  assert.ok(readBack(all, exp - 1));
  assert.equal(readConsentWithReason(cookieHeader(all), demo, { now: exp }).why, "expired");
});

test("revision, GPC, the config's cookie options, and the page's URL", () => {
  const old = consentCookie(demo, "all", { revision: demo.policy.revision - 1 });
  assert.equal(readConsentWithReason(cookieHeader(old), demo).why, "revision-changed");
  const gpc = readBack(consentCookie(demo, "all", { givenAt: JAN_31, gpc: true }));
  assert.equal(gpc.gpc, true);
  assert.equal(gpc.categories.marketing, false, "a GPC signal leaves selling and sharing off on accept-all");

  const site = { ...structuredClone(demo), cookie: { name: "site_consent", path: "/shop", domain: ".sapar.example.kz" } };
  const c = consentCookie(site, "none", { url: "https://www.sapar.example.kz/shop/" });
  assert.deepEqual([c.name, c.path, c.domain, c.secure], ["site_consent", "/shop", ".sapar.example.kz", true]);
  assert.ok(readConsent(cookieHeader(c), site));
  const host = consentCookie(demo, "none", { url: "http://127.0.0.1:8080/ru/" });
  assert.deepEqual([host.domain, host.secure], ["127.0.0.1", false], "host-only: the page's host");
  assert.equal(consentCookie(demo, "none", { url: "http://127.0.0.1/", secure: true, domain: "localhost" }).domain, "localhost");
  // The config as JSON text reads the same.
  const text = consentCookie(JSON.stringify(demo), "all", { givenAt: JAN_31, subject: SUBJECT, id: SUBJECT.replace("0b9e", "1c2d") });
  assert.equal(text.value, consentCookie(demo, "all", { givenAt: JAN_31, subject: SUBJECT, id: SUBJECT.replace("0b9e", "1c2d") }).value, "same inputs, same value");
});

test("unknown ids, a bad config and bad options are errors that name them", () => {
  const t = (fn, message) => assert.throws(fn, { name: "TypeError", message });
  t(() => consentCookie(demo, { categories: { stats: true } }), 'kelisim/testing: choice.categories: unknown category "stats"; the config\'s categories: necessary, preferences, analytics, marketing');
  t(() => consentCookie(demo, { services: { "vk": true } }), /^kelisim\/testing: choice\.services: unknown service "vk"; the config's services: yandex-metrica, google-analytics, facebook-pixel, vk-pixel$/);
  t(() => consentCookie(demo, { categories: { "vk-pixel": false } }), /unknown category "vk-pixel" \(it is one of the config's services: put it in choice\.services\)/);
  t(() => consentCookie(demo, { services: { "vk-pixel": "yes" } }), /choice\.services\.vk-pixel: expected true or false, got a string/);
  t(() => consentCookie(demo, "everything"), /choice: expected "all", "none" or \{categories, services\}, got "everything"/);
  t(() => consentCookie(demo), /choice: expected .* got null/);
  const bad = structuredClone(demo);
  bad.categories[2].id = 7;
  t(() => consentCookie(bad, "all"), "kelisim/testing: invalid config: categories[2].id: expected a string, got a number");
  t(() => consentCookie(null, "all"), /config must be/);
  t(() => consentCookie(demo, "all", { language: "en" }), /options\.language: expected "kk" or "ru", got "en"/);
  t(() => consentCookie(demo, "all", { subject: "visitor-1" }), 'kelisim/testing: options.subject: expected a lowercase UUID v4, got "visitor-1"');
  t(() => consentCookie(demo, "all", { givenAt: "yesterday" }), /options\.givenAt: expected an ISO 8601 time/);
  t(() => consentCookie(demo, "all", { givenAt: -1 }), /options\.givenAt: expected a time from 1970 on/);
  t(() => consentCookie(demo, "all", { revision: 1.5 }), /options\.revision: expected a whole number/);
  t(() => consentCookie(demo, "all", { expires: 1 }), /options: unknown option "expires"/);
  t(() => consentCookie(demo, "all", { url: "/relative" }), /options\.url: not an absolute URL/);
});

test("the package exports it as kelisim/testing", async () => {
  const viaExports = await import("kelisim/testing");
  assert.equal(viaExports.consentCookie, consentCookie);
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  assert.equal(pkg.bin.kelisim, "js/cli.js");
  assert.ok(pkg.files.includes("js/cli.js"));
});

const cli = (...args) => spawnSync(process.execPath, [path.join(root, "js/cli.js"), ...args], { cwd: root, encoding: "utf8" });

test("kelisim cookie prints the value; --json the whole cookie", () => {
  const value = execFileSync(process.execPath, ["js/cli.js", "cookie", "--config", demoFile, "--accept", "all", "--given-at", JAN_31, "--subject", SUBJECT, "--lang", "ru"], { cwd: root, encoding: "utf8" }).trim();
  const c = readConsent(`kelisim=${value}`, demo, { now: Date.parse(JAN_31) });
  assert.deepEqual([c.method, c.subject, c.language, c.givenAt], ["accept-all", SUBJECT, "ru", JAN_31]);

  const ids = cli("cookie", "--config", demoFile, "--accept", "preferences,google-analytics", "--json", "--url", "https://sapar.example.kz/");
  assert.equal(ids.status, 0, ids.stderr);
  const cookie = JSON.parse(ids.stdout);
  assert.deepEqual([cookie.name, cookie.path, cookie.domain, cookie.secure, cookie.sameSite], ["kelisim", "/", "sapar.example.kz", true, "Lax"]);
  const custom = readConsent(cookieHeader(cookie), demo);
  assert.deepEqual(on(custom.categories), ["necessary", "preferences", "analytics"]);
  assert.deepEqual(on(custom.services), ["google-analytics"]);

  const none = cli("cookie", "--config", demoFile, "--accept=none", "--revision", "0");
  assert.equal(none.status, 0, none.stderr);
  assert.equal(readConsentWithReason(`kelisim=${none.stdout.trim()}`, demo).why, "revision-changed");
});

test("kelisim cookie: errors name what is wrong, with exit codes", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kelisim-cli-"));
  try {
    const badJson = path.join(dir, "broken.json");
    writeFileSync(badJson, "{ not json");
    const badField = path.join(dir, "bad-field.json");
    const bad = structuredClone(demo);
    bad.controller.bin = "12";
    writeFileSync(badField, JSON.stringify(bad));
    const cases = [
      [["cookie", "--config", demoFile, "--accept", "analytics,vk"], 1, /^kelisim: --accept: unknown id "vk": .* has the categories necessary, preferences, analytics, marketing and the services yandex-metrica, google-analytics, facebook-pixel, vk-pixel\n$/],
      [["cookie", "--config", path.join(dir, "missing.json"), "--accept", "all"], 1, /^kelisim: --config: cannot read .*missing\.json \(no such file\)\n$/],
      [["cookie", "--config", badJson, "--accept", "all"], 1, /^kelisim: .*broken\.json: not JSON/],
      [["cookie", "--config", badField, "--accept", "all"], 1, /^kelisim: .*bad-field\.json: invalid config: controller\.bin: a BIN is exactly 12 digits\n$/],
      [["cookie", "--config", demoFile, "--accept", "all", "--lang", "en"], 1, /^kelisim: --lang: expected "kk" or "ru", got "en"\n$/],
      [["cookie", "--config", demoFile, "--accept", "all", "--given-at", "yesterday"], 1, /^kelisim: --given-at: expected an ISO 8601 time/],
      [["cookie", "--config", demoFile, "--accept", "all", "--subject", "42"], 1, /^kelisim: --subject: expected a lowercase UUID v4, got "42"/],
      [["cookie", "--config", demoFile, "--accept", "analytics,,marketing"], 1, /an empty id/],
      [["cookie", "--accept", "all"], 2, /^kelisim: --config FILE is required\n\nusage: kelisim cookie/],
      [["cookie", "--config", demoFile], 2, /--accept all\|none\|ID,ID\.\.\. is required/],
      [["cookie", "--config", demoFile, "--accept", "all", "--colour", "red"], 2, /unknown option "--colour"/],
      [["cookie", "--config"], 2, /--config needs a value/],
      [["cookies"], 2, /unknown command "cookies" \(the command is: cookie\)/],
    ];
    for (const [args, status, stderr] of cases) {
      const r = cli(...args);
      assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, stderr, args.join(" "));
      assert.equal(r.stdout, "", `${args.join(" ")} printed nothing on stdout`);
    }
    const help = cli("--help");
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: kelisim cookie --config FILE --accept all\|none\|ID,ID\.\.\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
