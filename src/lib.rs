//! kelisim: a cookie-consent banner and consent SDK for websites in Kazakhstan.
//!
//! The crate has two halves:
//! - [`core`]: pure consent logic (config, consent rules, 13-month expiry, cookie codec).
//!   It never touches the browser: time and randomness come in as arguments, and
//!   decisions come out as [`core::session::Effect`] values.
//! - `shell` (wasm32 only): turns DOM events into core calls and carries out effects.
#![deny(missing_docs)]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod shell;
