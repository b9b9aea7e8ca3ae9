// Compiled with `tsc --noEmit --strict` by `npm test`: kelisim/server's typings
// as a Node server uses them, with the demo's real config.
import { readConsent, readConsentWithReason, type NoConsentReason, type ReadResult } from "../../js/server.js";
import type { Consent } from "../../js/kelisim.js";
import demo from "../../www/kelisim.config.json";

declare const cookieHeader: string | undefined;

const consent: Consent | null = readConsent(cookieHeader, demo as Parameters<typeof readConsent>[1]);
if (consent?.categories.analytics && consent.services["google-analytics"]) {
  const since: string = consent.givenAt;
  void since;
}
const r: ReadResult = readConsentWithReason(["a=1", "kelisim=x"], JSON.stringify(demo), { now: new Date() });
const why: NoConsentReason | null = r.why;
if (why === "unanswered" || why === "bad-field") {
  const detail: string | null = r.detail;
  void detail;
}
readConsent(null, "{}", { now: Date.now() });
// @ts-expect-error the clock is a number or a Date
readConsent("", "{}", { now: "yesterday" });
