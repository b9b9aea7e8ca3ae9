// Screenshots of each banner layout (docs/theming.md) on the demo, in Kazakh and
// Russian, light and dark, 360 and 1280 px wide, clipped to the banner with a
// margin of the page around it. Writes docs/screenshots/<layout>-<lang>-<theme>-<width>.png.
//
// usage: npm run build && node scripts/screenshots.mjs [out dir]
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { root, startServer, launch, ready } from "../tests/e2e/harness.mjs";

const out = path.resolve(process.argv[2] ?? path.join(root, "docs/screenshots"));
const LAYOUTS = ["box", "bar", "wide"];
const LANGS = { kk: "/", ru: "/ru/" };
const THEMES = ["light", "dark"];
const SIZES = [{ width: 360, height: 740 }, { width: 1280, height: 800 }];
const MARGIN = 24;

const demo = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
delete demo.receipts;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const server = await startServer();
const browser = await launch();
const written = [];
try {
  for (const layout of LAYOUTS) {
    for (const [lang, url] of Object.entries(LANGS)) {
      for (const theme of THEMES) {
        for (const viewport of SIZES) {
          const context = await browser.newContext({ viewport, locale: lang === "kk" ? "kk-KZ" : "ru-RU", colorScheme: theme, reducedMotion: "reduce" });
          const config = { ...demo, ui: { layout, theme } };
          await context.route("**/kelisim.config.json", (r) => r.fulfill({ contentType: "application/json", body: JSON.stringify(config) }));
          const page = await context.newPage();
          await page.goto(server.url + url);
          await ready(page);
          const banner = page.locator('[data-kelisim="banner"]');
          await banner.waitFor({ state: "visible" });
          await page.evaluate(() => document.fonts.ready);
          const b = await banner.boundingBox();
          const x = Math.max(0, Math.floor(b.x - MARGIN));
          const y = Math.max(0, Math.floor(b.y - MARGIN));
          const clip = {
            x,
            y,
            width: Math.min(viewport.width, Math.ceil(b.x + b.width + MARGIN)) - x,
            height: Math.min(viewport.height, Math.ceil(b.y + b.height + MARGIN)) - y,
          };
          const file = path.join(out, `${layout}-${lang}-${theme}-${viewport.width}.png`);
          await page.screenshot({ path: file, clip });
          written.push(path.relative(root, file));
          await context.close();
        }
      }
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log(written.join("\n"));
console.log(`screenshots: ${written.length} files in ${path.relative(root, out) || "."}`);
