// Helpers of the bundler tests: the packed package, throwaway apps that install
// it, a static server, and the check each built app must pass in Chromium.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync, createReadStream } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { root } from "../e2e/harness.mjs";

export { root };

/** The demo config without its `receipts` section (what every app passes to `start`). */
export function appConfig() {
  const c = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
  delete c.receipts;
  return c;
}

/** `npm pack` of the built package into a fresh temporary folder; returns { dir, tarball, files }. */
export function pack() {
  if (!existsSync(path.join(root, "dist/kelisim.js"))) {
    throw new Error("dist/kelisim.js is missing: run `bash scripts/build.sh` first");
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "kelisim-bundlers-"));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: root, encoding: "utf8" });
  const [info] = JSON.parse(out);
  return { dir, tarball: path.join(dir, info.filename), files: info.files.map((f) => f.path) };
}

/**
 * A throwaway app in `dir/name` with the given files ({relative path: text}) and the
 * packed tarball installed as node_modules/kelisim the way npm installs it (a copy,
 * not a link: bundlers treat linked packages differently).
 */
export function makeApp(parent, name, tarball, files) {
  const dir = path.join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `app-${name}`, private: true, type: "module" }));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error", tarball], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  return dir;
}

/** Every file under `dir`, as paths relative to it with `/`. */
export function listFiles(dir, base = dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p, base) : [path.relative(base, p).split(path.sep).join("/")];
  });
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

/**
 * A static server on 127.0.0.1 (ephemeral port). `mounts`: [[url prefix, folder], ...],
 * first match wins; a path ending in `/` means its index.html; anything else missing is
 * 404 (no fallback page, so a wrong asset URL shows as a failed request).
 * `cors`: send `Access-Control-Allow-Origin: *` (a CDN). Resolves to { url, close }.
 */
export function serve(mounts, { cors = false } = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const mount = mounts.find(([prefix]) => pathname.startsWith(prefix));
    const headers = cors ? { "Access-Control-Allow-Origin": "*" } : {};
    if (!mount || pathname.includes("..") || pathname.includes("\0")) {
      res.writeHead(404, headers).end("not found");
      return;
    }
    let file = path.join(mount[1], pathname.slice(mount[0].length));
    if (pathname.endsWith("/")) file = path.join(file, "index.html");
    let st;
    try {
      st = statSync(file);
    } catch {
      res.writeHead(404, headers).end("not found");
      return;
    }
    if (!st.isFile()) {
      res.writeHead(404, headers).end("not found");
      return;
    }
    res.writeHead(200, {
      ...headers,
      "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "Content-Length": st.size,
      "Cache-Control": "no-cache",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
      });
    });
  });
}

/** Rejects with `what` after `ms`, so a hung build or server fails the test instead of the run. */
export function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

const root$ = "[data-kelisim-root]";
const banner = '[data-kelisim="banner"]';
const panel = '[data-kelisim="preferences"]';
const dialog = '[data-kelisim="policy-dialog"]';

/**
 * Loads `url` in a fresh context and checks what a bundled kelisim must do: the banner
 * shows, the policy view and the preferences panel open (the parts that may load
 * lazily), accepting sets the `kelisim` cookie, and nothing failed on the way: no
 * failed or 4xx/5xx request, no console error, no uncaught exception. `opts.hashed`:
 * every .wasm and .css the page fetched from the package has a name other than its
 * name in the package (the bundler fingerprinted it). Resolves to the list of URLs
 * requested.
 */
export async function checkApp(browser, url, opts = {}) {
  const context = await browser.newContext({ locale: "kk-KZ" });
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on("response", (r) => {
    requests.push({ url: r.url(), type: r.headers()["content-type"] ?? "" });
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  const fail = async (step, e) => {
    const shot = path.join(os.tmpdir(), `kelisim-bundlers-${Date.now()}.png`);
    await page.screenshot({ path: shot }).catch(() => {});
    throw new Error(`${url}: ${step}: ${e.message}\n  page problems: ${JSON.stringify(problems, null, 2)}\n  requests: ${requests.map((r) => r.url).join("\n    ")}\n  screenshot: ${shot}`);
  };
  try {
    try {
      await page.goto(url);
      // The stylesheet reveals the root (a zero-size container) once it has loaded.
      await page.waitForSelector(`${root$}:not([hidden])`, { state: "attached", timeout: 15_000 });
      await page.waitForSelector(`${banner} [data-kelisim-action]`, { state: "visible", timeout: 5_000 });
    } catch (e) { await fail("the banner did not show", e); }
    try {
      await page.click(`${banner} [data-kelisim-action="policy"]`);
      await page.waitForSelector(`${dialog} [data-kelisim-policy-view] [data-kelisim-clause]`, { state: "visible", timeout: 10_000 });
      await page.click(`${dialog} [data-kelisim-action="close"]`);
      await page.waitForSelector(`${dialog}`, { state: "hidden", timeout: 5_000 });
    } catch (e) { await fail("the policy view did not open and close", e); }
    try {
      await page.click(`${banner} [data-kelisim-action="preferences"]`);
      await page.waitForSelector(`${panel} input[data-kelisim-category="analytics"]`, { state: "visible", timeout: 10_000 });
    } catch (e) { await fail("the preferences panel did not open", e); }
    try {
      await page.click(`${panel} [data-kelisim-action="accept-all"]`);
      await page.waitForFunction(() => document.cookie.split("; ").some((c) => c.startsWith("kelisim=")), null, { timeout: 5_000 });
    } catch (e) { await fail("accepting did not set the kelisim cookie", e); }
    // Whatever loads on idle after the banner path must resolve as well.
    await page.waitForLoadState("networkidle", { timeout: 10_000 }).catch(() => {});
    const cookie = (await context.cookies()).find((c) => c.name === "kelisim");
    assert.ok(cookie, `${url}: no kelisim cookie after accepting`);
    const consent = await page.evaluate(() => window.kelisim?.getConsent?.());
    assert.equal(consent?.method, "accept-all", `${url}: consent after accepting in the panel: ${JSON.stringify(consent)}`);
    assert.deepEqual(problems, [], `${url}: problems while loading and using the page`);
    for (const r of requests.filter((r) => r.url.endsWith(".wasm"))) {
      assert.match(r.type, /^application\/wasm/, `${r.url} was served as ${r.type}`);
    }
    if (opts.hashed) {
      const own = new Set(opts.packageFiles.map((f) => path.posix.basename(f)));
      const assets = requests.filter((r) => /\.(wasm|css)$/.test(new URL(r.url).pathname) && !new URL(r.url).pathname.startsWith("/policy/"));
      assert.ok(assets.length > 0, `${url}: no .wasm or .css requested`);
      for (const r of assets) {
        const name = path.posix.basename(new URL(r.url).pathname);
        assert.ok(!own.has(name), `${r.url}: not fingerprinted (the package's own file name)`);
      }
    }
    return requests.map((r) => r.url);
  } finally {
    await context.close();
  }
}
