//! The pure core. **Architecture invariant:** nothing under `core` imports
//! `web-sys`, `js-sys`, `wasm-bindgen` or `gloo`, and nothing here reads a clock
//! or a random source: `now` (milliseconds since the Unix epoch, UTC) and fresh
//! identifiers are arguments.

pub mod codec;
pub mod config;
pub mod consent;
pub mod disclosure;
pub mod disclosure_texts;
pub mod ids;
pub mod session;
pub mod texts;
pub mod time;
pub mod value;
pub mod policy;
pub mod policy_view;

pub mod json;
pub mod outbox;
pub mod receipt;

pub mod gate;
