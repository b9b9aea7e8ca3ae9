// The configurator shows the decoder's problems in the page's language
// (www/configure-texts.js, problemText). This runs the same checker the page
// loads (kelisim/server's checkConfig, built into dist/) over the demo config
// broken in many ways, and checks that every problem it names has a Kazakh and
// a Russian text with the values carried over.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { problemText } from "../../www/configure-texts.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const demo = JSON.parse(readFileSync(path.join(root, "www/kelisim.config.json"), "utf8"));

/** The demo config with `change` applied to a copy. */
const broken = (change) => {
  const c = structuredClone(demo);
  change(c);
  return c;
};

const cases = [
  (c) => (c.controller.bin = "12"),
  (c) => delete c.controller.bin,
  (c) => (c.controller.name.kk = " "),
  (c) => (c.controller.email = "not-an-address"),
  (c) => (c.controller.phone = "call us"),
  (c) => (c.controller.nickname = "x"),
  (c) => (c.controller.name = 5),
  (c) => (c.policy.url.kk = "javascript:alert(1)"),
  (c) => (c.policy.revision = "two"),
  (c) => (c.categories[1].id = "Not An Id"),
  (c) => (c.categories[1].id = c.categories[0].id),
  (c) => (c.categories[0].cookies = ["a b"]),
  (c) => (c.categories = []),
  (c) => (c.categories[2].services[0].thirdParty = "nobody"),
  (c) => (c.thirdParties[0].country = "kz"),
  (c) => (c.thirdParties[0].domains = ["Yandex.ru"]),
  (c) => (c.thirdParties[0].domains = []),
  (c) => (c.thirdParties[0].policyUrl = "/relative"),
  (c) => (c.thirdParties[1].id = c.thirdParties[0].id),
  (c) => (c.languages = []),
  (c) => (c.languages = ["en"]),
  (c) => (c.languages = ["kk", "kk"]),
  (c) => ((c.languages = ["kk"]), (c.defaultLanguage = "ru")),
  (c) => (c.ui = { layout: "sideways" }),
];

test("every problem the checker names for a broken demo config has a Kazakh and a Russian text", async () => {
  const { default: init, checkConfig } = await import(path.join(root, "dist/kelisim_server.js"));
  await init({ module_or_path: readFileSync(path.join(root, "dist/kelisim_server_bg.wasm")) });
  assert.deepEqual(JSON.parse(checkConfig(JSON.stringify(demo))), [], "the demo config itself has no problem");
  const messages = new Set();
  for (const change of cases) {
    const problems = JSON.parse(checkConfig(JSON.stringify(broken(change))));
    assert.ok(problems.length > 0, `no problem for ${change}`);
    for (const p of problems) messages.add(p.message);
  }
  assert.ok(messages.size >= 20, `only ${messages.size} kinds of message: ${[...messages].join(" | ")}`);
  for (const m of messages) {
    for (const lang of ["kk", "ru"]) {
      const said = problemText(lang, m);
      assert.notEqual(said, m, `${lang}: no text for "${m}"`);
      assert.doesNotMatch(said, /\$\d|undefined/, `${lang}: "${said}" (from "${m}")`);
      // A quoted value of the message is carried over as written.
      const quoted = /^"(.*?)"/.exec(m)?.[1];
      if (quoted) assert.ok(said.includes(`«${quoted}»`), `${lang}: "${said}" lost "${quoted}"`);
    }
  }
});

test("a message with no text is shown as the decoder wrote it", () => {
  assert.equal(problemText("kk", "something new"), "something new");
  assert.equal(problemText("ru", "expected a mystery, got a string"), "expected a mystery, got a string");
  assert.equal(problemText("ru", "expected an array, got a string"), "ожидается массив, а указано: строка");
  assert.equal(problemText("kk", '"$1 x" is used twice'), "«$1 x» екі рет қолданылған");
});
