// `npm run bench`: native core benchmarks, then time-to-banner in headless Chromium.
// Figures only; nothing here passes or fails on speed.
import { execFileSync } from "node:child_process";
import { startServer, launch, root } from "../tests/e2e/harness.mjs";

execFileSync("cargo", ["bench", "--bench", "core", "--quiet"], { cwd: root, stdio: "inherit" });

const runs = Number(process.env.KELISIM_BENCH_RUNS || 20);
const server = await startServer();
const browser = await launch();
const samples = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => addEventListener("kelisim:ready", () => { window.__readyAt = performance.now(); }));
    await page.goto(server.url + "/");
    await page.waitForFunction(() => window.__readyAt !== undefined);
    samples.push(await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      return { ready: window.__readyAt, domContentLoaded: nav.domContentLoadedEventEnd };
    }));
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const p90 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length * 0.9)]; };
const ready = samples.map((s) => s.ready);
console.log(`time to kelisim:ready (banner rendered) after navigation start on the demo, loopback, ${runs} cold contexts: median ${med(ready).toFixed(1)} ms, p90 ${p90(ready).toFixed(1)} ms (DOMContentLoaded median ${med(samples.map((s) => s.domContentLoaded)).toFixed(1)} ms)`);
