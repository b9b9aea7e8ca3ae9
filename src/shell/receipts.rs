//! Consent receipts in the browser: on each decision (and, later, each
//! third-party disclosure) the core builds the receipt in canonical form
//! ([`receipt::build`]) and this module hands it to the delivery in
//! `kelisim.js`/`receipts.js` (hash chain through `crypto.subtle`, the outbox
//! in localStorage, fetch, beacon or the page's `send`, retries).
//!
//! The delivery's I/O is JavaScript because it is mostly promises, timers
//! and storage calls: written in Rust it cost about 9 KB gzip of wasm, as
//! JavaScript about 1.5 KB. The rules it applies (what is retried, the
//! backoff) come from the core through [`receipt_retry`].

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{cat, dom, js, Error, Shared};
use crate::core::config::Config;
use crate::core::outbox;
use crate::core::receipt::{self, Event, Facts};

/// The delivery's intake from `start`, when the page wants receipts; then the
/// config must be able to fill one.
pub fn intake(config: &Config, sink: &JsValue) -> Result<Option<js::Function>, Error> {
    if !sink.is_function() {
        return Ok(None);
    }
    receipt::check(config).map_err(Error::Config)?;
    Ok(Some(sink.clone().unchecked_into()))
}

/// Builds a receipt for the current consent and hands it to the delivery as
/// `id \n subject \n head \n tail` (canonical JSON never holds a raw line
/// break; the delivery puts the chain link between head and tail). Nothing
/// happens without receipts on or without a valid consent (a receipt names
/// its subject). For decisions `method` is the button or call; disclosures
/// pass `disclosure: link` or `disclosure: oauth`.
pub(crate) fn record(state: &Shared, event: &Event, method: &str) {
    let (sink, text) = {
        let st = state.borrow();
        let (Some(sink), Some(consent)) = (st.receipts.clone(), st.session.consent()) else { return };
        let (config, lang) = (st.session.config(), st.session.language());
        let Ok(id) = super::fresh_uuid() else { return };
        let url = config.policy.url.get(lang);
        let base = dom::document().and_then(|d| d.base_uri().ok().flatten()).unwrap_or_default();
        let policy_url = js::Url::new_with_base(url, &base).map_or_else(|_| url.into(), |u| u.href());
        let now = if let Event::Disclosure { .. } = event { dom::now() } else { consent.given_at };
        let facts = Facts { id: &id, now, method, language: lang, policy_url: &policy_url };
        let r = receipt::build(config, consent, &facts, event);
        (sink, cat(&[&r.id, "\n", &r.subject, "\n", &r.head, "\n", &r.tail]))
    };
    if let Err(e) = sink.call1(&JsValue::NULL, &text.into()) {
        js::error(&e);
    }
}

/// What the delivery does after an answer with HTTP `status` (0: none)
/// following `attempts` failed tries: `0` delivered, `-1` refused for good,
/// otherwise the delay in ms before the next try ([`outbox::retry`]).
#[wasm_bindgen(js_name = receiptRetry)]
pub fn receipt_retry(status: u16, attempts: u32, random: u32) -> f64 {
    outbox::retry(status, attempts, random)
}
