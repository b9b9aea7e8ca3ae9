// The npm package under each bundler, for real: `npm pack` of the built package,
// a tiny app per bundler that installs the tarball and calls `start(config)`, a
// production build (fingerprinted asset names) served from 127.0.0.1, dev servers
// for Vite and webpack, and the plain <script type="module"> from a nested path
// and from another origin. Each app is loaded in headless Chromium and must show
// the banner, open the policy view and the preferences panel (parts that may load
// lazily), and set the consent cookie on accept, with no failed request and no
// console error. Nothing here names the files in dist/: whatever the entry
// references must resolve after bundling.
//
// Needs a built dist/ (`bash scripts/build.sh`); run with `npm run test:bundlers`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { launch } from "../e2e/harness.mjs";
import { root, appConfig, pack, makeApp, listFiles, serve, within, checkApp } from "./lib.mjs";

const BUILD_MS = 120_000;
const DEV_MS = 60_000;

let packed, work, browser;
const policyDir = path.join(root, "www/policy");
const config = appConfig();
const pkgVersion = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version;

before(async () => {
  packed = pack();
  work = mkdtempSync(path.join(os.tmpdir(), "kelisim-apps-"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (!process.env.KELISIM_KEEP_APPS) {
    for (const d of [work, packed?.dir]) if (d) rmSync(d, { recursive: true, force: true });
  }
});

/** The app every bundler builds: an HTML page and a module that starts kelisim with an inline config. */
function app(name, { html = true, script = "/main.js", module = true } = {}) {
  const files = {
    "main.js": `import { start } from "kelisim";\n\nconst config = ${JSON.stringify(config, null, 2)};\n\nstart(config).catch((e) => console.error(e));\n`,
  };
  if (html) files["index.html"] = page(`<script ${module ? 'type="module" ' : ""}src="${script}"></script>`);
  const dir = makeApp(work, name, packed.tarball, files);
  // The policy document the config names, served beside the app (Vite: public/).
  cpSync(policyDir, path.join(dir, "public/policy"), { recursive: true });
  return dir;
}

function page(head) {
  return `<!doctype html>\n<html lang="kk">\n<head>\n<meta charset="utf-8">\n<link rel="icon" href="data:,">\n<title>app</title>\n${head}\n</head>\n<body><main><h1>Бет</h1></main></body>\n</html>\n`;
}

/** Serves a built app and checks it; `out` is the build output folder. */
async function serveAndCheck(out, opts = {}) {
  const server = await serve([["/policy/", policyDir], ["/", out]]);
  try {
    return await checkApp(browser, `${server.url}/`, { hashed: true, packageFiles: packed.files, ...opts });
  } finally {
    await server.close();
  }
}

test("the packed package ships the built dist/ and the esbuild plugin", () => {
  assert.ok(packed.files.includes("dist/kelisim.js"), `files: ${packed.files}`);
  assert.ok(packed.files.some((f) => /^dist\/.*\.wasm$/.test(f)), "a .wasm in dist/");
  assert.ok(packed.files.includes("dist/kelisim.css"));
  assert.ok(packed.files.includes("js/esbuild-plugin.js"));
  // kelisim/testing (Node only): the module, its Playwright helpers and the `kelisim` command.
  for (const f of ["dist/testing.js", "dist/testing.d.ts", "dist/testing-playwright.js", "dist/testing-playwright.d.ts", "js/cli.js"]) {
    assert.ok(packed.files.includes(f), `${f} packed: ${packed.files}`);
  }
  assert.ok(!packed.files.some((f) => /^(src|crates|tests|target)\//.test(f)), `sources packed: ${packed.files}`);
});

test("the installed package: kelisim/testing imports and `npx kelisim cookie` runs", () => {
  const dir = makeApp(work, "testing", packed.tarball, {
    "config.json": JSON.stringify(config),
    "seed.mjs": 'import { consentCookie } from "kelisim/testing";\nimport { readConsent } from "kelisim/server";\nimport { readFileSync } from "node:fs";\nconst config = JSON.parse(readFileSync("config.json", "utf8"));\nconst c = consentCookie(config, "none");\nconsole.log(JSON.stringify(readConsent(`${c.name}=${c.value}`, config)));\n',
  });
  const read = JSON.parse(execFileSync(process.execPath, ["seed.mjs"], { cwd: dir, encoding: "utf8" }));
  assert.equal(read.method, "reject-all");
  const value = execFileSync("npx", ["--no-install", "kelisim", "cookie", "--config", "config.json", "--accept", "all"], { cwd: dir, encoding: "utf8" }).trim();
  assert.match(value, /^2\.[0-9a-f-]{36}\.[0-9a-f-]{36}\.\d+\.\d+\.(kk|ru)\.accept-all\..*\.[0-9a-f]{8}$/);
});

// Vite 8 (Rolldown) pre-bundles the package for its dev server and rewrites its
// `new URL("./…", import.meta.url)` references; Vite 6 and 7 (esbuild's pre-bundler)
// do not, so their dev server needs `optimizeDeps: { exclude: ["kelisim"] }` (the
// docs/embedding.md says so). Production builds need nothing in either.
for (const [pkg, major, devConfig] of [
  ["vite", 8, {}],
  ["vite6", 6, { optimizeDeps: { exclude: ["kelisim"] } }],
]) {
  test(`Vite ${major}: production build`, async () => {
    const { build } = await import(pkg);
    const dir = app(`vite${major}`);
    const out = path.join(dir, "dist");
    await within(BUILD_MS, "vite build", build({ root: dir, configFile: false, logLevel: "error", build: { outDir: out } }));
    await serveAndCheck(out);
  });

  test(`Vite ${major}: dev server${devConfig.optimizeDeps ? " with optimizeDeps.exclude" : ""}`, async () => {
    const { createServer } = await import(pkg);
    const dir = app(`vite${major}-dev`);
    const server = await createServer({
      root: dir,
      configFile: false,
      logLevel: "error",
      ...devConfig,
      // Port 0 means "any free port" to Vite 8; Vite 6 takes it as unset and starts at 5173.
      server: { host: "127.0.0.1", port: 0, strictPort: false, watch: null },
    });
    try {
      await within(DEV_MS, "vite dev server start", server.listen());
      const { port } = server.httpServer.address();
      const urls = await within(DEV_MS, "vite dev page", checkApp(browser, `http://127.0.0.1:${port}/`));
      assert.ok(urls.some((u) => u.endsWith(".wasm")), "the dev server served the wasm");
    } finally {
      await server.close();
    }
  });
}

function webpackConfig(dir, mode, out) {
  return {
    mode,
    context: dir,
    entry: { main: "./main.js" },
    devtool: false,
    output: {
      path: out,
      publicPath: "auto",
      filename: mode === "production" ? "[name].[contenthash].js" : "[name].js",
      chunkFilename: mode === "production" ? "[name].[contenthash].js" : "[name].js",
      assetModuleFilename: mode === "production" ? "[name].[contenthash][ext]" : "[name][ext]",
      clean: true,
    },
    infrastructureLogging: { level: "error" },
    stats: "errors-warnings",
  };
}

test("webpack 5: production build", async () => {
  const { default: webpack } = await import("webpack");
  const dir = app("webpack", { html: false });
  const out = path.join(dir, "dist");
  const stats = await within(BUILD_MS, "webpack build", new Promise((resolve, reject) => {
    webpack(webpackConfig(dir, "production", out), (err, s) => (err ? reject(err) : resolve(s)));
  }));
  assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
  const entry = stats.toJson({ all: false, entrypoints: true }).entrypoints.main.assets.map((a) => a.name);
  writeFileSync(path.join(out, "index.html"), page(entry.map((f) => `<script defer src="/${f}"></script>`).join("\n")));
  await serveAndCheck(out);
});

test("webpack 5: dev server", async () => {
  const { default: webpack } = await import("webpack");
  const { default: WebpackDevServer } = await import("webpack-dev-server");
  const dir = app("webpack-dev", { script: "/main.js", module: false });
  const compiler = webpack(webpackConfig(dir, "development", path.join(dir, "dist")));
  const server = new WebpackDevServer({
    host: "127.0.0.1",
    port: 0,
    open: false,
    static: [{ directory: path.join(dir, "public"), publicPath: "/", watch: false }, { directory: dir, publicPath: "/", watch: false }],
  }, compiler);
  try {
    await within(DEV_MS, "webpack dev server start", server.start());
    const { port } = server.server.address();
    await within(DEV_MS, "webpack dev page", checkApp(browser, `http://127.0.0.1:${port}/`));
  } finally {
    await server.stop();
  }
});

test("Rollup with @rollup/plugin-node-resolve and @web/rollup-plugin-import-meta-assets", async () => {
  const { rollup } = await import("rollup");
  const { nodeResolve } = await import("@rollup/plugin-node-resolve");
  const { importMetaAssets } = await import("@web/rollup-plugin-import-meta-assets");
  const dir = app("rollup", { html: false });
  const out = path.join(dir, "dist");
  const warnings = [];
  const bundle = await within(BUILD_MS, "rollup", rollup({
    input: path.join(dir, "main.js"),
    plugins: [nodeResolve({ browser: true }), importMetaAssets()],
    onwarn: (w) => warnings.push(w.message),
  }));
  const { output } = await bundle.write({
    dir: out,
    format: "es",
    entryFileNames: "[name]-[hash].js",
    chunkFileNames: "[name]-[hash].js",
    assetFileNames: "[name]-[hash][extname]",
  });
  await bundle.close();
  assert.deepEqual(warnings, [], "rollup warnings");
  const entry = output.find((o) => o.type === "chunk" && o.isEntry).fileName;
  writeFileSync(path.join(out, "index.html"), page(`<script type="module" src="/${entry}"></script>`));
  await serveAndCheck(out);
});

test("esbuild with the package's plugin (kelisim/esbuild): fingerprinted assets, code splitting", async () => {
  const esbuild = await import("esbuild");
  const dir = app("esbuild", { html: false });
  const out = path.join(dir, "dist");
  // The plugin as the app would import it: from the installed package, through its exports.
  const pluginPath = createRequire(path.join(dir, "package.json")).resolve("kelisim/esbuild");
  const { default: kelisim } = await import(pathToFileURL(pluginPath).href);
  const result = await within(BUILD_MS, "esbuild", esbuild.build({
    absWorkingDir: dir,
    entryPoints: ["main.js"],
    bundle: true,
    format: "esm",
    splitting: true,
    minify: true,
    outdir: out,
    entryNames: "[name]-[hash]",
    chunkNames: "[name]-[hash]",
    assetNames: "[name]-[hash]",
    metafile: true,
    logLevel: "silent",
    plugins: [kelisim()],
  }));
  assert.deepEqual(result.warnings.map((w) => w.text), [], "esbuild warnings");
  const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === "main.js")[0];
  writeFileSync(path.join(out, "index.html"), page(`<script type="module" src="/${path.relative(out, path.join(dir, entry))}"></script>`));
  await serveAndCheck(out);
});

test("esbuild without a plugin: the package's non-JS files copied beside the bundle", async () => {
  const esbuild = await import("esbuild");
  const dir = app("esbuild-copy", { html: false });
  const out = path.join(dir, "dist");
  await within(BUILD_MS, "esbuild", esbuild.build({
    absWorkingDir: dir, entryPoints: ["main.js"], bundle: true, format: "esm", minify: true, outdir: out, logLevel: "error",
  }));
  // The copy step docs/embedding.md gives: every file of the package's dist/ that is not JS.
  const dist = path.join(dir, "node_modules/kelisim/dist");
  for (const f of listFiles(dist).filter((f) => !/\.(js|d\.ts)$/.test(f))) {
    mkdirSync(path.dirname(path.join(out, f)), { recursive: true });
    cpSync(path.join(dist, f), path.join(out, f));
  }
  writeFileSync(path.join(out, "index.html"), page('<script type="module" src="/main.js"></script>'));
  await serveAndCheck(out, { hashed: false });
});

test("plain <script type=\"module\"> from a nested path prefix, config by data-config", async () => {
  const dir = app("plain", { html: false });
  const site = path.join(dir, "site");
  mkdirSync(site);
  writeFileSync(path.join(site, "kelisim.config.json"), JSON.stringify(config));
  const prefix = `/cdn/kelisim@${pkgVersion}/`;
  writeFileSync(path.join(site, "index.html"), page(`<script type="module" src="${prefix}kelisim.js" data-config="/kelisim.config.json"></script>`));
  const server = await serve([[prefix, path.join(dir, "node_modules/kelisim/dist")], ["/policy/", policyDir], ["/", site]]);
  try {
    const urls = await checkApp(browser, `${server.url}/`);
    assert.ok(urls.some((u) => u.includes(prefix) && u.endsWith(".wasm")), "the wasm came from under the prefix");
  } finally {
    await server.close();
  }
});

test("plain <script type=\"module\"> from another origin (a CDN), inline config", async () => {
  const dir = app("cdn", { html: false });
  const site = path.join(dir, "site");
  mkdirSync(site);
  const prefix = `/npm/kelisim@${pkgVersion}/dist/`;
  const cdn = await serve([[prefix, path.join(dir, "node_modules/kelisim/dist")]], { cors: true });
  const json = JSON.stringify(config).replace(/</g, "\\u003c");
  writeFileSync(path.join(site, "index.html"), page(`<script type="module" src="${cdn.url}${prefix}kelisim.js"></script>\n<script type="application/json" id="kelisim-config">${json}</script>`));
  const server = await serve([["/policy/", policyDir], ["/", site]]);
  try {
    const urls = await checkApp(browser, `${server.url}/`);
    assert.ok(urls.some((u) => u.startsWith(cdn.url) && u.endsWith(".wasm")), "the wasm came from the CDN origin");
  } finally {
    await server.close();
    await cdn.close();
  }
});
