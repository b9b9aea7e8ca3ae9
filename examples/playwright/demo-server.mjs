// Starts the demo site as `npm start` serves it: the receipt collector serving
// www/ and the built package (dist/) on an ephemeral 127.0.0.1 port, with
// receipts in a temporary database. In your own suite, start your own site.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Resolves to `{ url, stop }` once the demo answers. */
export function startDemo() {
  const bin = path.join(root, "target/release/kelisim-collector");
  if (!existsSync(bin) || !existsSync(path.join(root, "dist/testing.js"))) {
    throw new Error("the demo is not built: run `npm run build` first");
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "kelisim-example-"));
  const child = spawn(bin, ["--addr", "127.0.0.1:0", "--www", "www", "--dist", "dist", "--quiet", "--db", path.join(dir, "receipts.sqlite3")], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("the demo did not start within 10 s")), 10_000);
    child.on("exit", (code) => reject(new Error(`the demo exited early with ${code}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (!m) return;
      clearTimeout(timer);
      const stop = () => new Promise((r) => { child.once("exit", r); child.kill(); }).then(() => rmSync(dir, { recursive: true, force: true }));
      resolve({ url: m[1], stop });
    });
  });
}

/** Chromium as CI runs it: headless, no sandbox (root), no background traffic. */
export const chromiumArgs = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--no-first-run",
  "--disable-sync", "--disable-quic",
];

export function chromiumPath() {
  const found = [process.env.CHROME_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => p && existsSync(p));
  if (!found) throw new Error("no Chromium found: set CHROME_PATH");
  return found;
}
