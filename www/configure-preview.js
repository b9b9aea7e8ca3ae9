// The configurator's preview frame (configure.html loads it in an iframe with
// a fixed srcdoc): starts the real SDK with the config the form describes.
//
// The frame shares the page's origin, so before the SDK runs, its cookie jar
// and storage are replaced by ones in memory: clicking "accept" or switching
// the language in the preview never writes a consent, a language choice or a
// disclosure record for this site, and every preview starts as a first visit.
(() => {
  const jar = new Map();
  const expired = (attrs) =>
    attrs.some((a) => {
      const [k, v = ""] = a.split("=").map((s) => s.trim());
      if (/^max-age$/i.test(k)) return Number(v) <= 0;
      if (/^expires$/i.test(k)) return Date.parse(v) <= Date.now();
      return false;
    });
  Object.defineProperty(document, "cookie", {
    configurable: true,
    get: () => [...jar].map(([k, v]) => `${k}=${v}`).join("; "),
    set: (line) => {
      const [pair, ...attrs] = String(line).split(";");
      const at = pair.indexOf("=");
      if (at < 0) return;
      const name = pair.slice(0, at).trim();
      if (expired(attrs)) jar.delete(name);
      else jar.set(name, pair.slice(at + 1).trim());
    },
  });
  const memory = () => {
    const items = new Map();
    return {
      get length() { return items.size; },
      key: (i) => [...items.keys()][i] ?? null,
      getItem: (k) => (items.has(String(k)) ? items.get(String(k)) : null),
      setItem: (k, v) => void items.set(String(k), String(v)),
      removeItem: (k) => void items.delete(String(k)),
      clear: () => items.clear(),
    };
  };
  for (const name of ["localStorage", "sessionStorage"]) {
    Object.defineProperty(window, name, { configurable: true, value: memory() });
  }
})();

(async () => {
  const done = (result) => parent.kelisimConfigurePreviewDone?.(result);
  try {
    const { json, view, lang } = parent.kelisimConfigurePreview();
    const { start } = await import("/kelisim/kelisim.js");
    const config = JSON.parse(json);
    delete config.receipts; // a preview records no decision anywhere
    const kelisim = await start(config);
    if (kelisim.language !== lang) {
      try { kelisim.setLanguage(lang); } catch { /* a language the config does not offer */ }
    }
    if (view === "panel") kelisim.showPreferences();
    document.documentElement.dataset.previewReady = view;
    done({ ok: true });
  } catch (e) {
    done({ ok: false, error: String(e?.message ?? e) });
  }
})();
