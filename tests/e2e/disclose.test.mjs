// End-to-end tests of third-party link and OAuth disclosures in headless Chromium.
// Third-party sites are stubs (stub.mjs): facebook.com, vk.com, google.com, example.org
// resolve to a local HTTPS server, so every navigation really happens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useServerAndBrowser, openPage, ready, screenshotDir } from "./harness.mjs";
import { demoConfig, plus13Months } from "./consent.mjs";
import { startStub, stubArgs } from "./stub.mjs";

const env = useServerAndBrowser({ before, after }, { args: stubArgs });
let stub;
before(async () => {
  stub = await startStub();
});
after(async () => {
  await stub?.stop();
});

const dialog = '[data-kelisim="disclosure"]';
const proceed = `${dialog} [data-kelisim-action="continue"]`;
const cancel = `${dialog} [data-kelisim-action="cancel"]`;
const remember = `${dialog} input[data-kelisim-remember]`;

/** A test page with third-party links, log-in buttons and a log-in form. */
function testPage(lang) {
  const u = (host, p) => stub.url(host, p);
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>links</title>
<script type="module" src="/kelisim/kelisim.js" data-config="/kelisim.config.json"></script></head><body>
<p><a id="fb" href="${u("www.facebook.com", "/sapar")}">Facebook</a></p>
<p><a id="fb-blank" target="_blank" href="${u("www.facebook.com", "/blank")}">Facebook (new tab)</a></p>
<p><a id="fb-noref" target="_blank" rel="noreferrer" href="${u("www.facebook.com", "/noref")}">Facebook (no referrer)</a></p>
<p><a id="vk" href="${u("m.vk.com", "/sapar")}"><span>VK</span></a></p>
<p><a id="other" href="${u("example.org", "/page")}">example.org</a></p>
<p><a id="own" href="/ru/">own</a></p>
<p><a id="dl" download href="${u("www.facebook.com", "/file.pdf")}">download</a></p>
<p><a id="oauth-fb" data-kelisim-oauth="facebook" href="${u("www.facebook.com", "/dialog/oauth")}">Log in with Facebook</a></p>
<p><button id="oauth-google" type="button" data-kelisim-oauth="google"><span>Log in with Google</span></button></p>
<p><button id="oauth-bad" type="button" data-kelisim-oauth="nope">Log in</button></p>
<form id="oauth-form" data-kelisim-oauth="google" action="${u("accounts.google.com", "/o/oauth2/auth")}" method="get">
  <input name="client_id" value="sapar"><button id="form-submit">Continue with Google</button></form>
<p id="status"></p>
<script>
  window.__clicks = 0;
  window.__events = [];
  addEventListener("kelisim:disclosure", (e) => window.__events.push(e.detail));
  for (const id of ["oauth-google", "oauth-bad"]) {
    document.getElementById(id).addEventListener("click", () => {
      window.__clicks++;
      document.getElementById("status").textContent = "logged in with " + id;
    });
  }
  document.getElementById("oauth-form").addEventListener("submit", () => {
    sessionStorage.submits = Number(sessionStorage.submits || 0) + 1;
  });
</script></body></html>`;
}

async function visit({ lang = "ru", config } = {}) {
  const s = await openPage(env.browser, null, {
    config,
    beforeLoad: (_, ctx) =>
      ctx.route(`${env.server.url}/__links.html`, (r) => r.fulfill({ contentType: "text/html", body: testPage(lang) })),
  });
  await s.page.goto(`${env.server.url}/__links.html`);
  await ready(s.page);
  return s;
}

const requested = (p) => stub.requests.filter((r) => r.path === p).length;
const hasDialog = (page) => page.evaluate((sel) => !!document.querySelector(sel), dialog);
const records = (page) => page.evaluate(() => window.kelisim.getDisclosures());
const outcomes = (list) => list.map((r) => `${r.kind}:${r.id}:${r.host}:${r.outcome}`);

function noErrors(log) {
  assert.deepEqual(log.errors, [], "console errors");
}

test("a same-tab link to a third party waits for Continue, then goes exactly there", async () => {
  const { page, context, log } = await visit();
  await page.click("#fb");
  await page.waitForSelector(dialog);
  const d = page.locator(dialog);
  assert.equal(await d.getAttribute("data-kelisim-kind"), "link");
  assert.equal(await d.getAttribute("data-kelisim-party"), "meta");
  assert.equal(await d.getAttribute("data-kelisim-host"), "www.facebook.com");
  const text = await d.innerText();
  assert.match(text, /Вы переходите на сайт «Meta \(Facebook, Instagram\)»/);
  assert.match(text, /собственная политика конфиденциальности/);
  assert.ok(text.includes("Ваши действия на сайте, сведения об устройстве, IP-адрес, ваш профиль Facebook"), text);
  assert.match(text, /Данные передаются за пределы Казахстана/);
  assert.match(text, /Страна, куда передаются данные:\s+(Соединенные Штаты|США)/);
  const policy = d.locator('a[target="_blank"]');
  assert.equal(await policy.getAttribute("href"), "https://www.facebook.com/privacy/policy/");
  assert.equal(await policy.getAttribute("target"), "_blank");
  assert.equal(await policy.getAttribute("rel"), "noopener noreferrer");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.kelisimAction), "continue");
  assert.equal(requested("/sapar"), 0, "nothing was requested before Continue");
  assert.deepEqual(await page.evaluate(() => window.__events), [
    { kind: "link", id: "meta", host: "www.facebook.com", outcome: "shown", at: (await records(page))[0].at, language: "ru" },
  ]);

  await page.click(proceed);
  await page.waitForURL(stub.url("www.facebook.com", "/sapar"));
  assert.equal(await page.textContent("#where"), `www.facebook.com:${stub.port}/sapar`);
  assert.equal(context.pages().length, 1, "same tab");
  assert.equal(stub.requests.at(-1).referer, `${env.server.url}/`, "the referrer is sent as for the link");
  await page.goBack();
  await ready(page);
  const list = await records(page);
  assert.deepEqual(outcomes(list), ["link:meta:www.facebook.com:shown", "link:meta:www.facebook.com:continued"]);
  assert.match(list[1].at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(list[1].language, "ru");
  noErrors(log);
  await context.close();
});

test("target=_blank opens a new tab without an opener on Continue; the original page stays", async () => {
  const { page, context, log } = await visit();
  await page.click("#fb-blank");
  await page.waitForSelector(dialog);
  const popup = context.waitForEvent("page");
  await page.click(proceed);
  const tab = await popup;
  await tab.waitForURL(stub.url("www.facebook.com", "/blank"));
  assert.equal(await tab.evaluate(() => window.opener), null);
  assert.equal(page.url(), `${env.server.url}/__links.html`);
  assert.equal(context.pages().length, 2);
  assert.equal(requested("/blank"), 1);

  // rel="noreferrer" keeps its meaning.
  await page.click("#fb-noref");
  const popup2 = context.waitForEvent("page");
  await page.click(proceed);
  const tab2 = await popup2;
  await tab2.waitForURL(stub.url("www.facebook.com", "/noref"));
  assert.equal(stub.requests.find((r) => r.path === "/noref").referer, null);
  assert.equal(await tab2.evaluate(() => document.referrer), "");
  noErrors(log);
  await context.close();
});

test("Ctrl-click, Shift-click and middle click open a new page only after Continue; the original stays", async () => {
  const { page, context, log } = await visit();
  const before = requested("/sapar");
  for (const [how, click] of [
    ["ctrl", () => page.click("#fb", { modifiers: ["Control"] })],
    ["shift", () => page.click("#fb", { modifiers: ["Shift"] })],
    ["middle", () => page.click("#fb", { button: "middle" })],
  ]) {
    await click();
    await page.waitForSelector(dialog);
    assert.equal(context.pages().length, 1, `${how}: no page before Continue`);
    const popup = context.waitForEvent("page");
    await page.click(proceed);
    const tab = await popup;
    await tab.waitForURL(stub.url("www.facebook.com", "/sapar"));
    assert.equal(context.pages().length, 2, `${how}: exactly one new page`);
    assert.equal(page.url(), `${env.server.url}/__links.html`, `${how}: the original page stays`);
    await tab.close();
  }
  assert.equal(requested("/sapar") - before, 3);
  noErrors(log);
  await context.close();
});

test("keyboard: Enter on a link opens the disclosure, Enter on Continue follows it", async () => {
  const { page, context, log } = await visit({ lang: "kk" });
  await page.focus("#vk");
  await page.keyboard.press("Enter");
  await page.waitForSelector(dialog);
  assert.equal(await page.getAttribute(dialog, "data-kelisim-party"), "vk");
  assert.match(await page.innerText(dialog), /Сіз «VK \(ВКонтакте\)» сайтына өтесіз/);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.kelisimAction), "continue");
  await page.keyboard.press("Enter");
  await page.waitForURL(stub.url("m.vk.com", "/sapar"));
  noErrors(log);
  await context.close();
});

test("Cancel and Escape leave the visitor where they were, with focus back on the link", async () => {
  const { page, context, log } = await visit();
  const before = requested("/sapar");
  await page.click("#fb");
  await page.click(cancel);
  assert.equal(await hasDialog(page), false);
  assert.equal(await page.evaluate(() => document.activeElement.id), "fb");
  await page.click("#fb");
  await page.waitForSelector(dialog);
  await page.keyboard.press("Escape");
  assert.equal(await hasDialog(page), false);
  assert.equal(await page.evaluate(() => document.activeElement.id), "fb");
  assert.equal(page.url(), `${env.server.url}/__links.html`);
  assert.equal(requested("/sapar"), before);
  assert.deepEqual(outcomes(await records(page)), [
    "link:meta:www.facebook.com:shown", "link:meta:www.facebook.com:cancelled",
    "link:meta:www.facebook.com:shown", "link:meta:www.facebook.com:cancelled",
  ]);
  assert.deepEqual((await page.evaluate(() => window.__events)).map((e) => e.outcome), ["shown", "cancelled", "shown", "cancelled"]);
  noErrors(log);
  await context.close();
});

test("links added after start() get the disclosure too", async () => {
  const { page, context, log } = await visit();
  await page.evaluate((href) => {
    const a = document.createElement("a");
    a.id = "late";
    a.href = href;
    a.textContent = "late link";
    document.body.prepend(a);
  }, stub.url("www.instagram.com", "/late"));
  await page.click("#late");
  await page.waitForSelector(dialog);
  assert.equal(await page.getAttribute(dialog, "data-kelisim-party"), "meta");
  await page.click(proceed);
  await page.waitForURL(stub.url("www.instagram.com", "/late"));
  noErrors(log);
  await context.close();
});

test("\"don't ask again\" lets later clicks through, also after a reload, until the consent expires", async () => {
  const { page, context, log } = await visit();
  await page.click("#vk");
  await page.waitForSelector(dialog);
  assert.equal(await page.textContent(`${dialog} .kelisim-remember`), "Больше не спрашивать для «VK (ВКонтакте)»");
  await page.check(remember);
  await page.click(proceed);
  await page.waitForURL(stub.url("m.vk.com", "/sapar"));
  await page.goBack();
  await ready(page);
  // A held click would keep the page here; a remembered one navigates at once.
  await page.click("#vk");
  await page.waitForURL(stub.url("m.vk.com", "/sapar"));
  await page.goBack();
  await page.reload();
  await ready(page);
  await page.click("#vk");
  await page.waitForURL(stub.url("m.vk.com", "/sapar"));
  await page.goBack();
  await ready(page);
  assert.deepEqual(outcomes(await records(page)), ["link:vk:m.vk.com:shown", "link:vk:m.vk.com:continued"]);
  // Without a consent the choice holds 13 months; other parties still ask.
  const stored = await page.evaluate(() => localStorage.getItem("kelisim.disclosures"));
  const until = Number(stored.match(/\nr link vk (\d+)/)[1]);
  const shownAt = Date.parse((await records(page))[1].at);
  assert.equal(until, plus13Months(shownAt));
  await page.click("#fb");
  await page.waitForSelector(dialog);
  await page.click(cancel);

  // With a consent, until its expiresAt; reset() forgets the choice.
  const expires = await page.evaluate(() => Date.parse(window.kelisim.acceptAll().expiresAt));
  await page.click("#fb");
  await page.check(remember);
  await page.click(proceed);
  await page.waitForURL(stub.url("www.facebook.com", "/sapar"));
  await page.goBack();
  await ready(page);
  const again = await page.evaluate(() => localStorage.getItem("kelisim.disclosures"));
  assert.equal(Number(again.match(/\nr link meta (\d+)/)[1]), expires);
  await page.evaluate(() => window.kelisim.reset());
  assert.deepEqual(await records(page), []);
  await page.click("#vk");
  await page.waitForSelector(dialog);
  noErrors(log);
  await context.close();
});

test("own-origin links and download links are not touched", async () => {
  const { page, context, log } = await visit();
  await page.click("#own");
  await page.waitForURL(`${env.server.url}/ru/`);
  await page.goBack();
  await ready(page);
  // Chromium ignores `download` on a cross-origin link and navigates: no disclosure holds it.
  await page.click("#dl");
  await page.waitForURL(stub.url("www.facebook.com", "/file.pdf"));
  await page.goBack();
  await ready(page);
  assert.deepEqual(await records(page), []);
  noErrors(log);
  await context.close();
});

test("externalLinks: declared ignores other sites, all discloses them generically, off discloses nothing", async () => {
  const declared = await visit();
  await declared.page.click("#other");
  await declared.page.waitForURL(stub.url("example.org", "/page"));
  await declared.context.close();

  const all = await visit({ config: { ...demoConfig(), externalLinks: "all" } });
  await all.page.click("#other");
  await all.page.waitForSelector(dialog);
  assert.equal(await all.page.getAttribute(dialog, "data-kelisim-party"), null);
  assert.equal(await all.page.getAttribute(dialog, "data-kelisim-host"), "example.org");
  const text = await all.page.innerText(dialog);
  assert.match(text, /Вы переходите на сайт «example\.org»/);
  assert.match(text, /Этого сайта нет в нашем списке третьих лиц/);
  await all.page.click(proceed);
  await all.page.waitForURL(stub.url("example.org", "/page"));
  await all.page.goBack();
  await ready(all.page);
  assert.deepEqual(outcomes(await records(all.page)), ["link:null:example.org:shown", "link:null:example.org:continued"]);
  await all.page.click("#fb");
  assert.equal(await all.page.getAttribute(dialog, "data-kelisim-party"), "meta", "declared parties keep their own disclosure");
  noErrors(all.log);
  await all.context.close();

  const off = await visit({ config: { ...demoConfig(), externalLinks: "off" } });
  await off.page.click("#fb");
  await off.page.waitForURL(stub.url("www.facebook.com", "/sapar"));
  await off.context.close();
});

test("an OAuth button's own handler runs once after Continue, never after Cancel", async () => {
  const { page, context, log } = await visit();
  await page.click("#oauth-google");
  await page.waitForSelector(dialog);
  assert.equal(await page.getAttribute(dialog, "data-kelisim-kind"), "oauth");
  assert.equal(await page.getAttribute(dialog, "data-kelisim-party"), "google");
  const text = await page.innerText(dialog);
  assert.match(text, /Вход через Google/);
  assert.match(text, /При входе Google передаст нам эти данные:/);
  assert.ok(text.includes("Ваши имя и фамилия, адрес электронной почты, фото профиля и язык интерфейса"), text);
  assert.equal(await page.evaluate(() => window.__clicks), 0, "held: the site's handler has not run");
  await page.click(cancel);
  assert.equal(await page.evaluate(() => window.__clicks), 0, "Cancel: the handler does not run");
  assert.equal(await page.textContent("#status"), "");
  assert.equal(await page.evaluate(() => document.activeElement.id), "oauth-google");

  await page.click("#oauth-google");
  await page.click(proceed);
  assert.equal(await page.evaluate(() => window.__clicks), 1, "Continue: the handler ran once");
  assert.equal(await page.textContent("#status"), "logged in with oauth-google");
  assert.deepEqual(outcomes(await records(page)), [
    "oauth:google:null:shown", "oauth:google:null:cancelled", "oauth:google:null:shown", "oauth:google:null:continued",
  ]);
  // The next click is held again (nothing was remembered).
  await page.click("#oauth-google");
  await page.waitForSelector(dialog);
  assert.equal(await page.evaluate(() => window.__clicks), 1);
  noErrors(log);
  await context.close();
});

test("an OAuth link is followed and an OAuth form is submitted once, after Continue", async () => {
  const { page, context, log } = await visit();
  await page.click("#oauth-fb");
  await page.waitForSelector(dialog);
  assert.equal(await page.getAttribute(dialog, "data-kelisim-party"), "facebook");
  assert.equal(requested("/dialog/oauth"), 0);
  await page.click(proceed);
  await page.waitForURL(stub.url("www.facebook.com", "/dialog/oauth"));
  await page.goBack();
  await ready(page);

  // Enter in a field submits through the form's button: held the same way.
  await page.focus("#oauth-form input");
  await page.keyboard.press("Enter");
  await page.waitForSelector(dialog);
  await page.click(cancel);
  assert.equal(page.url(), `${env.server.url}/__links.html`);
  await page.click("#form-submit");
  await page.waitForSelector(dialog);
  assert.equal(await page.evaluate(() => sessionStorage.submits ?? "0"), "0", "held: the site's submit handler has not run");
  await page.click(proceed);
  await page.waitForURL(stub.url("accounts.google.com", "/o/oauth2/auth?client_id=sapar"));
  await page.goBack();
  await ready(page);
  assert.equal(await page.evaluate(() => sessionStorage.submits), "1");
  assert.deepEqual(outcomes(await records(page)), [
    "oauth:facebook:www.facebook.com:shown", "oauth:facebook:www.facebook.com:continued",
    "oauth:google:accounts.google.com:shown", "oauth:google:accounts.google.com:cancelled",
    "oauth:google:accounts.google.com:shown", "oauth:google:accounts.google.com:continued",
  ]);
  noErrors(log);
  await context.close();
});

test("an undeclared OAuth id is named in a warning and the action goes ahead", async () => {
  const { page, context, log } = await visit();
  await page.click("#oauth-bad");
  assert.equal(await page.evaluate(() => window.__clicks), 1);
  assert.equal(await hasDialog(page), false);
  assert.ok(log.warnings.some((w) => w.includes('data-kelisim-oauth="nope" is not in the config\'s oauth[]')), log.warnings.join("\n"));
  await context.close();
});

test("discloseOAuth() resolves true on Continue, false on Cancel, and rejects an unknown id", async () => {
  const { page, context, log } = await visit();
  const answer = async (button) => {
    const result = page.evaluate(() => window.kelisim.discloseOAuth("facebook"));
    await page.waitForSelector(dialog);
    await page.click(button);
    return result;
  };
  assert.equal(await answer(cancel), false);
  assert.equal(await answer(proceed), true);
  const err = await page.evaluate(() => window.kelisim.discloseOAuth("nope").then(() => "resolved", (e) => e.message));
  assert.equal(err, 'kelisim: discloseOAuth: "nope" is not a declared oauth[] provider');
  // Remembered: resolves at once.
  const third = page.evaluate(() => window.kelisim.discloseOAuth("facebook"));
  await page.waitForSelector(dialog);
  await page.check(remember);
  await page.click(proceed);
  assert.equal(await third, true);
  assert.equal(await page.evaluate(() => window.kelisim.discloseOAuth("facebook")), true);
  assert.equal(await hasDialog(page), false);
  assert.deepEqual(outcomes(await records(page)), [
    "oauth:facebook:null:shown", "oauth:facebook:null:cancelled", "oauth:facebook:null:shown",
    "oauth:facebook:null:continued", "oauth:facebook:null:shown", "oauth:facebook:null:continued",
  ]);
  noErrors(log);
  await context.close();
});

test("the preferences panel lists every third party and OAuth provider, in the current language", async () => {
  const { page, context, log } = await visit({ lang: "kk" });
  const config = demoConfig();
  await page.evaluate(() => window.kelisim.showPreferences());
  const list = "[data-kelisim-parties]";
  for (const [lang, name] of [["kk", "Үшінші тараптар (4)"], ["ru", "Третьи лица (4)"]]) {
    if (lang === "ru") await page.click('[data-kelisim-lang="ru"]');
    assert.equal(await page.textContent(`${list} summary`), name);
    for (const p of config.thirdParties) {
      const item = page.locator(`${list} [data-kelisim-party="${p.id}"]`);
      const text = await item.textContent();
      for (const s of [p.name[lang], p.collects[lang], p.purpose[lang]]) assert.ok(text.includes(s), `${p.id} ${lang}: ${s}`);
      assert.equal(await item.locator("a").getAttribute("href"), p.policyUrl);
    }
    for (const o of config.oauth) {
      const item = page.locator(`${list} [data-kelisim-provider="${o.id}"]`);
      assert.ok((await item.textContent()).includes(o.receives[lang]), `${o.id} ${lang}`);
    }
  }
  // The policy links inside kelisim are not held.
  assert.deepEqual(await records(page), []);
  noErrors(log);
  await context.close();
});

test("the demo pages disclose their social links and log-ins in Kazakh and Russian", async () => {
  for (const [url, title, status] of [
    ["/", "Google арқылы кіру", "Сіз Google арқылы кірдіңіз (демо)."],
    ["/ru/", "Вход через Google", "Вы вошли через Google (демо)."],
  ]) {
    const { page, context, log } = await openPage(env.browser, env.server.url + url);
    await ready(page);
    await page.evaluate(() => window.kelisim.rejectAll()); // the banner would cover the log-in block
    for (const host of ["www.facebook.com", "vk.com", "www.instagram.com"]) {
      assert.equal(await page.locator(`.social a[href*="//${host}/"]`).count(), 1, host);
    }
    await page.click(".social a[href*='vk.com']");
    await page.waitForSelector(dialog);
    assert.equal(await page.getAttribute(dialog, "data-kelisim-party"), "vk");
    await page.click(cancel);
    await page.click("#login-google");
    await page.waitForSelector(dialog);
    assert.equal(await page.textContent(`${dialog} h2`), title);
    await screenshot(page, `disclosure-oauth-${url === "/" ? "kk" : "ru"}`);
    await page.click(proceed);
    assert.equal(await page.textContent("#login-status"), status);
    await page.click("[data-kelisim-oauth='facebook']");
    assert.equal(await page.getAttribute(dialog, "data-kelisim-party"), "facebook");
    await page.click(cancel);
    noErrors(log);
    await context.close();
  }
});

async function screenshot(page, name) {
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: path.join(screenshotDir(), `${name}-${width}.png`) });
  }
}

test("screenshots of the link disclosure in both languages", async () => {
  for (const lang of ["kk", "ru"]) {
    const { page, context } = await visit({ lang });
    await page.click("#fb");
    await page.waitForSelector(dialog);
    await screenshot(page, `disclosure-link-${lang}`);
    await context.close();
  }
});
