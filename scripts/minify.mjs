// Shrinks what dist/ ships without changing what it does.
//
// 1. The wasm module's import/export names and the JS glue that uses them.
//
// wasm-bindgen names every import `__wbg_<method>_<16 hex digits>` and the same
// string appears in the module and in the glue; those hashes barely compress.
// wasm-opt renames imports, exports and the import module to one or two
// letters and prints the mapping; this script applies it to the glue, drops
// the glue's comments and indentation, and checks that every import of the
// module is provided and every export the glue reads exists. The public API
// (`start`, `Kelisim`, `initSync`, the default export) is untouched.
//
// 2. kelisim.js and kelisim.css without comments and indentation.
//
// 3. receipts.js and the glue bundled into kelisim.js.
//
// usage: node scripts/minify.mjs <dist dir with kelisim_core.js, kelisim_core_bg.wasm, kelisim.js, kelisim.css>
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2] ?? "dist";
const wasmOpt = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "node_modules/.bin/wasm-opt");

const features = [
  "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
];
const fail = (msg) => {
  console.error(`minify: ${msg}`);
  process.exit(1);
};
const escape = (s) => s.replace(/[$.*+?^(){}[\]|\\]/g, "\\$&");
const key = (s) => (/^[A-Za-z_$][\w$]*$/.test(s) ? s : JSON.stringify(s));

// Whole-line comments, doc comments and indentation (no multi-line strings here).
const stripJs = (src) =>
  src
    .replace(/^[ \t]*\/\*\*[\s\S]*?\*\/[ \t]*\n/gm, "")
    .replace(/^[ \t]*\/\/.*\n/gm, "")
    .replace(/^[ \t]+/gm, "")
    .replace(/\n{2,}/g, "\n");

// Every wasm module with its glue: the banner's, and each part loaded on first use.
for (const name of ["kelisim_core", "kelisim_policy"]) shrinkGlue(name);
const jsPath = path.join(dir, "kelisim_core.js");

/** Short import/export names in `<name>_bg.wasm` and `<name>.js`; the glue without comments. */
function shrinkGlue(name) {
  const jsPath = path.join(dir, `${name}.js`);
  const wasmPath = path.join(dir, `${name}_bg.wasm`);
  const out = execFileSync(wasmOpt, [...features, "--minify-imports-and-exports-and-modules", wasmPath, "-o", wasmPath], {
    encoding: "utf8",
  });
  const map = JSON.parse(out.slice(out.indexOf("{")));


  let js = readFileSync(jsPath, "utf8");

  // Import object keys: `        __wbg_foo_0123456789abcdef: function(...`.
  for (const [, name, short] of map.imports) {
    const re = new RegExp(`^(\\s*)${escape(name)}:`, "m");
    if (!re.test(js)) fail(`import ${name} not found in the glue`);
    js = js.replace(re, `$1${key(short)}:`);
  }
  // Exports are only read as `wasm.<name>`.
  for (const [name, short] of map.exports) {
    js = js.replace(new RegExp(`\\bwasm\\.${escape(name)}\\b`, "g"), `wasm.${short}`);
  }
  // The import module.
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const modules = [...new Set(WebAssembly.Module.imports(module).map((i) => i.module))];
  if (modules.length !== 1) fail(`expected one import module, got ${modules.join(", ")}`);
  const oldModule = `"./${name}_bg.js": import0,`;
  if (!js.includes(oldModule)) fail("import module key not found in the glue");
  js = js.replace(oldModule, `${key(modules[0])}: import0,`);

  // The JS wrappers wasm-bindgen generates for closure calls carry the Rust
  // symbol (`wasm_bindgen__convert__closures_..._invoke__h<hash>`); shorten them.
  if (js.includes("__wbg_invoke")) fail("the glue already uses the name __wbg_invoke");
  let invokers = 0;
  const invokerNames = new Map();
  js = js.replace(/\bwasm_bindgen__convert__closures_+\w*?invoke__h[0-9a-f]{16}\b/g, (name) => {
    if (!invokerNames.has(name)) invokerNames.set(name, `__wbg_invoke${invokers++}`);
    return invokerNames.get(name);
  });

  js = stripJs(js);

  // Every import must be provided under its new name, every export read must exist.
  const provided = new Set([...js.matchAll(/^([A-Za-z_$][\w$]*|"[^"]*"):\s*function/gm)].map((m) => m[1].replace(/"/g, "")));
  for (const i of WebAssembly.Module.imports(module)) {
    if (!provided.has(i.name)) fail(`import ${i.module}.${i.name} is not provided by the glue`);
  }
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const [, name] of js.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)) {
    if (!exported.has(name)) fail(`the glue reads wasm.${name}, which is not exported`);
  }
  if (/__wbg_\w+_[0-9a-f]{16}\b/.test(js)) fail("an unrenamed import is left in the glue");

  // The glue's default wasm URL in the form bundlers recognise.
  js = js.replace(new RegExp(`new URL\\((['"])${escape(name)}_bg\\.wasm\\1,\\s*import\\.meta\\.url\\)`, "g"), `new URL("./${name}_bg.wasm", import.meta.url)`);
  writeFileSync(jsPath, js);
  execFileSync(process.execPath, ["--check", jsPath]);
}

const entryPath = path.join(dir, "kelisim.js");
writeFileSync(entryPath, stripJs(readFileSync(entryPath, "utf8")));
execFileSync(process.execPath, ["--check", entryPath]);

// 3. receipts.js (the receipt delivery, which imports nothing) goes inside
// kelisim.js: one request and one gzip stream fewer.
const receiptsPath = path.join(dir, "receipts.js");
if (existsSync(receiptsPath)) {
  const importReceipts = 'import { delivery } from "./receipts.js";\n';
  let entry = readFileSync(entryPath, "utf8");
  const receipts = stripJs(readFileSync(receiptsPath, "utf8"));
  if (!entry.includes(importReceipts) || /^import /m.test(receipts)) fail("receipts.js imports have changed; update the bundling step");
  entry = entry.replace(importReceipts, "") + receipts.replace(/^export /gm, "");
  writeFileSync(entryPath, entry);
  unlinkSync(receiptsPath);
  execFileSync(process.execPath, ["--check", entryPath]);
}

// 4. The glue (kelisim_core.js) goes inside kelisim.js too: the browser learns
// of the glue only by parsing the entry, so a separate file is one more
// round trip before the wasm module is even requested.
inlineGlue(entryPath, jsPath, "./kelisim_core.js");

/**
 * Replaces `import a, { b as c, d } from "<spec>";` in the entry with the glue
 * module's code, run in a function whose exports become those bindings. The
 * glue's own default wasm URL is written in the `new URL("./file",
 * import.meta.url)` form bundlers recognise.
 */
function inlineGlue(entryPath, gluePath, spec) {
  let entry = readFileSync(entryPath, "utf8");
  const importRe = new RegExp(`^import\\s+(\\w+)\\s*,\\s*\\{([^}]*)\\}\\s*from\\s*"${escape(spec)}";\\n`, "m");
  const m = entry.match(importRe);
  if (!m) fail(`the entry no longer imports ${spec} as "import init, { ... } from"; update the bundling step`);
  let glue = readFileSync(gluePath, "utf8");
  const exports = new Map(); // exported name -> local name
  glue = glue.replace(/^export\s*\{([^}]*)\};?\s*$/gm, (_, list) => {
    for (const part of list.split(",").map((p) => p.trim()).filter(Boolean)) {
      const [local, as] = part.split(/\s+as\s+/);
      exports.set(as ?? local, local);
    }
    return "";
  });
  glue = glue.replace(/^export\s+((?:async\s+)?function\*?|class|const|let)\s+([A-Za-z_$][\w$]*)/gm, (_, kind, name) => {
    exports.set(name, name);
    return `${kind} ${name}`;
  });
  if (/^\s*(import|export)\b/m.test(glue)) fail(`${gluePath} has an import or export the bundling step does not handle`);
  const wasmName = path.basename(gluePath).replace(/\.js$/, "_bg.wasm");
  glue = glue.replace(new RegExp(`new URL\\((['"])${escape(wasmName)}\\1,\\s*import\\.meta\\.url\\)`, "g"), `new URL("./${wasmName}", import.meta.url)`);
  const wanted = [["default", m[1]]];
  for (const part of m[2].split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, as] = part.split(/\s+as\s+/);
    wanted.push([name, as ?? name]);
  }
  const pick = wanted.map(([name, local]) => {
    if (!exports.has(name)) fail(`${gluePath} does not export ${name}`);
    return `${key(name)}: ${local}`;
  });
  // Only what the entry imports: terser then drops the rest (initSync, ...).
  const give = wanted.map(([name]) => `${key(name)}: ${exports.get(name)}`);
  const code = `const { ${pick.join(", ")} } = (() => {\n${glue}\nreturn { ${give.join(", ")} };\n})();\n`;
  writeFileSync(entryPath, entry.replace(importRe, () => code));
  // The glue file stays in dist/ for Node tools (tests/unit instantiate the
  // module with it); pages never request it and package.json leaves it out.
  execFileSync(process.execPath, ["--check", entryPath]);
}

// CSS: comments; a line break plus indentation after `;`, `{`, `}` or `,`;
// any other indentation (its line break still separates the tokens).
for (const name of ["kelisim.css", "kelisim_policy.css"]) {
  const cssPath = path.join(dir, name);
  const css = readFileSync(cssPath, "utf8")
    .replace(/\/\*[\s\S]*?\*\/\n?/g, "")
    .replace(/([;{},])\n[ \t]+/g, "$1")
    .replace(/\n[ \t]+/g, "\n");
  writeFileSync(cssPath, css);
}
