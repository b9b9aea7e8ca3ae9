//! kelisim-core: the pure consent core shared by the browser modules, the receipt
//! collector and the command-line tools.
//!
//! **Architecture invariant:** this crate depends on nothing that touches a browser
//! (`web-sys`, `js-sys`, `wasm-bindgen`, `gloo` are not in its `Cargo.toml`, so Cargo
//! enforces it), and nothing here reads a clock or a random source: `now`
//! (milliseconds since the Unix epoch, UTC) and fresh identifiers are arguments.
//! Consent decisions come out as [`session::Effect`] values for a shell to carry out.
#![deny(missing_docs)]
// No std: the wasm shells do without it (its panic machinery is most of what it
// would add). Native tests use std.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod codec;
pub mod config;
pub mod consent;
pub mod cookies;
pub mod disclosure;
pub mod disclosure_texts;
pub mod ids;
pub mod session;
pub mod texts;
pub mod time;
pub mod value;
pub mod policy;
pub mod policy_view;
pub mod read;

pub mod json;
pub mod outbox;
pub mod receipt;

pub mod gate;
