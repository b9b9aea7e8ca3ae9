// kelisim consent receipt delivery. The wasm core builds each receipt in
// canonical form and hands it over (`intake`); this module chains it (SHA-256
// of the previous receipt through crypto.subtle), keeps it in an outbox in
// localStorage until a backend confirms it, and sends it by fetch, by
// sendBeacon, or through the page's own `send`. What is retried and when comes
// from the core (`retry`: the wasm module's `receiptRetry`).
//
// Stored under "kelisim.receipts": {queue, chain, outbox}.
// - queue: receipts not chained yet, as "id\nsubject\nhead\ntail" (the chain
//   link goes between head and tail);
// - chain: the last chained receipt {subject, seq, hash}, or {subject, seq,
//   text} until its hash is known (so a page closed meanwhile loses nothing);
// - outbox: [{id, status: "pending" | "failed", attempts, receipt, reason?}],
//   oldest first, at most MAX entries.
// A receipt that cannot be sent as built (over MAX_BODY bytes for fetch or
// beacon, or a request the browser itself refuses to make) is marked failed
// with its reason at once: it never waits in front of later ones.
// Storage is read before and written after every change, so the tabs of a site
// share one outbox (two tabs may send the same receipt: backends are
// idempotent by consentReceiptID). Without storage, it all lives in memory.
const KEY = "kelisim.receipts";
const MAX = 100;
const TIMEOUT_MS = 10_000;
/**
 * The largest body sent by fetch or beacon, in bytes: browsers refuse a
 * keepalive fetch or a sendBeacon over 64 KiB (the core's outbox::MAX_BODY;
 * a native test checks that the two agree).
 */
const MAX_BODY = 65_536;
/** Longest wait a server's Retry-After can ask for. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * A delivery for `options` (the config's `receipts`: {endpoint, headers,
 * transport}) or for the page's `send` function; `retry(status, attempts,
 * random)` is the core's rule (0: delivered, -1: refused for good, else the
 * delay in ms). Nothing happens until `start()`.
 */
/** A request the browser itself will not make: not worth another try. */
class Refusal extends Error {}

export function delivery(options, send, retry) {
  const { endpoint, headers, transport } = options ?? {};
  const beacon = transport === "beacon";
  let stored = true;
  let memory = { queue: [], outbox: [] };
  let busy; // id of the receipt in flight
  let hashing = false;
  let timer;
  let waiters = [];
  const due = {}; // id -> ms; not stored: a new page load tries at once

  const fail = () => {
    stored = false;
    console.warn("kelisim: no localStorage (blocked or full): consent receipts are sent while this page is open but will not survive a reload");
  };
  const read = () => {
    if (stored) {
      let s;
      try {
        s = localStorage.getItem(KEY);
      } catch {
        fail();
        return memory;
      }
      try {
        s = JSON.parse(s);
      } catch {
        s = null; // not ours: start afresh
      }
      memory = s && Array.isArray(s.queue) && Array.isArray(s.outbox) ? s : { queue: [], outbox: [] };
    }
    return memory;
  };
  const write = () => {
    if (stored) {
      try {
        localStorage.setItem(KEY, JSON.stringify(memory));
      } catch {
        fail();
      }
    }
  };
  const emit = (id, status, http, reason) =>
    dispatchEvent(new CustomEvent("kelisim:receipt", { detail: { id, status, ...(http && { httpStatus: http }), ...(reason && { reason }) } }));

  // Chains queued receipts as far as known hashes allow.
  function seal() {
    const s = read();
    while (s.queue.length) {
      const [id, subject, head, tail] = s.queue[0].split("\n");
      const c = s.chain;
      let seq = 1;
      let prev = null;
      if (c?.subject === subject) {
        if (!c.hash) return hash();
        seq = c.seq + 1;
        prev = c.hash;
      }
      const receipt = head + JSON.stringify({ prev, seq }) + tail;
      s.queue.shift();
      if (!s.outbox.some((e) => e.id === id)) {
        if (s.outbox.length >= MAX) {
          const [gone] = s.outbox.splice(Math.max(0, s.outbox.findIndex((e) => e.status === "failed")), 1);
          console.error(`kelisim: the receipt outbox is full (${MAX}); dropped receipt ${gone.id} unsent`);
          emit(gone.id, "dropped");
        }
        s.outbox.push({ id, status: "pending", attempts: 0, receipt });
      }
      s.chain = { subject, seq, text: receipt };
      write();
    }
    hash();
    pump();
  }

  // Hashes the chain's last receipt, once.
  function hash() {
    const c = memory.chain;
    if (hashing || !c?.text) return;
    hashing = true;
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(c.text)).then((digest) => {
      hashing = false;
      const s = read();
      if (s.chain?.text === c.text) {
        s.chain = { subject: c.subject, seq: c.seq, hash: Array.from(new Uint8Array(digest), (b) => (b | 256).toString(16).slice(1)).join("") };
        write();
      }
      seal();
    }, (e) => {
      hashing = false;
      console.error(e);
    });
  }

  // One attempt: [HTTP status (0: none), Retry-After in ms], or a promise of it;
  // anything thrown or rejected counts as no answer.
  // A custom send that never settles counts as no answer after TIMEOUT_MS.
  // A request the browser itself refuses to make (a header value it will not
  // send, say) rejects with a Refusal.
  function attempt(receipt) {
    if (send) {
      return Promise.race([
        Promise.resolve(send(JSON.parse(receipt))).then(() => [200]),
        new Promise((resolve) => setTimeout(() => resolve([0]), TIMEOUT_MS)),
      ]);
    }
    if (beacon) return [navigator.sendBeacon(endpoint, receipt) ? 200 : 0];
    return fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: receipt,
      keepalive: true,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }).then((r) => {
      const after = r.headers.get("Retry-After");
      return [r.status, /^\d{1,9}$/.test(after) ? after * 1000 : 0];
    }, (e) => {
      // A network failure ("Failed to fetch" in Chromium) is retried. The
      // browser's refusal to build the request is a TypeError worded
      // "Failed to execute 'fetch' ..." (Chromium) or naming an invalid
      // header (Firefox): sending it again cannot help.
      if (e instanceof TypeError && /^Failed to execute|invalid header/i.test(e.message)) throw new Refusal(`the browser refused the request: ${e.message}`);
      return [0];
    });
  }

  // Why a receipt cannot be sent as built, or undefined.
  function unsendable(receipt) {
    if (send) return;
    const bytes = new TextEncoder().encode(receipt).length;
    if (bytes > MAX_BODY) return `too large: ${bytes} bytes, over the ${MAX_BODY}-byte limit of a ${beacon ? "sendBeacon" : "keepalive fetch"}`;
  }

  // Marks a receipt failed for good; it is kept, never sent again. `http`:
  // the endpoint's refusal; else `reason` says why it cannot be sent.
  function refuse(s, e, reason, http) {
    e.status = "failed";
    if (http) {
      console.warn(`kelisim: the receipt endpoint refused receipt ${e.id} (HTTP ${http}); it is kept and not sent again`);
    } else {
      e.reason = reason;
      console.warn(`kelisim: receipt ${e.id} cannot be sent (${reason}); it is kept and not sent again`);
    }
    write();
    emit(e.id, "failed", http, http ? undefined : reason);
  }

  // Sends the oldest pending receipt when it is due. Resolves flush() when
  // nothing is left to try now: no pending receipt, or the oldest one waits
  // for its next retry (later ones wait behind it).
  function pump() {
    clearTimeout(timer);
    if (busy) return;
    const s = read();
    let e;
    for (;;) {
      e = s.outbox.find((e) => e.status === "pending");
      const why = e && unsendable(e.receipt);
      if (!why) break;
      refuse(s, e, why);
    }
    const idle = () => !s.queue.length && waiters.splice(0).forEach((resolve) => resolve());
    if (!e) return idle();
    const wait = (due[e.id] ?? 0) - Date.now();
    if (wait > 0) {
      timer = setTimeout(pump, wait);
      return idle();
    }
    busy = e.id;
    Promise.resolve(e.receipt)
      .then(attempt)
      .then(([status, after]) => answer(e.id, status, after), (x) => x instanceof Refusal ? answer(e.id, -1, 0, x.message) : answer(e.id, 0));
  }

  function answer(id, status, after = 0, refused) {
    busy = undefined;
    const s = read();
    const e = s.outbox.find((e) => e.id === id);
    if (e && refused) {
      e.attempts++;
      refuse(s, e, refused);
    } else if (e) {
      const http = !send && !beacon && status;
      const next = retry(status, e.attempts, crypto.getRandomValues(new Uint32Array(1))[0]);
      if (next === 0) {
        s.outbox.splice(s.outbox.indexOf(e), 1);
        emit(id, "sent", http);
      } else {
        e.attempts++;
        if (next < 0) {
          refuse(s, e, `HTTP ${status}`, http);
        } else {
          due[id] = Date.now() + Math.max(next, Math.min(after, MAX_RETRY_AFTER_MS));
          emit(id, "retrying", http);
        }
      }
      write();
    }
    pump();
  }

  return {
    /** Takes a receipt from the core ("id\nsubject\nhead\ntail"). */
    intake(wire) {
      read().queue.push(wire);
      write();
      seal();
    },
    /** Picks up what an earlier page left, and flushes by beacon on pagehide. */
    start() {
      seal();
      // A beacon cannot carry headers, and a custom send may not finish: those wait for the next visit.
      if (!send && !Object.keys(headers ?? {}).length) {
        addEventListener("pagehide", () => {
          for (const e of read().outbox) if (e.status === "pending" && !unsendable(e.receipt)) navigator.sendBeacon(endpoint, e.receipt);
        });
      }
    },
    pending: () =>
      read().outbox.map((e) => ({ id: e.id, status: e.status, attempts: e.attempts, receipt: JSON.parse(e.receipt), ...(e.reason && { reason: e.reason }) })),
    flush() {
      return new Promise((resolve) => {
        waiters.push(resolve);
        for (const e of read().outbox) delete due[e.id];
        pump();
      });
    },
  };
}
