//! Consent receipts in the browser. The core builds each receipt
//! ([`receipt::build`]), seals it into the subject's hash chain
//! ([`receipt::seal`]) and decides retries ([`Outbox`]); this module supplies
//! what only the browser has: the clock, random ids, SHA-256
//! (`crypto.subtle.digest`), the absolute policy URL (`URL`), localStorage,
//! `fetch`/`sendBeacon` or the page's `send`, and one owned timer.
//!
//! Storage is read before and written after every change, so tabs of one
//! site share one outbox and one chain (two tabs may both send a receipt:
//! backends are idempotent by `consentReceiptID`). When localStorage throws
//! or is full, the outbox lives in memory for the page's lifetime.
//!
//! Receipts are sealed in order: while the previous receipt's hash is being
//! computed, the next waits in `waiting`; the chain state keeps the previous
//! receipt's text until its hash is known, so a page closed in between loses
//! nothing.

use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::{Array, Object};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::{cat, convert, dispatch, dom, js, warn, Error, Shared};
use crate::core::config::{Config, Transport};
use crate::core::json;
use crate::core::outbox::{self, Attempt, Outbox, Report};
use crate::core::receipt::{self, Chain, Event, Facts, Last};
use crate::core::value::{Path, Value};

const OUTBOX_KEY: &str = "kelisim.outbox";
const CHAIN_KEY: &str = "kelisim.chain";
/// A fetch that has not answered in this time counts as a network error.
const TIMEOUT_MS: u32 = 10_000;

/// Where receipts go.
pub enum Target {
    /// `receipts.endpoint` by `fetch` (with `headers`) or, when `beacon`, by `sendBeacon`.
    Post { endpoint: String, headers: Vec<(String, String)>, beacon: bool },
    /// The page's `send(receipt)`.
    Custom(js::Func),
}

/// Decides the target from the config and `start`'s `send` option; no
/// target means no receipts.
pub fn target(config: &Config, send: &JsValue) -> Result<Option<Target>, Error> {
    let send = match send {
        v if v.is_undefined() || v.is_null() => None,
        v if v.is_function() => Some(v.clone().unchecked_into::<js::Func>()),
        _ => return Err(Error::Argument("start: options.send: expected a function".into())),
    };
    let target = match (&config.receipts, send) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(Error::Argument("start: give the config's receipts section or options.send, not both".into()))
        }
        (Some(r), None) => Target::Post {
            endpoint: r.endpoint.clone(),
            headers: r.headers.clone(),
            beacon: r.transport == Transport::Beacon,
        },
        (None, Some(f)) => Target::Custom(f),
    };
    receipt::check(config).map_err(Error::Config)?;
    Ok(Some(target))
}

/// Receipt delivery for one page.
pub struct Delivery {
    target: Target,
    /// The outbox as last read from (or, without storage, kept instead of) localStorage.
    outbox: Outbox,
    chain: Option<Chain>,
    /// Whether localStorage works.
    storage: bool,
    /// Built receipts waiting for the previous receipt's hash.
    waiting: Vec<Value>,
    /// The chain link being hashed: (subject, seq).
    hashing: Option<(String, u64)>,
    /// The receipt being sent (one at a time, oldest first).
    in_flight: Option<String>,
    timer: Option<dom::Timer>,
    /// `resolve` functions of `flush()` promises.
    waiters: Vec<js::Func>,
    on_result: Closure<dyn FnMut(JsValue, JsValue, JsValue)>,
    on_hash: Closure<dyn FnMut(JsValue)>,
    on_timer: Closure<dyn FnMut()>,
    _pagehide: Option<dom::Listener>,
}

/// Shared by the instance and the callbacks (which hold a `Weak`).
pub type Handle = Rc<RefCell<Delivery>>;

/// Starts delivery: reads what an earlier page left (and sends it), and
/// flushes by beacon on `pagehide`. `None`, with a console error, where the
/// browser has no `crypto.subtle` (pages that are not https or localhost):
/// receipts need SHA-256 and must not travel in the clear.
pub fn start(target: Target) -> Option<Handle> {
    if js::digest("SHA-256", &[]).is_err() {
        js::error(&JsValue::from_str(
            "kelisim: consent receipts are off: this page has no crypto.subtle (serve it over https)",
        ));
        return None;
    }
    let handle = Rc::new_cyclic(|weak: &Weak<RefCell<Delivery>>| {
        let (a, b, c) = (weak.clone(), weak.clone(), weak.clone());
        RefCell::new(Delivery {
            target,
            outbox: Outbox::default(),
            chain: None,
            storage: true,
            waiting: Vec::new(),
            hashing: None,
            in_flight: None,
            timer: None,
            waiters: Vec::new(),
            on_result: Closure::new(move |id: JsValue, ok: JsValue, value: JsValue| on_result(&a, id, ok, value)),
            on_hash: Closure::new(move |value: JsValue| on_hash(&b, value)),
            on_timer: Closure::new(move || {
                if let Some(h) = c.upgrade() {
                    pump(&h);
                }
            }),
            _pagehide: None,
        })
    });
    {
        let mut d = handle.borrow_mut();
        if dom::storage().is_none() {
            d.storage_failed();
        }
        if let Some(w) = js::Global::window() {
            let weak = Rc::downgrade(&handle);
            let on_hide = Closure::new(move |_: &js::Event| on_pagehide(&weak));
            d._pagehide = Some(dom::listen(&w, "pagehide", dom::PASSIVE, on_hide));
        }
        d.load();
        d.hash_last();
    }
    pump(&handle);
    Some(handle)
}

fn read(key: &str) -> Option<Value> {
    let text = dom::storage()?.get_item(key).ok()??;
    let v = js_sys::JSON::parse(&text).ok()?;
    convert::to_value(&v, &Path::Root, 0).ok()
}

fn random() -> u32 {
    dom::random16().map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl Delivery {
    fn storage_failed(&mut self) {
        self.storage = false;
        warn("localStorage is unavailable or full: consent receipts are sent while this page is open but cannot survive a reload");
    }

    /// Reads the outbox and the chain from storage (keeping the retry times
    /// this page knows).
    fn load(&mut self) {
        if !self.storage {
            return;
        }
        let now = dom::now();
        let (mut fresh, _) = read(OUTBOX_KEY).map_or_else(Default::default, |v| Outbox::from_value(&v, now));
        for e in &mut fresh.entries {
            if let Some(mine) = self.outbox.entries.iter().find(|m| m.id == e.id) {
                e.due = mine.due;
            }
        }
        self.outbox = fresh;
        self.chain = read(CHAIN_KEY).as_ref().and_then(Chain::from_value);
    }

    fn save(&mut self) {
        if !self.storage {
            return;
        }
        let saved = dom::storage().is_some_and(|s| {
            s.set_item(OUTBOX_KEY, &json::canonical(&self.outbox.to_value())).is_ok()
                && self.chain.as_ref().is_none_or(|c| s.set_item(CHAIN_KEY, &json::canonical(&c.to_value())).is_ok())
        });
        if !saved {
            self.storage_failed();
        }
    }

    /// Seals waiting receipts into the chain and the outbox, as far as known
    /// hashes allow.
    fn seal_waiting(&mut self, reports: &mut Vec<Report>) {
        while !self.waiting.is_empty() {
            self.load();
            let subject = String::from(self.waiting.first().map_or("", receipt::subject));
            let Some((seq, prev)) = Chain::next(self.chain.as_ref(), &subject).map(|(s, p)| (s, p.map(String::from))) else {
                self.hash_last();
                return;
            };
            let mut r = core::mem::replace(&mut self.waiting[0], Value::Null);
            self.waiting.retain(|w| !w.is_null());
            let text = receipt::seal(&mut r, seq, prev.as_deref());
            let id = match r.get("consentReceiptID") {
                Some(Value::Str(id)) => id.clone(),
                _ => String::new(),
            };
            reports.extend(self.outbox.push(id, text.clone(), dom::now()));
            self.chain = Some(Chain { subject, seq, last: Last::Text(text) });
            self.save();
            self.hash_last();
        }
    }

    /// Starts hashing the chain's last receipt, unless that is under way or done.
    fn hash_last(&mut self) {
        if self.hashing.is_some() {
            return;
        }
        let Some(Chain { subject, seq, last: Last::Text(text) }) = &self.chain else { return };
        match js::digest("SHA-256", text.as_bytes()) {
            Ok(p) => {
                p.then(self.on_hash.as_ref(), self.on_hash.as_ref());
                self.hashing = Some((subject.clone(), *seq));
            }
            Err(e) => js::error(&e),
        }
    }

    /// Starts sending `text`; the result comes synchronously (beacon) or
    /// through `on_result`.
    fn attempt(&self, id: &str, text: &str) -> Option<Attempt> {
        let p = match &self.target {
            Target::Post { endpoint, beacon: true, .. } => {
                return Some(match js::Navigator::send_beacon(endpoint, text) {
                    Ok(true) => Attempt::Sent,
                    Ok(false) => Attempt::Retry { status: 0, retry_after: None },
                    Err(_) => Attempt::Refused(0),
                })
            }
            Target::Post { endpoint, headers, .. } => {
                let h = Object::new();
                dom::set(&h, "Content-Type", &"application/json".into());
                for (k, v) in headers {
                    dom::set(&h, k, &v.as_str().into());
                }
                let init = Object::new();
                dom::set(&init, "method", &"POST".into());
                dom::set(&init, "headers", &h);
                dom::set(&init, "body", &text.into());
                dom::set(&init, "keepalive", &JsValue::TRUE);
                dom::set(&init, "signal", &js::abort_after(TIMEOUT_MS));
                js::fetch(endpoint, &init)
            }
            Target::Custom(send) => {
                let receipt = js_sys::JSON::parse(text).unwrap_or(JsValue::NULL);
                match send.call1(&JsValue::NULL, &receipt) {
                    Ok(v) => js::Thenable::resolve(&v),
                    Err(e) => js::Thenable::reject(&e),
                }
            }
        };
        let f: &js::Func = self.on_result.as_ref().unchecked_ref();
        let id = JsValue::from_str(id);
        p.then(&f.bind2(&JsValue::NULL, &id, &JsValue::TRUE), &f.bind2(&JsValue::NULL, &id, &JsValue::FALSE));
        None
    }
}

/// Sends what is due, one receipt at a time; sets the timer for the rest;
/// resolves `flush()` once nothing is left to try.
fn pump(h: &Handle) {
    let mut reports = Vec::new();
    let mut done = Vec::new();
    {
        let mut d = h.borrow_mut();
        while d.in_flight.is_none() {
            d.load();
            let now = dom::now();
            let Some(entry) = d.outbox.next(now) else {
                let timer = d.outbox.wake_at().map(|at| dom::Timer::new(&d.on_timer, at - now));
                d.timer = timer;
                if d.waiting.is_empty() && d.outbox.settled() {
                    done = core::mem::take(&mut d.waiters);
                }
                break;
            };
            let (id, text) = (entry.id.clone(), entry.text.clone());
            match d.attempt(&id, &text) {
                Some(attempt) => {
                    reports.extend(d.outbox.record(&id, attempt, now, random()));
                    d.save();
                }
                None => d.in_flight = Some(id),
            }
        }
    }
    emit(reports);
    for resolve in done {
        let _ = resolve.call1(&JsValue::NULL, &JsValue::UNDEFINED);
    }
}

fn on_result(weak: &Weak<RefCell<Delivery>>, id: JsValue, ok: JsValue, value: JsValue) {
    let Some(h) = weak.upgrade() else { return };
    let mut reports = Vec::new();
    {
        let mut d = h.borrow_mut();
        let id = id.as_string().unwrap_or_default();
        if d.in_flight.as_deref() == Some(id.as_str()) {
            d.in_flight = None;
        }
        let attempt = match (&d.target, ok.is_truthy()) {
            (_, false) => Attempt::Retry { status: 0, retry_after: None },
            (Target::Custom(_), true) => Attempt::Sent,
            (Target::Post { .. }, true) => {
                let r: js::Response = value.unchecked_into();
                let after = r.headers().get("Retry-After").and_then(|s| outbox::retry_after(&s));
                Attempt::from_status(r.status(), after)
            }
        };
        d.load();
        reports.extend(d.outbox.record(&id, attempt, dom::now(), random()));
        d.save();
    }
    emit(reports);
    pump(&h);
}

fn on_hash(weak: &Weak<RefCell<Delivery>>, value: JsValue) {
    let Some(h) = weak.upgrade() else { return };
    let mut reports = Vec::new();
    {
        let mut d = h.borrow_mut();
        let Some((subject, seq)) = d.hashing.take() else { return };
        let bytes = js_sys::Uint8Array::new(&value).to_vec();
        if bytes.len() != 32 {
            // Left pending: the next receipt or page load hashes again.
            js::error(&value);
            return;
        }
        d.load();
        if let Some(c) = d.chain.as_mut().filter(|c| c.subject == subject && c.seq == seq) {
            if matches!(c.last, Last::Text(_)) {
                c.last = Last::Hash(receipt::hex(&bytes));
            }
        }
        d.save();
        d.seal_waiting(&mut reports);
    }
    emit(reports);
    pump(&h);
}

/// On `pagehide`, posts every pending receipt by beacon (kept until a later
/// attempt is answered with a 2xx). Not for a custom `send`, nor for `fetch`
/// with headers, which a beacon cannot carry: those wait for the next visit.
fn on_pagehide(weak: &Weak<RefCell<Delivery>>) {
    let Some(h) = weak.upgrade() else { return };
    let mut d = h.borrow_mut();
    d.load();
    if let Target::Post { endpoint, headers, .. } = &d.target {
        if headers.is_empty() {
            for e in d.outbox.entries.iter().filter(|e| e.status == outbox::Status::Pending) {
                let _ = js::Navigator::send_beacon(endpoint, &e.text);
            }
        }
    }
}

/// Dispatches `kelisim:receipt` for each report; a refusal is also a console
/// warning and a drop a console error, both naming the receipt.
fn emit(reports: Vec<Report>) {
    for r in reports {
        let (id, status, http) = match &r {
            Report::Sent(id) => (id, "sent", 0),
            Report::Retrying(id, s) => (id, "retrying", *s),
            Report::Failed(id, s) => (id, "failed", *s),
            Report::Dropped(id) => (id, "dropped", 0),
        };
        if let Report::Failed(..) = r {
            warn(&cat(&["the receipt endpoint refused receipt ", id, " for good; it is kept (pendingReceipts()) and not sent again"]));
        }
        if let Report::Dropped(..) = r {
            js::error(&JsValue::from_str(&cat(&["kelisim: the receipt outbox is full; dropped receipt ", id, " unsent"])));
        }
        let detail = Object::new();
        dom::set(&detail, "id", &id.as_str().into());
        dom::set(&detail, "status", &status.into());
        if http != 0 {
            dom::set(&detail, "httpStatus", &JsValue::from_f64(http as f64));
        }
        dispatch("kelisim:receipt", &detail);
    }
}

/// Builds a receipt for the current consent and queues it. Nothing happens
/// without receipts configured or without a valid consent (a receipt names
/// its subject). For decisions `method` is the button or call; disclosures
/// pass `disclosure: link` or `disclosure: oauth`.
pub(crate) fn record(state: &Shared, event: &Event, method: &str) {
    let built = {
        let st = state.borrow();
        let (Some(h), Some(consent)) = (st.receipts.clone(), st.session.consent()) else { return };
        let (config, lang) = (st.session.config(), st.session.language());
        let Ok(id) = super::fresh_uuid() else { return };
        let url = config.policy.url.get(lang);
        let base = dom::document().map(|d| d.base_uri()).unwrap_or_default();
        let policy_url = js::Url::new(url, &base).map_or_else(|_| url.into(), |u| u.href());
        let now = if let Event::Disclosure { .. } = event { dom::now() } else { consent.given_at };
        let facts = Facts { id: &id, now, method, language: lang, policy_url: &policy_url };
        (h, receipt::build(config, consent, &facts, event))
    };
    let (h, r) = built;
    let mut reports = Vec::new();
    {
        let mut d = h.borrow_mut();
        d.waiting.push(r);
        d.seal_waiting(&mut reports);
    }
    emit(reports);
    pump(&h);
}

/// `pendingReceipts()`: `[{id, status, attempts, receipt}]`.
pub fn pending(h: Option<&Handle>) -> JsValue {
    let out = Array::new();
    if let Some(h) = h {
        let mut d = h.borrow_mut();
        d.load();
        for e in &d.outbox.entries {
            let o = Object::new();
            dom::set(&o, "id", &e.id.as_str().into());
            dom::set(&o, "status", &e.status.as_str().into());
            dom::set(&o, "attempts", &JsValue::from_f64(e.attempts as f64));
            dom::set(&o, "receipt", &js_sys::JSON::parse(&e.text).unwrap_or(JsValue::NULL));
            out.push(&o);
        }
    }
    out.into()
}

/// `flush()`: tries every pending receipt now; the promise resolves once the
/// outbox is empty or holds only receipts refused for good.
pub fn flush(h: Option<&Handle>) -> JsValue {
    let Some(h) = h else { return js::Thenable::resolve(&JsValue::UNDEFINED).into() };
    let mut resolve = None;
    let promise = js_sys::Promise::new(&mut |ok, _| resolve = Some(ok));
    {
        let mut d = h.borrow_mut();
        d.waiters.extend(resolve.map(|f| f.unchecked_into::<js::Func>()));
        d.load();
        d.outbox.hurry(dom::now());
        d.timer = None;
    }
    pump(h);
    promise.into()
}
