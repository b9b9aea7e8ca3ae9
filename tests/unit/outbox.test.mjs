// The receipt delivery's bookkeeping (js/receipts.js) against a naive model,
// over random sequences of decisions, answers (2xx, 4xx, 408/429/5xx, network
// errors), reloads, clock steps and flushes, with the core's real retry rule
// (the built wasm module). It never loses a receipt: each one is, at every
// step, in the outbox, or reported sent, or reported dropped at the bound; the
// chain links every receipt of a subject to the SHA-256 of the one before.
// Runs in Node with fakes for localStorage, fetch, timers and the clock.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { delivery } = await import(path.join(root, "js/receipts.js"));
const core = await import(path.join(root, "dist/kelisim_core.js")).catch(() => {
  throw new Error("dist/kelisim_core.js is missing: run `npm run build` first");
});
core.initSync({ module: readFileSync(path.join(root, "dist/kelisim_core_bg.wasm")) });
const retry = core.receiptRetry;

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fakes for the browser facilities the delivery uses; returns the controls. */
function fakeBrowser() {
  const w = { now: 1_800_000_000_000, timers: [], storage: new Map(), events: [], flights: [], warnings: [], errors: [] };
  storage = w.storage;
  globalThis.localStorage = {
    getItem: (k) => (w.storage.has(k) ? w.storage.get(k) : null),
    setItem: (k, v) => w.storage.set(k, String(v)),
  };
  globalThis.fetch = (url, init) =>
    new Promise((resolve, reject) => w.flights.push({ body: init.body, resolve, reject }));
  globalThis.setTimeout = (fn, ms) => w.timers.push({ fn, at: w.now + ms }) - 1;
  globalThis.clearTimeout = (i) => { if (w.timers[i]) w.timers[i].fn = null; };
  globalThis.dispatchEvent = (e) => w.events.push(e.detail);
  globalThis.addEventListener = () => {};
  Object.defineProperty(globalThis, "navigator", { value: { sendBeacon: () => true }, configurable: true });
  Date.now = () => w.now;
  console.warn = (m) => w.warnings.push(m);
  console.error = (m) => w.errors.push(m);
  return w;
}

/**
 * Lets promises and crypto.subtle (Node hashes on its thread pool) settle:
 * turns of the event loop until nothing waits to be chained or hashed, then a
 * few more. So a reload finds the old page idle, as a real reload leaves it.
 */
let storage;
const settle = async () => {
  for (let i = 0, calm = 0; i < 5000 && calm < 10; i++) {
    await new Promise((r) => setImmediate(r));
    const state = JSON.parse(storage?.get("kelisim.receipts") ?? '{"queue":[]}');
    calm = state.queue.length || state.chain?.text ? 0 : calm + 1;
  }
};

const sha256 = (s) => createHash("sha256").update(s).digest("hex");
const outbox = (w) => JSON.parse(w.storage.get("kelisim.receipts") ?? '{"queue":[],"outbox":[]}');

async function run(seed, steps) {
  const random = rng(seed);
  const pick = (n) => Math.floor(random() * n);
  const w = fakeBrowser();
  const start = () => {
    const d = delivery({ endpoint: "/v1/receipts" }, undefined, retry);
    d.start();
    return d;
  };
  let d = start();
  // The model: entries in order, with their state.
  let model = [];
  const sent = new Set();
  const dropped = new Set();
  const texts = new Map(); // id -> the text every attempt must carry
  let n = 0;
  let subject = "s0";
  const why = (step) => `seed ${seed}, step ${step}`;

  for (let step = 0; step < steps; step++) {
    const op = pick(10);
    const flight = w.flights[0];
    if (op < 3) {
      // A decision: a receipt from the core, for this or (sometimes) a new subject.
      if (pick(12) === 0) subject = `s${n}`;
      const id = `r${n++}`;
      d.intake(`${id}\n${subject}\n{"id":"${id}","kelisim":{"chain":\n},"piiPrincipalId":"${subject}"}`);
      if (model.length >= 100) {
        const at = Math.max(0, model.findIndex((m) => m.failed));
        dropped.add(model.splice(at, 1)[0].id);
      }
      model.push({ id, failed: false, attempts: 0 });
    } else if (op < 7 && flight) {
      // The backend answers the receipt in flight.
      w.flights.shift();
      const receipt = JSON.parse(flight.body);
      const head = model.find((m) => !m.failed && m.id === receipt.id);
      if (!head) {
        // Dropped at the bound while in flight: its answer changes nothing.
        assert.ok(dropped.has(receipt.id), `${why(step)}: ${receipt.id} was sent but is unknown`);
        flight.resolve({ status: 201, headers: { get: () => null } });
        await settle();
        continue;
      }
      assert.equal(head, model.find((m) => !m.failed), `${why(step)}: oldest pending first`);
      if (texts.has(head.id)) assert.equal(flight.body, texts.get(head.id), `${why(step)}: a retry sends the same bytes`);
      texts.set(head.id, flight.body);
      const status = [200, 201, 400, 404, 408, 429, 500, 503, 0][pick(9)];
      if (status === 0) flight.reject(new TypeError("network"));
      else flight.resolve({ status, headers: { get: () => null } });
      if (status >= 200 && status < 300) {
        model = model.filter((m) => m !== head);
        sent.add(head.id);
      } else if (status === 400 || status === 404) {
        head.failed = true;
        head.attempts++;
      } else {
        head.attempts++;
      }
    } else if (op === 7) {
      // A reload: the answer in flight is lost with the page.
      w.flights.length = 0;
      w.timers.length = 0;
      d = start();
    } else if (op === 8) {
      w.now += pick(400_000);
      for (const t of w.timers.splice(0)) if (t.fn && t.at <= w.now) t.fn(); else if (t.fn) w.timers.push(t);
    } else {
      d.flush();
    }
    await settle();

    const state = outbox(w);
    assert.deepEqual(state.queue, [], `${why(step)}: nothing left unchained`);
    assert.deepEqual(
      state.outbox.map((e) => [e.id, e.status === "failed", e.attempts]),
      model.map((m) => [m.id, m.failed, m.attempts]),
      why(step),
    );
    assert.ok(state.outbox.length <= 100);
    const reported = (status) => new Set(w.events.filter((e) => e.status === status).map((e) => e.id));
    assert.deepEqual(reported("sent"), sent, `${why(step)}: sent = reported sent`);
    assert.deepEqual(reported("dropped"), dropped, `${why(step)}: dropped = reported dropped`);
    // Every receipt is in exactly one place.
    const places = [...model.map((m) => m.id), ...sent, ...dropped].sort();
    assert.deepEqual(places, Array.from({ length: n }, (_, i) => `r${i}`).sort(), `${why(step)}: a receipt went missing`);
  }
  // The chain: per subject, seq 1, 2, ... each prev = SHA-256 of the previous text.
  const all = [...texts.values(), ...outbox(w).outbox.map((e) => e.receipt)].map((t) => [t, JSON.parse(t)]);
  const bySubject = new Map();
  for (const [t, r] of all) bySubject.set(r.piiPrincipalId, [...(bySubject.get(r.piiPrincipalId) ?? []), [t, r]]);
  for (const [, list] of bySubject) {
    const bySeq = new Map(list.map(([t, r]) => [r.kelisim.chain.seq, [t, r]]));
    for (const [seq, [, r]] of bySeq) {
      if (seq === 1) assert.equal(r.kelisim.chain.prev, null);
      else if (bySeq.has(seq - 1)) assert.equal(r.kelisim.chain.prev, sha256(bySeq.get(seq - 1)[0]), `seed ${seed}: chain broken at ${seq}`);
    }
  }
  return { n, sent: sent.size, dropped: dropped.size, warnings: w.warnings, errors: w.errors };
}

test("the outbox never loses a receipt and keeps each chain intact (random runs against a naive model)", async () => {
  let totals = { n: 0, sent: 0, dropped: 0 };
  for (let seed = 1; seed <= 40; seed++) {
    const r = await run(seed, 300);
    totals = { n: totals.n + r.n, sent: totals.sent + r.sent, dropped: totals.dropped + r.dropped };
  }
  // The runs covered what they are meant to.
  assert.ok(totals.sent > 100 && totals.n > totals.sent, JSON.stringify(totals));
});

test("at the bound the oldest failed receipt, else the oldest pending one, is dropped, reported and logged", async () => {
  const w = fakeBrowser();
  const d = delivery({ endpoint: "/v1/receipts" }, undefined, retry);
  d.start();
  for (let i = 0; i < 101; i++) d.intake(`r${i}\ns\n{"id":"r${i}","kelisim":{"chain":\n}}`);
  await settle();
  assert.deepEqual(w.events.filter((e) => e.status === "dropped"), [{ id: "r0", status: "dropped" }]);
  assert.ok(w.errors.some((e) => e.includes("dropped receipt r0")), w.errors.join("\n"));
  const ids = outbox(w).outbox.map((e) => e.id);
  assert.equal(ids.length, 100);
  assert.equal(ids[0], "r1");
});

test("a rejected or throwing send, and a false from sendBeacon, wait for the backoff before the next try", async () => {
  const w = fakeBrowser();
  const fire = (ms) => {
    w.now += ms;
    for (const t of w.timers.splice(0)) if (t.fn && t.at <= w.now) t.fn(); else if (t.fn) w.timers.push(t);
  };
  let calls = 0;
  const send = (receipt) => {
    calls++;
    if (calls === 1) return Promise.reject(new Error("busy"));
    if (calls === 2) throw new Error("thrown");
    assert.equal(receipt.id, "r0");
  };
  const d = delivery(undefined, send, retry);
  d.start();
  d.intake('r0\ns\n{"id":"r0","kelisim":{"chain":\n}}');
  await settle();
  assert.equal(calls, 1);
  fire(100);
  await settle();
  assert.equal(calls, 1, "not retried at once (first delay is 0.5 to 1 s)");
  fire(1_000);
  await settle();
  assert.equal(calls, 2);
  fire(2_000);
  await settle();
  assert.equal(calls, 3);
  assert.deepEqual(w.events.map((e) => e.status), ["retrying", "retrying", "sent"]);
  assert.ok(w.events.every((e) => !("httpStatus" in e)), "no HTTP status for a custom send");

  const v = fakeBrowser();
  let beacons = 0;
  Object.defineProperty(globalThis, "navigator", { value: { sendBeacon: () => ++beacons > 1 }, configurable: true });
  const b = delivery({ endpoint: "/v1/receipts", transport: "beacon" }, undefined, retry);
  b.start();
  b.intake('r1\ns\n{"id":"r1","kelisim":{"chain":\n}}');
  await settle();
  assert.equal(beacons, 1);
  v.now += 1_000;
  for (const t of v.timers.splice(0)) if (t.fn && t.at <= v.now) t.fn();
  await settle();
  assert.equal(beacons, 2);
  assert.deepEqual(v.events.map((e) => e.status), ["retrying", "sent"]);
  assert.deepEqual(JSON.parse(v.storage.get("kelisim.receipts")).outbox, []);
});

/** A receipt of about `bytes` bytes (Cyrillic text counts two bytes a letter). */
const sized = (id, bytes) => `${id}\ns\n{"id":"${id}","pad":"${"ж".repeat(Math.ceil(bytes / 2))}","kelisim":{"chain":\n}}`;
const fire = (w, ms) => {
  w.now += ms;
  for (const t of w.timers.splice(0)) if (t.fn && t.at <= w.now) t.fn(); else if (t.fn) w.timers.push(t);
};

test("a receipt over 64 KiB is marked failed with its reason at once and never blocks later ones; flush resolves", async () => {
  for (const transport of ["fetch", "beacon"]) {
    const w = fakeBrowser();
    const beacons = [];
    Object.defineProperty(globalThis, "navigator", { value: { sendBeacon: (u, body) => beacons.push(body) > 0 }, configurable: true });
    const d = delivery({ endpoint: "/v1/receipts", transport }, undefined, retry);
    d.start();
    d.intake(sized("big", 70_000));
    d.intake(sized("small", 100));
    let flushed = false;
    d.flush().then(() => (flushed = true));
    await settle();
    const sentBodies = transport === "fetch" ? w.flights.map((f) => JSON.parse(f.body).id) : beacons.map((b) => JSON.parse(b).id);
    assert.deepEqual(sentBodies, ["small"], `${transport}: the big one is never attempted, the next one goes at once`);
    w.flights.forEach((f) => f.resolve({ status: 201, headers: { get: () => null } }));
    await settle();
    const failed = w.events.find((e) => e.id === "big");
    assert.equal(failed.status, "failed");
    assert.match(failed.reason, /^too large: \d+ bytes, over the 65536-byte limit of a (keepalive fetch|sendBeacon)$/);
    assert.ok(!("httpStatus" in failed));
    assert.ok(w.warnings.some((m) => m.includes("receipt big cannot be sent (too large")), w.warnings.join("\n"));
    assert.deepEqual(d.pending().map((e) => [e.id, e.status, e.reason?.slice(0, 9)]), [["big", "failed", "too large"]]);
    assert.ok(w.events.some((e) => e.id === "small" && e.status === "sent"));
    assert.ok(flushed, `${transport}: flush() resolved`);
  }
  // Exactly at the limit is sent; one byte over is not.
  const w = fakeBrowser();
  const d = delivery({ endpoint: "/v1/receipts" }, undefined, retry);
  d.start();
  const exact = (id, n) => {
    const head = `{"id":"${id}","pad":"`;
    const tail = `","kelisim":{"chain":{"prev":null,"seq":1}}}`;
    return `${id}\n${id}\n${head}${"x".repeat(n - head.length - tail.length)}","kelisim":{"chain":\n}}`;
  };
  d.intake(exact("at", 65_536));
  await settle();
  assert.equal(w.flights.length, 1);
  assert.equal(new TextEncoder().encode(w.flights[0].body).length, 65_536);
  w.flights[0].resolve({ status: 201, headers: { get: () => null } });
  d.intake(exact("over", 65_537));
  await settle();
  assert.equal(w.events.at(-1).status, "failed");
  assert.equal(w.events.at(-1).id, "over");
});

test("a request the browser refuses to make is failed with the reason; a network failure is retried", async () => {
  const w = fakeBrowser();
  const d = delivery({ endpoint: "/v1/receipts", headers: { "X-Key": "a\nb" } }, undefined, retry);
  d.start();
  d.intake(sized("r0", 10));
  d.intake(sized("r1", 10));
  await settle();
  w.flights.shift().reject(new TypeError("Failed to execute 'fetch' on 'Window': Invalid value"));
  await settle();
  assert.deepEqual(w.events[0], { id: "r0", status: "failed", reason: "the browser refused the request: Failed to execute 'fetch' on 'Window': Invalid value" });
  // The next one goes at once; a network failure is "retrying".
  assert.equal(JSON.parse(w.flights[0].body).id, "r1");
  w.flights.shift().reject(new TypeError("Failed to fetch"));
  await settle();
  assert.deepEqual(w.events[1], { id: "r1", status: "retrying" });
  assert.deepEqual(d.pending().map((e) => [e.id, e.status, e.attempts]), [["r0", "failed", 1], ["r1", "pending", 1]]);
});

test("flush() resolves while the endpoint is down, and when a custom send never settles", async () => {
  const w = fakeBrowser();
  const d = delivery({ endpoint: "/v1/receipts" }, undefined, retry);
  d.start();
  d.intake(sized("r0", 10));
  d.intake(sized("r1", 10));
  await settle();
  let flushed = 0;
  d.flush().then(() => flushed++);
  await settle();
  // The attempt in flight (from intake) answers 503: the oldest must wait its backoff.
  w.flights.shift().resolve({ status: 503, headers: { get: () => null } });
  await settle();
  assert.equal(flushed, 1, "resolved: nothing can be tried before the next retry");
  assert.deepEqual(d.pending().map((e) => e.status), ["pending", "pending"]);
  // A second flush tries again at once, and resolves again.
  d.flush().then(() => flushed++);
  await settle();
  assert.equal(w.flights.length, 1);
  w.flights.shift().reject(new TypeError("Failed to fetch"));
  await settle();
  assert.equal(flushed, 2);

  const v = fakeBrowser();
  const never = delivery(undefined, () => new Promise(() => {}), retry);
  never.start();
  never.intake(sized("r2", 10));
  let done = false;
  never.flush().then(() => (done = true));
  await settle();
  assert.equal(done, false);
  fire(v, 10_000);
  await settle();
  assert.equal(done, true, "a send that never settles counts as no answer after 10 s");
  assert.deepEqual(v.events, [{ id: "r2", status: "retrying" }]);
});
