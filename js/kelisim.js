// kelisim entry point: `<script type="module" src="/kelisim/kelisim.js" data-config="...">`
// or `import { start } from "kelisim"`. The consent logic lives in the wasm module;
// this file only loads it, finds the config, and announces the instance.
//
// No request waits on another: the build puts the wasm-bindgen glue
// (kelisim_core.js) inside this file, and the moment this module runs it asks
// for the wasm module and the stylesheet (and the config, when the tag names
// one), all at once.
//
// Every asset is named as `new URL("./file", import.meta.url)` written out
// here, so bundlers see, copy and hash it.
import init, { start as startWasm, receiptRetry } from "./kelisim_core.js";
import { delivery } from "./receipts.js";

const here = import.meta.url;
const cssUrl = new URL("./kelisim.css", import.meta.url);
let loading;

function load() {
  const url = new URL("./kelisim_core_bg.wasm", import.meta.url);
  return (loading ??= init({ module_or_path: url }).catch((e) => {
    throw explain(e, url);
  }));
}

// A Content Security Policy without 'wasm-unsafe-eval' makes the browser refuse to
// compile the module (Chromium: a CompileError naming 'unsafe-eval'; others: an
// EvalError or CompileError naming the policy). Say which directive is missing.
function explain(e, url) {
  const message = String(e?.message ?? e);
  if ((e instanceof WebAssembly.CompileError || e?.name === "EvalError") && /unsafe-eval|Content.Security.Policy|CSP/i.test(message)) {
    return new Error("kelisim: the page's Content Security Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to its script-src directive", { cause: e });
  }
  return new Error(`kelisim: could not load ${url}: ${message}`, { cause: e });
}

/** Tells the page that kelisim could not start (`detail` is the Error). */
function failed(error) {
  window.dispatchEvent(new CustomEvent("kelisim:error", { detail: error }));
  return error;
}

/**
 * The parts loaded on first use, each a wasm module with its glue: the glue
 * and the module are requested together; a failure names the URL and is
 * tried again on the next use. Resolves to the glue's exports.
 */
const parts = new Map();
function loadPart(name, glue, wasmUrl, css) {
  let loading = parts.get(name);
  if (!loading) {
    const wasm = fetch(wasmUrl).then(
      (r) => {
        if (!r.ok) throw new Error(`${wasmUrl}: HTTP ${r.status}`);
        return r;
      },
      (e) => {
        throw new Error(`${wasmUrl}: ${e.message}`);
      },
    );
    loading = Promise.all([glue(), wasm, css?.()])
      .then(async ([module, response]) => {
        try {
          await module.default({ module_or_path: response });
        } catch (e) {
          throw new Error(`${wasmUrl}: ${e.message}`); // a module that does not compile
        }
        return module;
      })
      .catch((e) => {
        parts.delete(name);
        throw new Error(`kelisim: could not load the ${name}: ${e.message}`);
      });
    parts.set(name, loading);
  }
  return loading;
}

/**
 * A part's stylesheet, after kelisim.css; resolves once it loaded (or failed:
 * reported, and the part shows unstyled rather than not at all). `marker` is
 * the attribute of a link the page may have added itself.
 */
function partStylesheet(url, marker) {
  if (document.querySelector(`link[${marker}]`)) return undefined;
  return new Promise((resolve) => {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = url.href;
    link.setAttribute(marker, "");
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", () => {
      console.error(`kelisim: could not load the stylesheet ${url.href}`);
      resolve();
    }, { once: true });
    document.head.append(link);
  });
}

const policyPart = () =>
  loadPart("policy view", () => import("./kelisim_policy.js"), new URL("./kelisim_policy_bg.wasm", import.meta.url), () =>
    partStylesheet(new URL("./kelisim_policy.css", import.meta.url), "data-kelisim-policy-css"),
  );

/** What the banner's module calls to load a part (src/shell/policy.rs: `Parts`). */
function partsFor(config, self) {
  return {
    policy: (root) => policyPart().then((m) => new m.PolicyViews(config, root, (code) => self.instance.setLanguage(code))),
  };
}

/**
 * Starts loading a part when the pointer or the focus reaches a control that
 * needs it, so the click rarely waits; nothing is requested before that (not on
 * idle either: ARCHITECTURE.md, "What loads when").
 */
function prefetchOnIntent(selector, part) {
  const kinds = ["pointerover", "focusin"];
  const intent = (e) => {
    if (!e.target.closest?.(selector)) return;
    for (const k of kinds) document.removeEventListener(k, intent, true);
    part().catch(() => {}); // a failure is reported when the part is used
  };
  for (const k of kinds) document.addEventListener(k, intent, { capture: true, passive: true });
}

/** Adds the stylesheet unless the page links it already; returns the element it added. */
function addStylesheet() {
  if (document.querySelector("link[data-kelisim-css]")) return undefined;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = cssUrl.href;
  // "loading" until it loaded or failed: the wasm module keeps its container
  // hidden meanwhile (unstyled beats invisible, so a failure shows it too).
  link.setAttribute("data-kelisim-css", "loading");
  const settled = () => link.setAttribute("data-kelisim-css", "");
  link.addEventListener("load", settled, { once: true });
  link.addEventListener("error", settled, { once: true });
  document.head.append(link);
  return link;
}

/**
 * Starts kelisim with a config object. Resolves to the instance (also set as
 * `window.kelisim`) and dispatches `kelisim:ready`; rejects with an Error whose
 * message names what is wrong, leaving the page untouched. `options.send`, a
 * function `(receipt) => Promise`, delivers consent receipts instead of the
 * config's `receipts` endpoint.
 */
export async function start(config, options) {
  const link = addStylesheet();
  try {
    return await begin(config, options);
  } catch (e) {
    link?.remove(); // a config that fails leaves the page as it was
    throw failed(e instanceof Error ? e : new Error(`kelisim: ${e}`));
  }
}

async function begin(config, options) {
  await load();
  const send = options?.send;
  if (send !== undefined && typeof send !== "function") throw new Error("kelisim: start: options.send: expected a function");
  if (send && config?.receipts) throw new Error("kelisim: start: give the config's receipts section or options.send, not both");
  let receipts = (send || config?.receipts) && delivery(config?.receipts, send, receiptRetry);
  if (receipts && !crypto.subtle) {
    console.error("kelisim: consent receipts are off: this page has no crypto.subtle (serve it over https)");
    receipts = undefined;
  }
  const self = {};
  const instance = startWasm(config, cssUrl.href, receipts?.intake, partsFor(config, self));
  self.instance = instance;
  if (config?.policy?.document) prefetchOnIntent('[data-kelisim-action="policy"]', policyPart);
  instance.pendingReceipts = () => receipts?.pending() ?? [];
  instance.flush = async () => receipts?.flush();
  receipts?.start();
  window.kelisim = instance;
  window.dispatchEvent(new CustomEvent("kelisim:ready", { detail: instance }));
  return instance;
}

async function configFrom(tag, inline) {
  if (tag) {
    const url = new URL(tag.dataset.config, document.baseURI);
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin" });
    } catch (e) {
      throw new Error(`kelisim: could not load the config ${url}: ${e.message}`);
    }
    if (!response.ok) throw new Error(`kelisim: could not load the config ${url}: HTTP ${response.status}`);
    try {
      return await response.json();
    } catch (e) {
      throw new Error(`kelisim: the config ${url} is not valid JSON: ${e.message}`);
    }
  }
  try {
    return JSON.parse(inline.textContent);
  } catch (e) {
    throw new Error(`kelisim: the inline config #kelisim-config is not valid JSON: ${e.message}`);
  }
}

/**
 * The one-tag embed: `<script type="module" async src=".../kelisim.js">` with
 * `data-config` or an inline `#kelisim-config`. The moment this module runs it
 * asks for the wasm module, the stylesheet and the config, all at once; with
 * `async` that is as soon as it arrived, while the page is still parsing. It
 * starts once the document is parsed (the banner goes into `<body>`).
 */
function embed() {
  const tag = [...document.querySelectorAll("script[type=module][src]")].find((s) => s.src === here);
  const inline = () => {
    const el = document.getElementById("kelisim-config");
    return el?.type === "application/json" ? el : undefined;
  };
  const parsed = new Promise((resolve) => {
    if (document.readyState !== "loading") resolve();
    else document.addEventListener("DOMContentLoaded", resolve, { once: true });
  });
  const fromTag = tag?.dataset.config !== undefined;
  if (!fromTag && !inline() && !(tag && document.readyState === "loading")) return; // imported, not embedded
  // The module and the stylesheet download while the config does (and the page parses).
  load().catch(() => {});
  const link = addStylesheet();
  const config = fromTag ? configFrom(tag) : parsed.then(() => (inline() ? configFrom(undefined, inline()) : undefined));
  config
    .catch((e) => {
      throw failed(e);
    })
    .then(async (config) => {
      await parsed;
      if (config === undefined) {
        // A tag without a config: the page calls start() itself (or forgot the config).
        if (!window.kelisim) link?.remove();
        return;
      }
      await start(config);
    })
    .catch((e) => {
      if (!window.kelisim) link?.remove();
      console.error(e);
    });
}
embed();
