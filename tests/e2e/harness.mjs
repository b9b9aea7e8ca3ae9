// Shared e2e harness: starts the real collector serving www/ and dist/ on an
// ephemeral 127.0.0.1 port, and launches headless Chromium through playwright-core.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function chromePath() {
  const candidates = [process.env.CHROME_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error("no Chromium found: run `npm run setup` or set CHROME_PATH");
  return found;
}

/** Starts the collector (receipts go to a fresh temporary database); resolves to { url, stop }. */
export function startServer(args = []) {
  const bin = path.join(root, "target/release/kelisim-collector");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  const dbDir = mkdtempSync(path.join(os.tmpdir(), "kelisim-e2e-"));
  const db = ["--db", path.join(dbDir, "receipts.sqlite3")];
  const child = spawn(bin, ["--addr", "127.0.0.1:0", "--www", "www", "--dist", "dist", "--quiet", ...db, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error("collector did not start within 10 s")), 10_000);
    child.on("exit", (code) => reject(new Error(`collector exited early with ${code}`)));
    child.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          stop: () => new Promise((r) => { child.once("exit", r); child.kill(); }).then(() => rmSync(dbDir, { recursive: true, force: true })),
        });
      }
    });
  });
}

export const launchArgs = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--no-first-run",
  "--disable-sync", "--disable-quic",
];


/** Launches Chromium; `extraArgs` are added to `launchArgs` (e.g. `--host-resolver-rules`). */
export async function launch(extraArgs = []) {
  return chromium.launch({ executablePath: chromePath(), args: [...launchArgs, ...extraArgs] });
}

/** The demo config without its `receipts` section. */
function withoutReceipts() {
  const c = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
  delete c.receipts;
  return c;
}

/**
 * Opens a page that records console errors, warnings and uncaught exceptions.
 * `opts`: { viewport, locale, config (object to serve instead of the demo config), servedConfig }.
 */
export async function openPage(browser, url, opts = {}) {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    locale: opts.locale ?? "en-US",
  });
  const page = await context.newPage();
  const log = { errors: [], warnings: [] };
  page.on("console", (m) => {
    if (m.type() === "error") log.errors.push(m.text());
    if (m.type() === "warning") log.warnings.push(m.text());
  });
  page.on("pageerror", (e) => log.errors.push(`uncaught: ${e.message}`));
  // Suites other than the receipt suites get the demo config without its `receipts` section
  // (a decision would otherwise also post a receipt); `servedConfig: true` keeps the file as
  // served.
  const config = opts.config !== undefined ? opts.config : opts.servedConfig ? undefined : withoutReceipts();
  if (config !== undefined) {
    await context.route("**/kelisim.config.json", (route) =>
      route.fulfill({ contentType: "application/json", body: typeof config === "string" ? config : JSON.stringify(config) }),
    );
  }
  if (opts.beforeLoad) await opts.beforeLoad(page, context);
  if (url) await page.goto(url);
  return { context, page, log };
}

/** Waits until kelisim has started (or failed) on the page. */
export async function ready(page) {
  await page.waitForFunction(() => window.kelisim !== undefined, null, { timeout: 10_000 });
  // The stylesheet reveals the root when loaded.
  await page.waitForSelector("[data-kelisim-root]:not([hidden])", { state: "attached", timeout: 10_000 });
}

/** The consent cookie as Playwright sees it. */
export async function consentCookie(context, name = "kelisim") {
  return (await context.cookies()).find((c) => c.name === name);
}

export function screenshotDir() {
  const dir = path.join(root, "tests/screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Registers before/after hooks that start one server and one browser for a test
 * file; returns an object whose `server` and `browser` are set once they run.
 * `opts.args`: extra Chromium arguments.
 */
export function useServerAndBrowser(hooks, opts = {}) {
  const env = { server: undefined, browser: undefined };
  hooks.before(async () => {
    env.server = await startServer();
    env.browser = await launch(opts.args);
  });
  hooks.after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}
