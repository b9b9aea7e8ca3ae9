// kelisim entry point: `<script type="module" src="/kelisim/kelisim.js" data-config="...">`
// or `import { start } from "kelisim"`. The consent logic lives in the wasm module;
// this file only loads it, finds the config, and announces the instance.
import init, { start as startWasm, receiptRetry } from "./kelisim_core.js";
import { delivery } from "./receipts.js";

const here = import.meta.url;
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
 * Starts kelisim with a config object. Resolves to the instance (also set as
 * `window.kelisim`) and dispatches `kelisim:ready`; rejects with an Error whose
 * message names what is wrong, leaving the page untouched. `options.send`, a
 * function `(receipt) => Promise`, delivers consent receipts instead of the
 * config's `receipts` endpoint.
 */
export async function start(config, options) {
  try {
    return await run(config, options);
  } catch (e) {
    throw failed(e instanceof Error ? e : new Error(`kelisim: ${e}`));
  }
}

async function run(config, options) {
  await load();
  const send = options?.send;
  if (send !== undefined && typeof send !== "function") throw new Error("kelisim: start: options.send: expected a function");
  if (send && config?.receipts) throw new Error("kelisim: start: give the config's receipts section or options.send, not both");
  let receipts = (send || config?.receipts) && delivery(config?.receipts, send, receiptRetry);
  if (receipts && !crypto.subtle) {
    console.error("kelisim: consent receipts are off: this page has no crypto.subtle (serve it over https)");
    receipts = undefined;
  }
  const instance = startWasm(config, new URL("./kelisim.css", import.meta.url).href, receipts?.intake);
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

const tag = [...document.querySelectorAll("script[data-config]")].find((s) => s.src === here);
const inline = document.getElementById("kelisim-config");
if (tag || (inline && inline.type === "application/json")) {
  load().catch(() => {}); // fetch the module while the config downloads
  configFrom(tag, inline)
    .catch((e) => {
      throw failed(e);
    })
    .then(start)
    .catch((e) => console.error(e));
}
