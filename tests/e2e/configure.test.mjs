// The demo's configurator page (configure.html): a config built from an empty
// form, every problem shown with its field path as the owner types (the SDK's
// decoder), the real banner and panel in the preview frame, and a downloaded
// file that start() accepts in a fresh page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { useServerAndBrowser, openPage } from "./harness.mjs";
import { TEXTS } from "../../www/configure-texts.js";

const env = useServerAndBrowser({ before, after });
const require = createRequire(import.meta.url);

/** axe-core's WCAG 2.2 AA violations on the page, as `rule: first target`. */
async function axeViolations(page) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] });
    return r.violations.map((v) => `${v.id}: ${v.nodes[0].target}`);
  });
}

const idFor = (path) => "#f-" + path.replace(/[^a-zA-Z0-9]+/g, "-");

/** Types into the control of config field `path`. */
async function fill(page, path, value) {
  await page.fill(idFor(path), value);
}

/** The problems listed in the summary, as `path: message`. */
async function problems(page) {
  return page.$$eval("[data-cfg-problems-list] li", (lis) => lis.map((li) => li.textContent.trim()));
}

/** The problem shown at the field of `path` (its error element), or null when none shows. */
async function fieldProblem(page, path) {
  return page.evaluate((sel) => {
    const control = document.querySelector(sel);
    const err = document.getElementById(`${control.id}-error`);
    if (err.hidden) return null;
    // The control is invalid and describes itself with the error.
    if (control.getAttribute("aria-invalid") !== "true") return "not aria-invalid";
    if (!control.getAttribute("aria-describedby").split(" ").includes(err.id)) return "not described by the error";
    return err.textContent.trim();
  }, idFor(path));
}

const site = {
  name: { kk: "«Тау Жолы» ЖШС", ru: "ТОО «Тау Жолы»" },
  bin: "190340012345",
  policyUrl: { kk: "/privacy/kk.html", ru: "/privacy/ru.html" },
  category: { id: "analytics", title: { kk: "Талдау cookie файлдары", ru: "Аналитические файлы cookie" }, description: { kk: "Келушілер санын есептейді.", ru: "Считают посетителей." } },
  service: { id: "metrica", title: { kk: "Метрика қызметі", ru: "Сервис Метрика" }, description: { kk: "Қаралған беттерді санайды.", ru: "Считает просмотры страниц." }, cookies: "_ym_uid, _ym_d" },
  party: { id: "yandex", name: { kk: "Яндекс", ru: "Яндекс" }, domains: "yandex.ru, mc.yandex.ru", policyUrl: "https://yandex.ru/legal/confidential/", country: "RU", collects: { kk: "IP мекенжайы", ru: "IP-адрес" }, purpose: { kk: "Сайт статистикасы", ru: "Статистика сайта" } },
};

async function fillPair(page, path, obj) {
  await fill(page, `${path}.kk`, obj.kk);
  await fill(page, `${path}.ru`, obj.ru);
}

test("from an empty form to a config start() accepts: problems with their paths, the live preview, the download", async () => {
  const s = await openPage(env.browser, `${env.server.url}/configure.html`, { config: null });
  const { page, context } = s;
  const t = TEXTS.kk;
  const frame = page.frameLocator("iframe[data-cfg-preview]");

  // An empty form: the SDK's decoder lists the problems, each with its path; none shows at a field yet.
  await page.waitForSelector("[data-cfg-problems-list] li");
  const initial = await problems(page);
  assert.ok(initial.includes("controller.name.kk: бос болмауы керек"), initial.join("\n"));
  assert.ok(initial.includes("controller.bin: бос болмауы керек"), initial.join("\n"));
  assert.ok(initial.includes("categories: кемінде бір санат болуы керек"), initial.join("\n"));
  assert.equal(await fieldProblem(page, "controller.bin"), null);
  assert.match(await page.textContent("[data-cfg-preview-status]"), new RegExp(t.previewEmpty));

  // The operator, the policy links, one category with one service, one third party.
  await fillPair(page, "controller.name", site.name);
  await fill(page, "controller.bin", site.bin);
  await fillPair(page, "policy.url", site.policyUrl);
  await page.click(`text=${t.addCategory}`);
  assert.equal(await page.evaluate(() => document.activeElement.id), "f-categories-0-id");
  await fill(page, "categories[0].id", site.category.id);
  await fillPair(page, "categories[0].title", site.category.title);
  await fillPair(page, "categories[0].description", site.category.description);
  await page.click(`text=${t.addThirdParty}`);
  await fill(page, "thirdParties[0].id", site.party.id);
  await fillPair(page, "thirdParties[0].name", site.party.name);
  await fill(page, "thirdParties[0].domains", site.party.domains);
  await fill(page, "thirdParties[0].policyUrl", site.party.policyUrl);
  await fill(page, "thirdParties[0].country", site.party.country);
  await fillPair(page, "thirdParties[0].collects", site.party.collects);
  await fillPair(page, "thirdParties[0].purpose", site.party.purpose);
  await page.click(`button:has-text("${t.addService}")`);
  await fill(page, "categories[0].services[0].id", site.service.id);
  await fillPair(page, "categories[0].services[0].title", site.service.title);
  await fillPair(page, "categories[0].services[0].description", site.service.description);
  await fill(page, "categories[0].services[0].cookies", site.service.cookies);
  await page.selectOption(idFor("categories[0].services[0].thirdParty"), site.party.id);

  await page.waitForFunction(() => document.querySelector("[data-cfg-problems]").hasAttribute("data-ok"));
  assert.deepEqual(await problems(page), []);

  // The preview: the real banner, in Kazakh; the panel with the entered category and service titles.
  await frame.locator('[data-kelisim="banner"]').waitFor({ state: "visible" });
  assert.equal(await frame.locator("html").getAttribute("lang"), "kk");
  await page.check('[data-cfg-view][value="panel"]');
  const panel = frame.locator('[data-kelisim="preferences"]');
  await panel.waitFor({ state: "visible" });
  await panel.getByText(site.category.title.kk).waitFor();
  // Services sit in a closed <details> under their category.
  await panel.getByText(site.service.title.kk).waitFor({ state: "attached" });
  await page.check('[data-cfg-preview-lang][value="ru"]');
  await frame.locator('[data-kelisim="preferences"]').getByText(site.category.title.ru).waitFor();
  await frame.locator('[data-kelisim="preferences"]').getByText(site.service.description.ru).waitFor({ state: "attached" });

  // A language switch and a decision in the preview never reach this site's cookies or storage.
  await frame.locator('[data-kelisim="preferences"] [data-kelisim-lang="kk"]').click();
  await frame.locator('[data-kelisim="preferences"]').getByText(site.category.title.kk).waitFor();
  await frame.locator('[data-kelisim="preferences"] [data-kelisim-action="accept-all"]').click();
  assert.deepEqual(await context.cookies(), []);
  assert.equal(await page.evaluate(() => localStorage.getItem("kelisim.lang")), null);

  // Problems as they type: a bad BIN and an emptied required text, several at once, each at its field.
  await fill(page, "controller.bin", "12345");
  await fill(page, "categories[0].title.kk", "");
  await fill(page, "thirdParties[0].country", "kz");
  await page.waitForFunction(() => document.querySelectorAll("[data-cfg-problems-list] li").length === 3);
  assert.deepEqual((await problems(page)).sort(), [
    "categories[0].title.kk: бос болмауы керек",
    "controller.bin: БСН дәл 12 цифрдан тұрады",
    "thirdParties[0].country: ISO 3166-1 alpha-2 кодын жазыңыз, мысалы KZ, RU немесе US",
  ]);
  assert.equal(await fieldProblem(page, "controller.bin"), "controller.bin: БСН дәл 12 цифрдан тұрады");
  assert.equal(await fieldProblem(page, "categories[0].title.kk"), "categories[0].title.kk: бос болмауы керек");
  assert.equal(await fieldProblem(page, "thirdParties[0].country"), "thirdParties[0].country: ISO 3166-1 alpha-2 кодын жазыңыз, мысалы KZ, RU немесе US");
  assert.match(await page.textContent("[data-cfg-preview-status]"), new RegExp(t.previewStale));
  assert.deepEqual(await axeViolations(page), []);
  // A download is refused while there are problems.
  await page.click("[data-cfg-download]");
  assert.match(await page.textContent("[data-cfg-output-status]"), new RegExp(t.fixFirst));

  // Fixed: no problem left at the fields.
  await fill(page, "controller.bin", site.bin);
  await fill(page, "categories[0].title.kk", site.category.title.kk);
  await fill(page, "thirdParties[0].country", site.party.country);
  await page.waitForFunction(() => document.querySelector("[data-cfg-problems]").hasAttribute("data-ok"));
  assert.equal(await fieldProblem(page, "controller.bin"), null);
  assert.equal(await page.locator("[aria-invalid]").count(), 0);

  // The embed and the download.
  assert.equal(
    await page.textContent("[data-cfg-embed]"),
    '<script type="module" src="/kelisim/kelisim.js" data-config="/kelisim.config.json"></script>',
  );
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: env.server.url });
  await page.click("[data-cfg-copy]");
  // The clipboard write resolves later: wait for its status.
  await page.waitForFunction((copied) => document.querySelector("[data-cfg-output-status]").textContent === copied, t.copied);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await page.textContent("[data-cfg-embed]"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-cfg-download]")]);
  assert.equal(download.suggestedFilename(), "kelisim.config.json");
  const config = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(config.controller.bin, site.bin);
  assert.deepEqual(config.controller.name, site.name);
  assert.deepEqual(config.categories[0].services[0].cookies, ["_ym_uid", "_ym_d"]);
  assert.deepEqual(config.thirdParties[0].domains, ["yandex.ru", "mc.yandex.ru"]);
  assert.deepEqual(s.log.errors, []);
  await context.close();

  // A fresh page: start() accepts the downloaded file and shows those texts.
  const fresh = await openPage(env.browser, null, { config: null });
  await fresh.context.route(`${env.server.url}/blank.html`, (route) =>
    route.fulfill({ contentType: "text/html", body: '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>start</title></head><body></body></html>' }),
  );
  await fresh.page.goto(`${env.server.url}/blank.html`);
  await fresh.page.evaluate(async (config) => {
    const { start } = await import("/kelisim/kelisim.js");
    await start(config);
  }, config);
  await fresh.page.locator('[data-kelisim="banner"]').waitFor({ state: "visible" });
  assert.equal(await fresh.page.evaluate(() => window.kelisim.language), "ru");
  await fresh.page.evaluate(() => window.kelisim.showPreferences());
  const prefs = fresh.page.locator('[data-kelisim="preferences"]');
  await prefs.getByText(site.category.title.ru).waitFor();
  await prefs.getByText(site.service.title.ru).waitFor({ state: "attached" });
  assert.deepEqual(fresh.log.errors, []);
  await fresh.context.close();
});

test("the configurator's own texts follow the language switch, which is remembered", async () => {
  const s = await openPage(env.browser, `${env.server.url}/configure.html?lang=ru`, { config: null });
  const { page } = s;
  await page.waitForSelector("[data-cfg-problems-list] li");
  assert.equal(await page.getAttribute("html", "lang"), "ru");
  assert.equal((await page.textContent("h1")).trim(), TEXTS.ru.title);
  assert.equal(await page.title(), TEXTS.ru.pageTitle);
  // Remembered: the page without ?lang stays in Russian.
  await page.goto(`${env.server.url}/configure.html`);
  await page.waitForSelector("[data-cfg-problems-list] li");
  assert.equal((await page.textContent("h1")).trim(), TEXTS.ru.title);
  // Keyboard only: Tab reaches the first field, typing there shows its problem.
  await page.goto(`${env.server.url}/configure.html?lang=kk`);
  await page.waitForSelector("[data-cfg-problems-list] li");
  assert.equal((await page.textContent("h1")).trim(), TEXTS.kk.title);
  await page.focus(idFor("controller.name.ru"));
  await page.keyboard.press("Shift+Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "f-controller-name-kk");
  await page.keyboard.type("x");
  await page.keyboard.press("Backspace");
  assert.equal(await fieldProblem(page, "controller.name.kk"), "controller.name.kk: бос болмауы керек");
  // Adding moves the focus to the new item's first field; removing, to the list's "add" button.
  await page.focus("#cfg-add-party");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "f-thirdParties-0-id");
  await page.focus(`button:has-text("${TEXTS.kk.removeThirdParty} 1")`);
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "cfg-add-party");
  assert.equal(await page.locator('fieldset[data-path="thirdParties[0]"]').count(), 0);
  assert.deepEqual(s.log.errors, []);
  await s.context.close();
});

test("an existing config opens into the form, in ru too; what the form does not cover is kept; a file that is not a config is named", async () => {
  const demo = JSON.parse(readFileSync(new URL("../../www/kelisim.config.json", import.meta.url), "utf8"));
  const s = await openPage(env.browser, `${env.server.url}/configure.html?lang=ru`, { config: null });
  const { page, context } = s;
  const t = TEXTS.ru;
  await page.waitForSelector("[data-cfg-problems-list] li");
  const file = (name, text) => ({ name, mimeType: "application/json", buffer: Buffer.from(text) });
  const status = (text) => page.waitForFunction((text) => document.querySelector("[data-cfg-open-status]").textContent === text, text);

  // Not JSON, and JSON that is not an object: named in the page's language; the form is as it was.
  await page.setInputFiles("[data-cfg-open]", file("broken.json", "{ not json"));
  await status(`${t.openFailed}broken.json: ${t.openNotJson}`);
  await page.setInputFiles("[data-cfg-open]", file("list.json", "[1, 2]"));
  await status(`${t.openFailed}list.json: ${t.openNotObject}`);
  assert.equal(await page.inputValue(idFor("controller.bin")), "");

  // The demo's own config: every field it covers in the form, no problem left, the preview starts.
  await page.setInputFiles("[data-cfg-open]", file("kelisim.config.json", JSON.stringify(demo)));
  await status(`${t.opened}kelisim.config.json`);
  assert.equal(await page.inputValue(idFor("controller.bin")), demo.controller.bin);
  assert.equal(await page.inputValue(idFor("controller.name.ru")), demo.controller.name.ru);
  assert.equal(await page.inputValue(idFor("categories[2].title.kk")), demo.categories[2].title.kk);
  await page.waitForFunction((none) => document.querySelector("[data-cfg-problems-status]").textContent.includes(none), t.problemsNone);
  const frame = page.frameLocator("iframe[data-cfg-preview]");
  await frame.locator('[data-kelisim="banner"]').waitFor({ state: "visible" });

  // Downloaded unchanged: the sections and fields the form does not show come back as they were.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-cfg-download]")]);
  const saved = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.deepEqual(saved, demo);

  // An edit in the form reaches the file; a kept section stays.
  await fill(page, "controller.name.ru", "ТОО «Другое имя»");
  const [again] = await Promise.all([page.waitForEvent("download"), page.click("[data-cfg-download]")]);
  const edited = JSON.parse(readFileSync(await again.path(), "utf8"));
  assert.equal(edited.controller.name.ru, "ТОО «Другое имя»");
  assert.deepEqual(edited.receipts, demo.receipts);
  assert.deepEqual(edited.consentMode, demo.consentMode);

  // Problems in the page's language (Russian here), with the path as written.
  await fill(page, "controller.bin", "12");
  await page.waitForFunction(() => document.querySelectorAll("[data-cfg-problems-list] li").length === 1);
  assert.deepEqual(await problems(page), ["controller.bin: БИН состоит ровно из 12 цифр"]);
  assert.equal(await fieldProblem(page, "controller.bin"), "controller.bin: БИН состоит ровно из 12 цифр");
  assert.deepEqual(s.log.errors, []);
  await context.close();
});
