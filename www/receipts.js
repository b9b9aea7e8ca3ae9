// The demo's receipts page: lists what the collector stored for this visitor
// (GET /v1/receipts?subject=<id>). Everything from a receipt goes into the
// page as text (textContent), never as HTML.
import { TEXTS } from "/receipts-texts.js";

const $ = (sel) => document.querySelector(sel);
let kelisim = null;
let lang = "kk";

function t() {
  return TEXTS[lang];
}

function applyTexts() {
  const texts = t();
  document.documentElement.lang = lang;
  document.title = texts.pageTitle;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = texts[el.dataset.t];
  for (const el of document.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", texts[el.dataset.tLabel]);
  const other = lang === "kk" ? "ru" : "kk";
  const sw = $("[data-receipts-lang]");
  sw.href = `?lang=${other}`;
  sw.hreflang = other;
  sw.lang = other;
  $("[data-receipts-policy]").href = `/privacy/${lang}.html`;
  $("[data-receipts-home]").href = lang === "ru" ? "/ru/" : "/";
}

function status(text) {
  const el = $("[data-receipts-status]");
  el.textContent = text;
  el.hidden = !text;
}

function cell(row, text, attrs = {}) {
  const td = document.createElement("td");
  td.textContent = text;
  for (const [k, v] of Object.entries(attrs)) td.setAttribute(k, v);
  row.append(td);
  return td;
}

function acceptedTitles(receipt) {
  const chosen = receipt.kelisim?.consent?.categories ?? {};
  const titles = [];
  for (const service of receipt.services ?? []) {
    const id = service.purposes?.[0]?.purposeCategory?.[0];
    const required = service.purposes?.[0]?.consentType === "N/A";
    if (chosen[id] === true && !required) titles.push(String(service.service));
  }
  return titles.length ? titles.join(", ") : t().none;
}

function render(entries) {
  const texts = t();
  const body = $("[data-receipts-table] tbody");
  body.replaceChildren();
  // dd.mm.yyyy, hh:mm:ss in both languages (browsers' ICU data often lacks
  // Kazakh month names and prints "M11").
  const when = new Intl.DateTimeFormat("ru-RU", {
    day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  for (const { receipt, chain } of entries) {
    const row = document.createElement("tr");
    row.dataset.receipt = String(receipt.consentReceiptID);
    const ext = receipt.kelisim ?? {};
    const time = new Date(Number(receipt.consentTimestamp) * 1000);
    cell(row, Number.isNaN(time.getTime()) ? "—" : when.format(time));
    cell(row, texts.events[ext.event] ?? String(ext.event), { "data-event": String(ext.event) });
    const method = ext.consent?.method;
    cell(row, texts.methods[method] ?? String(method), { title: String(receipt.collectionMethod) });
    cell(row, acceptedTitles(receipt));
    cell(row, texts.chain[chain] ?? String(chain), { "data-chain": String(chain) });
    body.append(row);
  }
  $("[data-receipts-table]").hidden = entries.length === 0;
  status(entries.length === 0 ? texts.empty : `${texts.count}${entries.length}`);
}

async function load() {
  const subject = kelisim.getConsent()?.subject;
  $("[data-receipts-subject]").textContent = subject ?? "—";
  if (!subject) {
    $("[data-receipts-table]").hidden = true;
    status(t().noConsent);
    return;
  }
  status(t().loading);
  try {
    const res = await fetch(`/v1/receipts?subject=${encodeURIComponent(subject)}`, { cache: "no-store" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const { receipts } = await res.json();
    render(receipts);
  } catch (e) {
    console.warn("receipts page:", e);
    $("[data-receipts-table]").hidden = true;
    status(t().failed);
  }
}

function start(instance) {
  if (kelisim) return;
  kelisim = instance;
  const wanted = new URLSearchParams(location.search).get("lang");
  if ((wanted === "kk" || wanted === "ru") && wanted !== kelisim.language) {
    try { kelisim.setLanguage(wanted); } catch { /* a language the site does not offer */ }
  }
  lang = TEXTS[kelisim.language] ? kelisim.language : "kk";
  applyTexts();
  $("[data-receipts-refresh]").addEventListener("click", load);
  $("[data-receipts-settings]").addEventListener("click", () => kelisim.showPreferences());
  addEventListener("kelisim:consent", load);
  load();
}

if (window.kelisim) start(window.kelisim);
else addEventListener("kelisim:ready", (e) => start(e.detail), { once: true });
