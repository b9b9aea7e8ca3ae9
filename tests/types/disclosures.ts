// Compiled with `tsc --strict` by `npm test`: the disclosure API as sites use it.
import type { Disclosure, Kelisim } from "../../js/kelisim.js";

async function logIn(k: Kelisim): Promise<void> {
  const ok: boolean = await k.discloseOAuth("facebook");
  if (!ok) return;
  const last: Disclosure | undefined = k.getDisclosures().at(-1);
  const host: string | null = last?.host ?? null;
  void host;
  window.addEventListener("kelisim:disclosure", (e) => {
    const outcome: "shown" | "continued" | "cancelled" = e.detail.outcome;
    const id: string | null = e.detail.id;
    void outcome;
    void id;
  });
}
void logIn;
