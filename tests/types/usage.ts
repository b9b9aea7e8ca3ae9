// Compiled with `tsc --noEmit --strict` by `npm test`: the shipped typings must
// describe the demo's real config and the API as sites use it.
import { start, type Config, type Consent, type Kelisim } from "../../js/kelisim.js";
import type { PendingReceipt, Receipt } from "../../js/kelisim.js";
import demo from "../../www/kelisim.config.json";

const config: Config = demo as Config;
// `satisfies` checks the JSON's own shape against Config without a cast.
const checked = {
  controller: { name: { kk: "a", ru: "b" }, bin: "123456789012" },
  policy: { version: "1", revision: 1, url: { kk: "/kk", ru: "/ru" } },
  categories: [{ id: "necessary", required: true, title: { kk: "a", ru: "b" }, description: { kk: "a", ru: "b" } }],
} satisfies Config;

async function main(): Promise<void> {
  const k: Kelisim = await start(config);
  await start(checked);
  const c: Consent | null = k.getConsent();
  if (c) {
    const when: Date = new Date(c.expiresAt);
    const analytics: boolean | undefined = c.categories["analytics"];
    void when;
    void analytics;
  }
  k.setConsent({ categories: { analytics: true }, services: { "yandex-metrica": false } });
  k.setLanguage("ru");
  const lang: "kk" | "ru" = k.language;
  void lang;
  window.addEventListener("kelisim:change", (e) => {
    const changed: string[] = e.detail.changed;
    void changed;
  });
  window.kelisim?.showPreferences();
  await k.showPolicy();
  await k.showPolicy("ru").catch((e: Error) => console.error(e.message));
  const doc: string | { kk: string; ru: string } | undefined = config.policy.document;
  void doc;
}
void main;

async function receipts(): Promise<void> {
  const withEndpoint: Config = { ...config, receipts: { endpoint: "/v1/receipts", transport: "beacon" } };
  await start(withEndpoint);
  const k = await start(config, {
    send: async (r: Receipt) => {
      const seq: number = r.kelisim.chain.seq;
      const countries: string[] = r.kelisim.law94v.crossBorderCountries;
      await fetch("/my-backend", { method: "POST", body: JSON.stringify(r) });
      void seq;
      void countries;
    },
  });
  const pending: PendingReceipt[] = k.pendingReceipts();
  const first: "pending" | "failed" | undefined = pending[0]?.status;
  await k.flush();
  window.addEventListener("kelisim:receipt", (e) => {
    const status: "sent" | "retrying" | "failed" | "dropped" = e.detail.status;
    const http: number | undefined = e.detail.httpStatus;
    void status;
    void http;
  });
  void first;
}
void receipts;

// The `ui` section (docs/theming.md): every layout, position and theme types; others do not.
const themed = {
  ...checked,
  ui: { layout: "bar", position: "top-right", theme: "dark" },
} satisfies Config;
const positions: NonNullable<NonNullable<Config["ui"]>["position"]>[] = [
  "top-left", "top-center", "top-right", "middle-left", "middle-center", "middle-right", "bottom-left", "bottom-center", "bottom-right",
];
// @ts-expect-error not a layout
const badLayout: Config["ui"] = { layout: "grid" };
// @ts-expect-error not a position (vertical comes first)
const badPosition: Config["ui"] = { position: "center-middle" };
void themed;
void positions;
void badLayout;
void badPosition;
