#!/usr/bin/env node
// `kelisim cookie`: prints the consent cookie a test suite seeds, for suites
// that are not in JavaScript (kelisim/testing's consentCookie, from the command line).
import { readFileSync } from "node:fs";
import { consentCookie } from "../dist/testing.js";

const USAGE = `usage: kelisim cookie --config FILE --accept all|none|ID,ID... [options]

Prints the value of the consent cookie the kelisim SDK writes for that choice.

  --config FILE       the site's config (JSON), as the page passes it to start()
  --accept WHAT       all, none, or the category and service ids accepted, comma-separated
                      (every other optional category and service is refused; naming a
                      category accepts its services unless some are named too)
  --lang kk|ru        the language the visitor read (default: the config's defaultLanguage)
  --given-at ISO      when the decision was made, e.g. 2026-01-31T12:00:00Z (default: now)
  --subject UUID      the visitor's pseudonymous id (default: a fresh UUID v4)
  --revision N        the policy revision recorded (default: the config's policy.revision)
  --url URL           the page the cookie is for (sets domain and secure in --json)
  --json              print the whole cookie (name, value, path, expires, sameSite, secure, domain)

exit codes: 0 printed, 1 the config, choice or an option is wrong, 2 usage`;

class Usage extends Error {}

function parse(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") return { help: true };
  if (command !== "cookie") throw new Usage(`unknown command "${command}" (the command is: cookie)`);
  const flags = { "--config": "config", "--accept": "accept", "--lang": "lang", "--given-at": "givenAt", "--subject": "subject", "--revision": "revision", "--url": "url" };
  const out = {};
  for (let i = 0; i < rest.length; i++) {
    let arg = rest[i];
    if (arg === "--help" || arg === "-h") return { help: true };
    if (arg === "--json") { out.json = true; continue; }
    let value;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) [arg, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    const key = flags[arg];
    if (!key) throw new Usage(`unknown option "${arg}"`);
    if (value === undefined) {
      value = rest[++i];
      if (value === undefined || value.startsWith("--")) throw new Usage(`${arg} needs a value`);
    }
    if (key in out) throw new Usage(`${arg} given twice`);
    out[key] = value;
  }
  if (!out.config) throw new Usage("--config FILE is required");
  if (!out.accept) throw new Usage("--accept all|none|ID,ID... is required");
  return out;
}

/** `all`, `none`, or the ids accepted, sorted into categories and services by the config. */
function choiceOf(accept, config, file) {
  if (accept === "all" || accept === "none") return accept;
  const ids = accept.split(",").map((s) => s.trim());
  if (ids.some((id) => id === "")) throw new Error(`--accept: an empty id in "${accept}"`);
  const categories = {};
  const services = {};
  const cats = Array.isArray(config.categories) ? config.categories : [];
  const svcs = cats.flatMap((c) => (Array.isArray(c?.services) ? c.services : []));
  for (const id of ids) {
    if (cats.some((c) => c?.id === id)) categories[id] = true;
    else if (svcs.some((s) => s?.id === id)) services[id] = true;
    else {
      throw new Error(`--accept: unknown id "${id}": ${file} has the categories ${cats.map((c) => c?.id).join(", ") || "(none)"} and the services ${svcs.map((s) => s?.id).join(", ") || "(none)"}`);
    }
  }
  return { categories, services };
}

function main(argv) {
  let args;
  try {
    args = parse(argv);
  } catch (e) {
    if (!(e instanceof Usage)) throw e;
    process.stderr.write(`kelisim: ${e.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    let text;
    try {
      text = readFileSync(args.config, "utf8");
    } catch (e) {
      throw new Error(`--config: cannot read ${args.config} (${e.code === "ENOENT" ? "no such file" : e.code ?? e.message})`);
    }
    let config;
    try {
      config = JSON.parse(text);
    } catch (e) {
      throw new Error(`${args.config}: not JSON (${e.message})`);
    }
    let revision;
    if (args.revision !== undefined) {
      if (!/^\d+$/.test(args.revision)) throw new Error(`--revision: expected a whole number, got "${args.revision}"`);
      revision = Number(args.revision);
    }
    const cookie = consentCookie(config, choiceOf(args.accept, config, args.config), {
      language: args.lang,
      givenAt: args.givenAt,
      subject: args.subject,
      revision,
      url: args.url,
    });
    process.stdout.write(args.json ? `${JSON.stringify(cookie)}\n` : `${cookie.value}\n`);
    return 0;
  } catch (e) {
    const flag = { givenAt: "--given-at", language: "--lang", subject: "--subject", revision: "--revision", url: "--url" };
    const message = String(e?.message ?? e)
      .replace(/^kelisim\/testing: /, "")
      .replace(/^options\.(givenAt|language|subject|revision|url)\b/, (_, k) => flag[k]);
    process.stderr.write(`kelisim: ${message.startsWith("invalid config: ") ? `${args.config}: ${message}` : message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
