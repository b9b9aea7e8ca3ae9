// The demo's configurator page (configure.html): a site owner builds a kelisim
// config in a form, sees every problem with its field path as they type (the
// SDK's own decoder, through kelisim/server's wasm module: checkConfig), the
// real banner and preferences panel in a preview frame (the SDK's start() on
// the current config), and downloads the JSON or copies the one-tag embed.
//
// Everything the owner types reaches the page as text (textContent, input
// values), never as HTML. The preview runs in an iframe whose cookie jar and
// storage are kept in memory (preview-frame.js), so it never writes a consent
// or a language choice for this site.
import { TEXTS, problemText } from "/configure-texts.js";
import initChecker, { checkConfig } from "/kelisim/kelisim_server.js";

const $ = (sel, root = document) => root.querySelector(sel);
const LANG_KEY = "kelisim.lang"; // the demo's remembered language (the SDK's key)
const PREVIEW_DELAY = 300; // ms after the last change
const LANGUAGE_NAMES = { kk: "Қазақша", ru: "Русский" };

// ---------------------------------------------------------------- language

function pageLanguage() {
  const wanted = new URLSearchParams(location.search).get("lang");
  if (wanted === "kk" || wanted === "ru") {
    try { localStorage.setItem(LANG_KEY, wanted); } catch { /* storage off */ }
    return wanted;
  }
  let saved = null;
  try { saved = localStorage.getItem(LANG_KEY); } catch { /* storage off */ }
  return saved === "ru" ? "ru" : "kk";
}

const lang = pageLanguage();
const t = TEXTS[lang];

function applyTexts() {
  document.documentElement.lang = lang;
  document.title = t.pageTitle;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t[el.dataset.t];
  for (const el of document.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", t[el.dataset.tLabel]);
  for (const el of document.querySelectorAll("[data-t-title]")) el.title = t[el.dataset.tTitle];
  const other = lang === "kk" ? "ru" : "kk";
  const sw = $("[data-cfg-lang]");
  sw.href = `?lang=${other}`;
  sw.hreflang = other;
  sw.lang = other;
  $("[data-cfg-policy]").href = `/privacy/${lang}.html`;
  $("[data-cfg-home]").href = lang === "ru" ? "/ru/" : "/";
  for (const input of document.querySelectorAll("[data-cfg-preview-lang]")) input.checked = input.value === lang;
}

// ------------------------------------------------------------------- state

const l10n = () => ({ kk: "", ru: "" });
const state = {
  controller: { name: l10n(), bin: "", email: "", phone: "", url: "", address: l10n() },
  policy: { version: "1.0", revision: "1", url: l10n() },
  languages: { kk: true, ru: true },
  defaultLanguage: "kk",
  categories: [],
  thirdParties: [],
};
const newCategory = () => ({ id: "", required: false, title: l10n(), description: l10n(), cookies: "", services: [] });
const newService = () => ({ id: "", title: l10n(), description: l10n(), cookies: "", thirdParty: "" });
const newParty = () => ({ id: "", name: l10n(), domains: "", policyUrl: "", country: "", collects: l10n(), purpose: l10n() });

const list = (text) => text.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
const offered = () => ["kk", "ru"].filter((l) => state.languages[l]);

/** A text in the configured languages (a required text left empty stays "" so the decoder names it). */
function text(v) {
  const out = {};
  for (const l of offered()) out[l] = v[l];
  return out;
}
/** An optional text: left out when empty in every language. */
const optText = (v) => (offered().some((l) => v[l].trim()) ? text(v) : undefined);
const opt = (s) => (s.trim() ? s.trim() : undefined);

/** The config the form describes, in the order of the config reference. */
function buildConfig() {
  const c = state.controller;
  const revision = state.policy.revision.trim();
  return {
    controller: {
      name: text(c.name),
      bin: c.bin.trim(),
      address: optText(c.address),
      email: opt(c.email),
      phone: opt(c.phone),
      url: opt(c.url),
      ...c.kept,
    },
    policy: {
      version: state.policy.version,
      revision: /^\d+$/.test(revision) ? Number(revision) : revision,
      url: text(state.policy.url),
      ...state.policy.kept,
    },
    languages: offered(),
    defaultLanguage: state.defaultLanguage,
    categories: state.categories.map((cat) => ({
      id: cat.id.trim(),
      required: cat.required || undefined,
      title: text(cat.title),
      description: text(cat.description),
      cookies: cat.cookies.trim() ? list(cat.cookies) : undefined,
      services: cat.services.map((s) => ({
        id: s.id.trim(),
        title: text(s.title),
        description: text(s.description),
        cookies: s.cookies.trim() ? list(s.cookies) : undefined,
        thirdParty: s.thirdParty || undefined,
        ...s.kept,
      })),
      ...cat.kept,
    })),
    thirdParties: state.thirdParties.length
      ? state.thirdParties.map((p) => ({
          id: p.id.trim(),
          name: text(p.name),
          domains: list(p.domains),
          policyUrl: p.policyUrl.trim(),
          country: p.country.trim(),
          collects: text(p.collects),
          purpose: text(p.purpose),
          ...p.kept,
        }))
      : undefined,
    ...state.kept,
  };
}

// ------------------------------------------------------------ opening a config

/**
 * The fields the form covers, per object. Everything else in an opened config
 * (the sections `oauth`, `receipts`, `consentMode`, `cookie`, `ui`, …, a policy's
 * `document`, …) is kept as it was (`kept`) and written back after them.
 */
const COVERS = {
  root: ["controller", "policy", "languages", "defaultLanguage", "categories", "thirdParties"],
  controller: ["name", "bin", "address", "email", "phone", "url"],
  policy: ["version", "revision", "url"],
  category: ["id", "required", "title", "description", "cookies", "services"],
  service: ["id", "title", "description", "cookies", "thirdParty"],
  party: ["id", "name", "domains", "policyUrl", "country", "collects", "purpose"],
};
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const objectOf = (v) => (isObject(v) ? v : {});
const arrayOf = (v) => (Array.isArray(v) ? v : []);
const str = (v) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
const textOf = (v) => ({ kk: str(objectOf(v).kk), ru: str(objectOf(v).ru) });
const names = (v) => (Array.isArray(v) ? v.map(str).join(", ") : str(v));
const keptOf = (o, covered) => Object.fromEntries(Object.entries(o).filter(([k]) => !covered.includes(k)));

/**
 * Fills the form from a config object. A value the form cannot show (a number
 * where a text goes, a missing language) is shown as near as it can be; the
 * checker then names whatever is still wrong.
 */
function openConfig(config) {
  const c = objectOf(config.controller);
  const p = objectOf(config.policy);
  const langs = arrayOf(config.languages);
  state.controller = {
    name: textOf(c.name), bin: str(c.bin), email: str(c.email), phone: str(c.phone), url: str(c.url),
    address: textOf(c.address), kept: keptOf(c, COVERS.controller),
  };
  state.policy = { version: str(p.version), revision: str(p.revision), url: textOf(p.url), kept: keptOf(p, COVERS.policy) };
  state.languages = Array.isArray(config.languages) ? { kk: langs.includes("kk"), ru: langs.includes("ru") } : { kk: true, ru: true };
  state.defaultLanguage = config.defaultLanguage === "ru" ? "ru" : "kk";
  state.categories = arrayOf(config.categories).map((v) => {
    const cat = objectOf(v);
    return {
      id: str(cat.id), required: cat.required === true, title: textOf(cat.title), description: textOf(cat.description),
      cookies: names(cat.cookies), kept: keptOf(cat, COVERS.category),
      services: arrayOf(cat.services).map((w) => {
        const s = objectOf(w);
        return {
          id: str(s.id), title: textOf(s.title), description: textOf(s.description), cookies: names(s.cookies),
          thirdParty: str(s.thirdParty), kept: keptOf(s, COVERS.service),
        };
      }),
    };
  });
  state.thirdParties = arrayOf(config.thirdParties).map((v) => {
    const party = objectOf(v);
    return {
      id: str(party.id), name: textOf(party.name), domains: names(party.domains), policyUrl: str(party.policyUrl),
      country: str(party.country), collects: textOf(party.collects), purpose: textOf(party.purpose),
      kept: keptOf(party, COVERS.party),
    };
  });
  state.kept = keptOf(config, COVERS.root);
}

/** The file the owner chose: parsed, put into the form, every problem shown at once. */
async function openFile(file) {
  const status = $("[data-cfg-open-status]");
  let config;
  try {
    config = JSON.parse(await file.text());
  } catch {
    status.textContent = `${t.openFailed}${file.name}: ${t.openNotJson}`;
    return;
  }
  if (!isObject(config)) {
    status.textContent = `${t.openFailed}${file.name}: ${t.openNotObject}`;
    return;
  }
  openConfig(config);
  touched.clear();
  showAll = true;
  renderForm();
  changed();
  status.textContent = `${t.opened}${file.name}`;
}

/** The config as the file a site serves (undefined members dropped). */
const configJson = () => JSON.stringify(buildConfig(), null, 2) + "\n";

// ------------------------------------------------------------------- form

/** `categories[0].title.kk` as an element id. */
const idFor = (path) => "f-" + path.replace(/[^a-zA-Z0-9]+/g, "-");

/** A labelled control bound to `get`/`set`; `path` is its config field path (for problems). */
function field({ path, label, hint, kind = "text", get, set, options, required, lang: fieldLang }) {
  const wrap = document.createElement("div");
  wrap.className = "cfg__field";
  const id = idFor(path);
  const lab = document.createElement("label");
  lab.htmlFor = id;
  lab.textContent = label;
  if (required === false) lab.append(` (${t.optional})`);
  wrap.append(lab);
  let control;
  if (kind === "select") {
    control = document.createElement("select");
    for (const [value, name] of options()) control.append(new Option(name, value));
  } else if (kind === "textarea") {
    control = document.createElement("textarea");
  } else {
    control = document.createElement("input");
    control.type = "text";
  }
  control.id = id;
  control.dataset.path = path;
  if (fieldLang) control.lang = fieldLang;
  control.value = get();
  const described = [];
  if (hint) {
    const h = document.createElement("p");
    h.className = "cfg__hint";
    h.id = `${id}-hint`;
    h.textContent = hint;
    wrap.append(control, h);
    described.push(h.id);
  } else {
    wrap.append(control);
  }
  const err = document.createElement("p");
  err.className = "cfg__error";
  err.id = `${id}-error`;
  err.hidden = true;
  wrap.append(err);
  control.dataset.hint = described.join(" ");
  if (described.length) control.setAttribute("aria-describedby", described.join(" "));
  control.addEventListener(kind === "select" ? "change" : "input", () => {
    set(control.value);
    touched.add(path);
    changed();
  });
  control.addEventListener("blur", () => {
    if (!touched.has(path)) {
      touched.add(path);
      showProblems();
    }
  });
  return wrap;
}

/** Kazakh and Russian inputs of one text, side by side. */
function pair(path, label, obj, kind = "text", required = true) {
  const row = document.createElement("div");
  row.className = "cfg__pair";
  for (const l of ["kk", "ru"]) {
    row.append(
      field({
        path: `${path}.${l}`,
        label: `${label}, ${t[l]}`,
        kind,
        required,
        lang: l,
        get: () => obj[l],
        set: (v) => (obj[l] = v),
      }),
    );
  }
  return row;
}

function checkbox({ path, label, lang: labelLang, get, set }) {
  const wrap = document.createElement("div");
  wrap.className = "cfg__check";
  const input = document.createElement("input");
  input.type = "checkbox";
  input.id = idFor(path);
  input.dataset.path = path;
  input.checked = get();
  const lab = document.createElement("label");
  lab.htmlFor = input.id;
  lab.textContent = label;
  if (labelLang) lab.lang = labelLang;
  input.addEventListener("change", () => {
    set(input.checked);
    touched.add(path);
    changed();
  });
  wrap.append(input, lab);
  return wrap;
}

function fieldset(legend, path) {
  const fs = document.createElement("fieldset");
  if (path !== undefined) fs.dataset.path = path;
  const lg = document.createElement("legend");
  lg.textContent = legend;
  fs.append(lg);
  return fs;
}

/** A problem slot for a whole list or section (`categories: must list at least one category`). */
function slot(fs, path) {
  const err = document.createElement("p");
  err.className = "cfg__error";
  err.id = `${idFor(path)}-error`;
  err.dataset.slot = path;
  err.hidden = true;
  fs.append(err);
}

function button(label, cls, onClick, id) {
  const b = document.createElement("button");
  if (id) b.id = id;
  b.type = "button";
  b.className = cls;
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

/** Rebuilds the form from the state (after a list changes), keeping focus on `focusPath`. */
function renderForm(focusPath) {
  const root = $("[data-cfg-fields]");
  const c = state.controller;

  const op = fieldset(t.operator, "controller");
  op.append(
    pair("controller.name", t.operatorName, c.name),
    field({ path: "controller.bin", label: t.bin, hint: t.binHint, get: () => c.bin, set: (v) => (c.bin = v) }),
    field({ path: "controller.email", label: t.email, required: false, get: () => c.email, set: (v) => (c.email = v) }),
    field({ path: "controller.phone", label: t.phone, required: false, get: () => c.phone, set: (v) => (c.phone = v) }),
    field({ path: "controller.url", label: t.url, required: false, get: () => c.url, set: (v) => (c.url = v) }),
    pair("controller.address", t.address, c.address, "text", false),
  );
  slot(op, "controller");

  const pol = fieldset(t.policySection, "policy");
  const p = state.policy;
  pol.append(
    field({ path: "policy.version", label: t.policyVersion, get: () => p.version, set: (v) => (p.version = v) }),
    field({ path: "policy.revision", label: t.policyRevision, hint: t.policyRevisionHint, get: () => p.revision, set: (v) => (p.revision = v) }),
    pair("policy.url", t.policyUrl, p.url),
  );
  slot(pol, "policy");

  const langs = fieldset(t.languagesLegend, "languages");
  for (const l of ["kk", "ru"]) {
    langs.append(checkbox({ path: `languages.${l}`, label: LANGUAGE_NAMES[l], lang: l, get: () => state.languages[l], set: (v) => (state.languages[l] = v) }));
  }
  langs.append(
    field({
      path: "defaultLanguage",
      label: t.defaultLanguage,
      kind: "select",
      options: () => Object.entries(LANGUAGE_NAMES),
      get: () => state.defaultLanguage,
      set: (v) => (state.defaultLanguage = v),
    }),
  );
  slot(langs, "languages");

  const cats = fieldset(t.categories, "categories");
  if (!state.categories.length) cats.append(note(t.none));
  state.categories.forEach((cat, i) => cats.append(categoryFields(cat, i)));
  slot(cats, "categories");
  cats.append(
    button(t.addCategory, "cfg__add", () => {
      state.categories.push(newCategory());
      renderForm(`categories[${state.categories.length - 1}].id`);
      changed();
    }, "cfg-add-category"),
  );

  const parties = fieldset(t.thirdParties, "thirdParties");
  if (!state.thirdParties.length) parties.append(note(t.none));
  state.thirdParties.forEach((party, i) => parties.append(partyFields(party, i)));
  slot(parties, "thirdParties");
  parties.append(
    button(t.addThirdParty, "cfg__add", () => {
      state.thirdParties.push(newParty());
      renderForm(`thirdParties[${state.thirdParties.length - 1}].id`);
      changed();
    }, "cfg-add-party"),
  );

  root.replaceChildren(op, pol, langs, cats, parties);
  // After a removal the focus goes to the list's "add" button (`#id`), else to the new item's first field.
  if (focusPath) document.getElementById(focusPath.startsWith("#") ? focusPath.slice(1) : idFor(focusPath))?.focus();
  showProblems();
}

function note(s) {
  const p = document.createElement("p");
  p.className = "cfg__hint";
  p.textContent = s;
  return p;
}

function categoryFields(cat, i) {
  const path = `categories[${i}]`;
  const fs = fieldset(`${t.category} ${i + 1}`, path);
  fs.append(
    field({ path: `${path}.id`, label: t.id, hint: t.idHint, get: () => cat.id, set: (v) => (cat.id = v) }),
    checkbox({ path: `${path}.required`, label: t.requiredCategory, get: () => cat.required, set: (v) => (cat.required = v) }),
    pair(`${path}.title`, t.catTitle, cat.title),
    pair(`${path}.description`, t.description, cat.description, "textarea"),
    field({ path: `${path}.cookies`, label: t.cookies, hint: t.cookiesHint, required: false, get: () => cat.cookies, set: (v) => (cat.cookies = v) }),
  );
  slot(fs, path);
  const svcs = fieldset(t.services, `${path}.services`);
  cat.services.forEach((s, j) => svcs.append(serviceFields(cat, s, `${path}.services[${j}]`, j, i)));
  svcs.append(
    button(`${t.addService} (${t.category.toLowerCase()} ${i + 1})`, "cfg__add", () => {
      cat.services.push(newService());
      renderForm(`${path}.services[${cat.services.length - 1}].id`);
      changed();
    }, `cfg-add-service-${i}`),
  );
  fs.append(
    svcs,
    button(`${t.removeCategory} ${i + 1}`, "cfg__remove", () => {
      state.categories.splice(i, 1);
      forget("categories[");
      renderForm("#cfg-add-category");
      changed();
    }),
  );
  return fs;
}

function serviceFields(cat, s, path, j, i) {
  const fs = fieldset(`${t.service} ${i + 1}.${j + 1}`, path);
  fs.append(
    field({ path: `${path}.id`, label: t.id, hint: t.idHint, get: () => s.id, set: (v) => (s.id = v) }),
    pair(`${path}.title`, t.catTitle, s.title),
    pair(`${path}.description`, t.description, s.description, "textarea"),
    field({ path: `${path}.cookies`, label: t.cookies, hint: t.cookiesHint, required: false, get: () => s.cookies, set: (v) => (s.cookies = v) }),
    field({
      path: `${path}.thirdParty`,
      label: t.thirdParty,
      kind: "select",
      required: false,
      options: partyOptions,
      get: () => s.thirdParty,
      set: (v) => (s.thirdParty = v),
    }),
  );
  slot(fs, path);
  fs.append(
    button(`${t.removeService} ${i + 1}.${j + 1}`, "cfg__remove", () => {
      cat.services.splice(j, 1);
      forget(`${path.slice(0, path.lastIndexOf("["))}[`);
      renderForm(`#cfg-add-service-${i}`);
      changed();
    }),
  );
  return fs;
}

/** The declared third parties' ids, for the services' selects. */
function partyOptions() {
  const ids = [...new Set(state.thirdParties.map((p) => p.id.trim()).filter(Boolean))];
  return [["", t.noThirdParty], ...ids.map((id) => [id, id])];
}

/** Keeps each service's third-party select in step with the declared ids. */
function refreshPartySelects() {
  const options = partyOptions();
  for (const sel of document.querySelectorAll('select[data-path$=".thirdParty"]')) {
    const path = sel.dataset.path;
    const m = path.match(/^categories\[(\d+)\]\.services\[(\d+)\]/);
    const svc = m && state.categories[+m[1]]?.services[+m[2]];
    if (!svc) continue;
    const current = svc.thirdParty;
    const same = sel.options.length === options.length && options.every(([v], k) => sel.options[k].value === v);
    if (same) continue;
    sel.replaceChildren(...options.map(([v, name]) => new Option(name, v)));
    if (current && !options.some(([v]) => v === current)) sel.append(new Option(current, current));
    sel.value = current;
  }
}

function partyFields(party, i) {
  const path = `thirdParties[${i}]`;
  const fs = fieldset(`${t.party} ${i + 1}`, path);
  fs.append(
    field({ path: `${path}.id`, label: t.id, hint: t.idHint, get: () => party.id, set: (v) => (party.id = v) }),
    pair(`${path}.name`, t.partyName, party.name),
    field({ path: `${path}.domains`, label: t.domains, hint: t.domainsHint, get: () => party.domains, set: (v) => (party.domains = v) }),
    field({ path: `${path}.policyUrl`, label: t.partyPolicy, get: () => party.policyUrl, set: (v) => (party.policyUrl = v) }),
    field({ path: `${path}.country`, label: t.country, hint: t.countryHint, get: () => party.country, set: (v) => (party.country = v) }),
    pair(`${path}.collects`, t.collects, party.collects, "textarea"),
    pair(`${path}.purpose`, t.purpose, party.purpose, "textarea"),
  );
  slot(fs, path);
  fs.append(
    button(`${t.removeThirdParty} ${i + 1}`, "cfg__remove", () => {
      state.thirdParties.splice(i, 1);
      forget("thirdParties[");
      renderForm("#cfg-add-party");
      changed();
    }),
  );
  return fs;
}

// --------------------------------------------------------------- problems

const touched = new Set();
/** Items after a removed one move up: the fields visited under `prefix` are forgotten. */
const forget = (prefix) => {
  for (const p of [...touched]) if (p.startsWith(prefix)) touched.delete(p);
};
let problems = [];
let checkerReady = false;
let showAll = false; // after a download attempt, every problem shows at its field

/** Runs the SDK's decoder over the config: every problem with its field path. */
function check() {
  problems = checkerReady ? JSON.parse(checkConfig(configJson())) : [];
}

/** The control (or list slot) a problem's path belongs to: the longest path that is a prefix of it. */
function targetOf(path) {
  let best = null;
  let bestLen = -1;
  for (const el of document.querySelectorAll("[data-path], [data-slot]")) {
    if (el.tagName === "FIELDSET") continue;
    const p = el.dataset.path ?? el.dataset.slot;
    const within = path === p || path.startsWith(p + ".") || path.startsWith(p + "[");
    if (within && p.length > bestLen) {
      best = el;
      bestLen = p.length;
    }
  }
  return best;
}

/** Whether a problem at `path` shows at its field yet (the owner has been there, or asked to download). */
function shown(path) {
  if (showAll) return true;
  const under = (a, b) => a === b || a.startsWith(b + ".") || a.startsWith(b + "[");
  for (const p of touched) if (under(path, p) || under(p, path)) return true;
  return false;
}

function showProblems() {
  // Clear every field's problem.
  for (const err of document.querySelectorAll(".cfg__error")) {
    err.hidden = true;
    err.replaceChildren();
  }
  for (const control of document.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const hint = control.dataset.hint;
    if (hint) control.setAttribute("aria-describedby", hint);
    else control.removeAttribute("aria-describedby");
  }
  // The summary: every problem, each a link to its field.
  const status = $("[data-cfg-problems-status]");
  const ul = $("[data-cfg-problems-list]");
  ul.replaceChildren();
  const box = $("[data-cfg-problems]");
  if (!checkerReady) return;
  if (!problems.length) {
    status.textContent = t.problemsNone;
    box.dataset.ok = "";
    ul.hidden = true;
  } else {
    status.textContent = `${t.problemsSome}${problems.length}`;
    delete box.dataset.ok;
    ul.hidden = false;
  }
  for (const { path, message: english } of problems) {
    // The decoder's words, in the page's language where there is a translation.
    const message = problemText(lang, english);
    const target = targetOf(path);
    const li = document.createElement("li");
    li.dataset.problem = path;
    const a = document.createElement("a");
    const code = document.createElement("code");
    code.textContent = path || "config";
    a.append(code, `: ${message}`);
    a.href = target ? `#${target.id || ""}` : "#cfg-form";
    a.addEventListener("click", (e) => {
      e.preventDefault();
      const el = targetOf(path);
      if (el && el.tagName !== "P") el.focus();
      else el?.scrollIntoView({ block: "center" });
    });
    li.append(a);
    ul.append(li);
    if (!target || !shown(path)) continue;
    const err = target.tagName === "P" ? target : document.getElementById(`${target.id}-error`);
    if (!err) continue;
    const line = document.createElement("span");
    line.style.display = "block";
    const c = document.createElement("code");
    c.textContent = path;
    line.append(c, `: ${message}`);
    err.append(line);
    err.hidden = false;
    if (target.tagName !== "P") {
      target.setAttribute("aria-invalid", "true");
      const ids = [target.dataset.hint, err.id].filter(Boolean).join(" ");
      target.setAttribute("aria-describedby", ids);
    }
  }
}

// ---------------------------------------------------------------- preview

const frame = $("[data-cfg-preview]");
let previewTimer = 0;
let lastGood = null;
let previewView = "banner";
let previewLang = lang;

/** What the preview frame reads when it starts (preview-frame.js). */
window.kelisimConfigurePreview = () => ({ json: lastGood, view: previewView, lang: previewLang });
/** What the preview frame reports once started (or refused). */
window.kelisimConfigurePreviewDone = (result) => {
  const status = $("[data-cfg-preview-status]");
  if (result.ok) {
    frame.dataset.state = "ready";
    status.textContent = problems.length ? t.previewStale : t.previewReady;
  } else {
    frame.dataset.state = "failed";
    status.textContent = t.previewFailed + result.error;
  }
};

function renderPreview() {
  if (lastGood === null) {
    $("[data-cfg-preview-status]").textContent = t.previewEmpty;
    return;
  }
  frame.dataset.state = "loading";
  // A fixed page: the config is read from this window, never written into HTML.
  frame.srcdoc =
    `<!doctype html><html lang="${previewLang === "ru" ? "ru" : "kk"}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>kelisim preview</title>` +
    `<script src="/configure-preview.js"></script></head><body></body></html>`;
}

function schedulePreview() {
  clearTimeout(previewTimer);
  if (!checkerReady) return;
  if (problems.length) {
    if (lastGood !== null) $("[data-cfg-preview-status]").textContent = t.previewStale;
    else $("[data-cfg-preview-status]").textContent = t.previewEmpty;
    return;
  }
  previewTimer = setTimeout(() => {
    lastGood = configJson();
    renderPreview();
  }, PREVIEW_DELAY);
}

// ----------------------------------------------------------------- output

function embedSnippet() {
  return '<script type="module" src="/kelisim/kelisim.js" data-config="/kelisim.config.json"></script>';
}

function outputStatus(s) {
  $("[data-cfg-output-status]").textContent = s;
}

function download() {
  check();
  if (problems.length) {
    showAll = true;
    showProblems();
    outputStatus(`${t.fixFirst}${problems.length}`);
    $("[data-cfg-problems-list] a")?.focus();
    return;
  }
  const blob = new Blob([configJson()], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = "kelisim.config.json";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  outputStatus(t.downloaded);
}

async function copyEmbed() {
  try {
    await navigator.clipboard.writeText(embedSnippet());
    outputStatus(t.copied);
  } catch {
    const range = document.createRange();
    range.selectNodeContents($("[data-cfg-embed]"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    outputStatus(t.copyFailed);
  }
}

// ------------------------------------------------------------------- wiring

function changed() {
  refreshPartySelects();
  check();
  showProblems();
  schedulePreview();
}

applyTexts();
$("[data-cfg-embed]").textContent = embedSnippet();
renderForm();
$("[data-cfg-download]").addEventListener("click", download);
$("[data-cfg-open]").addEventListener("change", (e) => {
  const file = e.target.files?.[0];
  if (file) openFile(file);
  e.target.value = ""; // the same file again is a new choice
});
$("[data-cfg-copy]").addEventListener("click", copyEmbed);
for (const input of document.querySelectorAll("[data-cfg-view]")) {
  input.addEventListener("change", () => {
    previewView = input.value;
    renderPreview();
  });
}
for (const input of document.querySelectorAll("[data-cfg-preview-lang]")) {
  input.addEventListener("change", () => {
    previewLang = input.value;
    renderPreview();
  });
}
$("[data-cfg-preview-status]").textContent = t.previewEmpty;

initChecker()
  .then(() => {
    checkerReady = true;
    changed();
  })
  .catch((e) => {
    $("[data-cfg-problems-status]").textContent = t.checkerFailed + String(e?.message ?? e);
  });
