// Theming and layouts (docs/theming.md): the site's --kelisim-* custom properties reach
// the banner and the panel; every ui.layout x ui.position puts the banner where it
// belongs at 360 and 1280 px without shifting the page (CLS 0); dark mode follows
// prefers-color-scheme or the config; reduced motion turns transitions off; axe finds
// no contrast problem in either theme; a bad ui value is named. The CSS and JSON
// examples are read out of docs/theming.md, so the page shows what is tested.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, root } from "./harness.mjs";

const require = createRequire(import.meta.url);
const env = useServerAndBrowser({ before, after });
const AXE = require.resolve("axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

const sizes = { mobile: { width: 360, height: 740 }, desktop: { width: 1280, height: 800 } };
const LAYOUTS = ["box", "bar", "wide"];
const POSITIONS = ["top", "middle", "bottom"].flatMap((v) => ["left", "center", "right"].map((h) => `${v}-${h}`));

const demo = () => {
  const c = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));
  delete c.receipts;
  return c;
};

/** The code block after `<!-- example: name -->` in docs/theming.md. */
export function example(name) {
  const doc = readFileSync(path.join(root, "docs/theming.md"), "utf8");
  const m = doc.match(new RegExp(`<!-- example: ${name} -->\\s*\`\`\`(\\w+)\\n([\\s\\S]*?)\`\`\``));
  assert.ok(m, `docs/theming.md has no example "${name}"`);
  return m[1] === "json" ? JSON.parse(m[2]) : m[2];
}

/** Layout shifts of the page, recorded from before the first paint. */
const RECORD_SHIFTS = () => {
  window.__shifts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!e.hadRecentInput) {
        window.__shifts.push({
          value: e.value,
          at: Math.round(e.startTime),
          sources: (e.sources ?? []).map((s) => ({
            node: s.node ? `${s.node.nodeName}#${s.node.id ?? ""}.${s.node.className ?? ""}` : "(removed)",
            from: [s.previousRect.x, s.previousRect.y, s.previousRect.width, s.previousRect.height].map(Math.round),
            to: [s.currentRect.x, s.currentRect.y, s.currentRect.width, s.currentRect.height].map(Math.round),
          })),
        });
      }
    }
  }).observe({ type: "layout-shift", buffered: true });
};

async function open(ui, { viewport = sizes.desktop, scheme = "light", motion = "no-preference", lang = "kk", css } = {}) {
  const config = demo();
  if (ui !== undefined) config.ui = ui;
  const s = await openPage(env.browser, null, { viewport, config });
  await s.page.emulateMedia({ colorScheme: scheme, reducedMotion: motion });
  if (css) await s.page.addInitScript((text) => {
    document.addEventListener("DOMContentLoaded", () => {
      const style = document.createElement("style");
      style.textContent = text;
      document.head.append(style);
    });
  }, css);
  await s.page.goto(env.server.url + (lang === "kk" ? "/" : "/ru/"));
  await ready(s.page);
  return s;
}

const style = (page, selector, props, pseudo = null) =>
  page.$eval(selector, (e, [props, pseudo]) => {
    const s = getComputedStyle(e, pseudo);
    return Object.fromEntries(props.map((p) => [p, s.getPropertyValue(p)]));
  }, [props, pseudo]);

async function axe(page, selector) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(
    ([sel, tags]) => window.axe.run(sel, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    [selector, TAGS],
  );
  return result.violations.map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => `${n.target.join(" ")} ${n.any.map((a) => a.message).join(" ")}`).join(", ")}`);
}

test("the config's ui is on the banner's root as data-kelisim-* attributes (defaults: box, bottom-center, auto)", async () => {
  let s = await open(undefined);
  const attrs = () => s.page.$eval("[data-kelisim-root]", (r) => [r.dataset.kelisimLayout, r.dataset.kelisimPosition, r.dataset.kelisimTheme]);
  assert.deepEqual(await attrs(), ["box", "bottom-center", "auto"]);
  await s.context.close();
  const ui = example("config");
  s = await open(ui.ui);
  assert.deepEqual(await attrs(), [ui.ui.layout, ui.ui.position, ui.ui.theme]);
  assert.deepEqual(s.log.errors, []);
  await s.context.close();
});

test("a site's --kelisim-accent, --kelisim-bg and --kelisim-fg set on ancestors reach the buttons, the banner and the panel", async () => {
  const css = example("site-colours");
  assert.match(css, /:root\s*\{[^}]*--kelisim-accent:/);
  assert.match(css, /body\s*\{[^}]*--kelisim-bg:/);
  const { page, context, log } = await open(undefined, { css });
  const want = { accent: "rgb(122, 31, 92)", accentFg: "rgb(255, 255, 255)", bg: "rgb(255, 251, 235)", fg: "rgb(43, 33, 0)" };
  for (const action of ["accept-all", "reject-all", "preferences"]) {
    const b = await style(page, `[data-kelisim="banner"] [data-kelisim-action="${action}"]`, ["background-color", "color"]);
    assert.deepEqual(b, { "background-color": want.accent, color: want.accentFg }, action);
  }
  assert.deepEqual(await style(page, '[data-kelisim="banner"]', ["background-color", "color"]), { "background-color": want.bg, color: want.fg });
  assert.deepEqual(await style(page, '[data-kelisim="banner"] .kelisim-title', ["color"]), { color: want.fg });
  assert.deepEqual(await axe(page, '[data-kelisim="banner"]'), [], "the example's colours pass axe");
  await page.click('[data-kelisim-action="preferences"]');
  await page.waitForSelector('[data-kelisim="preferences"]', { state: "visible" });
  assert.deepEqual(await style(page, '[data-kelisim="preferences"]', ["background-color", "color"]), { "background-color": want.bg, color: want.fg });
  assert.deepEqual(await style(page, '[data-kelisim="preferences"] [data-kelisim-action="save"]', ["background-color"]), { "background-color": want.accent });
  // The demo's own `button:hover` rule (more specific than a plain class) does not leak in.
  await page.hover('[data-kelisim="preferences"] [data-kelisim-action="save"]');
  assert.deepEqual(await style(page, '[data-kelisim="preferences"] [data-kelisim-action="save"]', ["background-color", "color", "transform"]),
    { "background-color": want.accent, color: want.accentFg, transform: "none" }, "hovered");
  // Without the site's properties the defaults apply.
  await context.close();
  const d = await open(undefined);
  assert.deepEqual(await style(d.page, '[data-kelisim-action="accept-all"]', ["background-color"]), { "background-color": "rgb(31, 58, 95)" });
  assert.deepEqual(log.errors, []);
  await d.context.close();
});

test("every documented custom property is read by the stylesheet, and the stylesheet reads no other", () => {
  const css = readFileSync(path.join(root, "js/kelisim.css"), "utf8") + readFileSync(path.join(root, "js/kelisim_policy.css"), "utf8");
  const used = new Set(css.match(/--kelisim-[a-z-]+/g));
  const doc = readFileSync(path.join(root, "docs/theming.md"), "utf8");
  const documented = new Set([...doc.matchAll(/^\| `(--kelisim-[a-z-]+)` \|/gm)].map((m) => m[1]));
  assert.ok(documented.size >= 20, `documented: ${[...documented]}`);
  assert.deepEqual([...used].sort(), [...documented].sort());
});

/** Where the banner must be for a layout and position in a viewport. */
function checkPlacement(box, layout, position, { width: W, height: H }) {
  const at = `${layout} ${position} ${W}px: ${JSON.stringify(box)}`;
  const near = (a, b, what) => assert.ok(Math.abs(a - b) <= 1.5, `${what}: ${a} vs ${b} (${at})`);
  assert.ok(box.x >= 0 && box.x + box.width <= W + 0.5 && box.y >= 0 && box.y + box.height <= H + 0.5, `inside the window (${at})`);
  const off = layout === "bar" ? 0 : W <= 560 ? 8 : 16;
  const [v, h] = position.split("-");
  if (v === "top") near(box.y, off, "top gap");
  if (v === "bottom") near(H - box.y - box.height, off, "bottom gap");
  if (v === "middle") near(box.y + box.height / 2, H / 2, "vertical centre");
  const width = layout === "bar" ? W : Math.min(W - 2 * off, (layout === "box" ? 46 : 72) * 16);
  near(box.width, width, "width");
  if (h === "left" || layout === "bar") near(box.x, off, "left gap");
  if (h === "right" || layout === "bar") near(W - box.x - box.width, off, "right gap");
  if (h === "center") near(box.x + box.width / 2, W / 2, "horizontal centre");
}

for (const [sizeName, viewport] of Object.entries(sizes)) {
  for (const layout of LAYOUTS) {
    test(`layout ${layout}, all nine positions, ${sizeName}: placed as documented, no layout shift`, async () => {
      let config;
      const context = await env.browser.newContext({ viewport });
      await context.route("**/kelisim.config.json", (r) => r.fulfill({ contentType: "application/json", body: JSON.stringify(config) }));
      await context.addInitScript(RECORD_SHIFTS);
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      for (const position of POSITIONS) {
        config = { ...demo(), ui: { layout, position } };
        await page.goto(env.server.url + "/");
        await ready(page);
        const banner = page.locator('[data-kelisim="banner"]');
        await banner.waitFor({ state: "visible" });
        assert.equal(await page.$eval("[data-kelisim-root]", (r) => `${r.dataset.kelisimLayout} ${r.dataset.kelisimPosition}`), `${layout} ${position}`);
        checkPlacement(await banner.boundingBox(), layout, position, viewport);
        // Wide screens put the buttons beside the text in the bar and the wide box.
        const text = await page.locator('[data-kelisim="banner"] .kelisim-text').boundingBox();
        const actions = await page.locator('[data-kelisim="banner"] .kelisim-actions').boundingBox();
        if (layout !== "box" && viewport.width >= 1024) {
          assert.ok(actions.x >= text.x + text.width, `${layout} ${position}: buttons beside the text`);
        } else {
          assert.ok(actions.y >= text.y + text.height, `${layout} ${position}: buttons below the text`);
        }
        // No layout shift while the banner appeared, nor when it goes.
        await page.waitForTimeout(300);
        const appeared = await page.evaluate(() => window.__shifts);
        assert.deepEqual(appeared, [], `${layout} ${position}: layout shifts as the banner appeared`);
        await page.click('[data-kelisim="banner"] [data-kelisim-action="reject-all"]');
        await banner.waitFor({ state: "detached" });
        await page.waitForTimeout(300);
        const gone = await page.evaluate(() => window.__shifts);
        assert.deepEqual(gone, [], `${layout} ${position}: layout shifts as the banner went`);
        await context.clearCookies();
      }
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
}

const LIGHT = { bg: "rgb(255, 255, 255)", fg: "rgb(28, 33, 38)" };
const DARK = { bg: "rgb(27, 31, 36)", fg: "rgb(233, 237, 241)" };

test("dark mode follows prefers-color-scheme by default; ui.theme forces light or dark", async () => {
  const cases = [
    [undefined, "light", LIGHT],
    [undefined, "dark", DARK],
    ["auto", "dark", DARK],
    ["light", "dark", LIGHT],
    ["dark", "light", DARK],
    ["dark", "dark", DARK],
  ];
  for (const [theme, scheme, want] of cases) {
    const { page, context } = await open(theme ? { theme } : undefined, { scheme });
    const at = `theme ${theme ?? "(default)"}, visitor prefers ${scheme}`;
    assert.deepEqual(await style(page, '[data-kelisim="banner"]', ["background-color", "color"]), { "background-color": want.bg, color: want.fg }, at);
    await page.click('[data-kelisim-action="preferences"]');
    await page.waitForSelector('[data-kelisim="preferences"]', { state: "visible" });
    assert.deepEqual(await style(page, '[data-kelisim="preferences"]', ["background-color", "color", "color-scheme"]),
      { "background-color": want.bg, color: want.fg, "color-scheme": want === DARK ? "dark" : "light" }, at);
    // The disclosure and policy dialogs (their own containers) follow the banner's root.
    await page.keyboard.press("Escape");
    const answer = page.evaluate(() => window.kelisim.discloseOAuth("facebook"));
    await page.waitForSelector('[data-kelisim="disclosure"]', { state: "visible" });
    assert.deepEqual(await style(page, '[data-kelisim="disclosure"]', ["background-color", "color"]), { "background-color": want.bg, color: want.fg }, `disclosure, ${at}`);
    await page.keyboard.press("Escape");
    await answer;
    await page.evaluate(() => window.kelisim.showPolicy());
    await page.waitForSelector('[data-kelisim="policy-dialog"]', { state: "visible" });
    assert.deepEqual(await style(page, '[data-kelisim="policy-dialog"]', ["background-color", "color"]), { "background-color": want.bg, color: want.fg }, `policy dialog, ${at}`);
    await context.close();
  }
  // A site's own dark colours, set in its own media query (the example in the docs).
  const css = example("site-dark");
  const { page, context } = await open(undefined, { scheme: "dark", css });
  const b = await style(page, '[data-kelisim-action="accept-all"]', ["background-color", "color"]);
  assert.deepEqual(b, { "background-color": "rgb(240, 179, 220)", color: "rgb(42, 10, 31)" });
  assert.deepEqual(await axe(page, '[data-kelisim="banner"]'), []);
  await context.close();
});

test("prefers-reduced-motion turns the transitions off", async () => {
  const durations = (page) =>
    page.evaluate(() => {
      const input = document.querySelector('[data-kelisim="preferences"] input[data-kelisim-category="analytics"]');
      const all = [getComputedStyle(input), getComputedStyle(input, "::before")];
      for (const e of document.querySelectorAll("[data-kelisim-root], [data-kelisim-root] *")) all.push(getComputedStyle(e));
      return {
        switch: getComputedStyle(input).transitionDuration,
        knob: getComputedStyle(input, "::before").transitionDuration,
        moving: all.filter((s) => s.transitionDuration.split(", ").some((d) => d !== "0s") || s.animationName !== "none").length,
      };
    });
  for (const motion of ["no-preference", "reduce"]) {
    const { page, context } = await open(undefined, { motion });
    await page.click('[data-kelisim-action="preferences"]');
    await page.waitForSelector('[data-kelisim="preferences"]', { state: "visible" });
    const d = await durations(page);
    if (motion === "reduce") assert.deepEqual(d, { switch: "0s", knob: "0s", moving: 0 });
    else assert.ok(d.switch === "0.15s" && d.knob === "0.15s" && d.moving >= 2, JSON.stringify(d));
    await context.close();
  }
});

for (const scheme of ["light", "dark"]) {
  for (const lang of ["kk", "ru"]) {
    test(`axe WCAG 2.2 AA (contrast included), ${scheme}, ${lang}: banner in each layout and the preferences panel`, async () => {
      for (const layout of LAYOUTS) {
        for (const viewport of Object.values(sizes)) {
          // The theme both ways: chosen by the visitor (auto) and forced by the config.
          for (const [theme, emulated] of [["auto", scheme], [scheme, scheme === "dark" ? "light" : "dark"]]) {
            const { page, context, log } = await open({ layout, theme }, { viewport, scheme: emulated, lang, motion: "reduce" });
            const at = `${layout} ${viewport.width}px theme ${theme} (prefers ${emulated})`;
            const bg = (await style(page, '[data-kelisim="banner"]', ["background-color"]))["background-color"];
            assert.equal(bg, scheme === "dark" ? DARK.bg : LIGHT.bg, at);
            assert.deepEqual(await axe(page, '[data-kelisim="banner"]'), [], `banner ${at}`);
            if (layout === "box" && theme === "auto") {
              await page.click('[data-kelisim-action="preferences"]');
              await page.waitForSelector('[data-kelisim="preferences"]', { state: "visible" });
              await page.click('[data-kelisim-section="analytics"] summary');
              assert.deepEqual(await axe(page, '[data-kelisim="preferences"]'), [], `panel ${at}`);
            }
            assert.deepEqual(log.errors, []);
            await context.close();
          }
        }
      }
    });
  }
}

test("a bad ui value rejects start() with the field named", async () => {
  const s = await openPage(env.browser, null, {
    beforeLoad: (_, ctx) => ctx.route(`${env.server.url}/__blank.html`, (r) => r.fulfill({ contentType: "text/html", body: "<!doctype html><html lang=kk><title>t</title><body><p>t</p></body></html>" })),
  });
  await s.page.goto(`${env.server.url}/__blank.html`);
  const cases = [
    [{ layout: "grid" }, 'kelisim: invalid config: ui.layout: "grid" is not one of: box, bar, wide'],
    [{ theme: "night" }, 'kelisim: invalid config: ui.theme: "night" is not one of: auto, light, dark'],
    [{ position: "center" }, 'kelisim: invalid config: ui.position: "center" is not one of: bottom-center, bottom-left, bottom-right, top-left, top-center, top-right, middle-left, middle-center, middle-right'],
    [{ layout: "bar", size: 2 }, "kelisim: invalid config: ui.size: unknown field (expected one of: layout, position, theme)"],
  ];
  for (const [ui, message] of cases) {
    const msg = await s.page.evaluate(async (config) => {
      const { start } = await import("/kelisim/kelisim.js");
      return start(config).then(() => "resolved", (e) => e.message);
    }, { ...demo(), ui });
    assert.equal(msg, message);
  }
  assert.equal(await s.page.$("[data-kelisim-root]"), null);
  await s.context.close();
});

/** Width and height of a PNG file (from its IHDR chunk). */
function pngSize(file) {
  const b = readFileSync(file);
  assert.equal(b.subarray(1, 4).toString("latin1"), "PNG", `${file} is a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

test("screenshots: the script draws every layout in kk and ru, light and dark, at 360 and 1280 px; docs/screenshots has the same set", async () => {
  const { execFileSync } = await import("node:child_process");
  const { mkdtempSync, readdirSync, rmSync } = await import("node:fs");
  const os = await import("node:os");
  const tmp = mkdtempSync(path.join(os.tmpdir(), "kelisim-shots-"));
  try {
    execFileSync(process.execPath, [path.join(root, "scripts/screenshots.mjs"), tmp], { cwd: root, stdio: "pipe", timeout: 300_000 });
    const names = [];
    for (const layout of LAYOUTS) for (const lang of ["kk", "ru"]) for (const theme of ["light", "dark"]) for (const w of [360, 1280]) names.push(`${layout}-${lang}-${theme}-${w}.png`);
    assert.deepEqual(readdirSync(tmp).sort(), [...names].sort());
    const committed = path.join(root, "docs/screenshots");
    assert.deepEqual(readdirSync(committed).filter((f) => f.endsWith(".png")).sort(), [...names].sort());
    for (const name of names) {
      const [layout, , , w] = name.replace(".png", "").split("-");
      // Clipped to the banner plus a 24 px margin, within the window.
      const banner = Number(w) === 360 ? (layout === "bar" ? 360 : 344) : { box: 736, wide: 1152, bar: 1280 }[layout];
      const want = Math.min(Number(w), banner + 48);
      const fresh = pngSize(path.join(tmp, name));
      const kept = pngSize(path.join(committed, name));
      assert.equal(fresh.width, want, `${name} width`);
      assert.equal(kept.width, want, `docs/screenshots/${name} width`);
      assert.ok(Math.abs(fresh.height - kept.height) <= kept.height * 0.15, `${name}: height ${fresh.height} now, ${kept.height} committed (regenerate with node scripts/screenshots.mjs)`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
