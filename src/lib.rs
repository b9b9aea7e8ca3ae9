//! kelisim: a cookie-consent banner and consent SDK for websites in Kazakhstan.
//!
//! The crate has two halves:
//! - [`core`]: pure consent logic (config, consent rules, 13-month expiry, cookie codec).
//!   It never touches the browser: time and randomness come in as arguments, and
//!   decisions come out as [`core::session::Effect`] values.
//! - `shell` (wasm32 only): turns DOM events into core calls and carries out effects.
#![deny(missing_docs)]
// The wasm build does without std: its panic machinery (message formatting)
// is most of the size it would add (ARCHITECTURE.md: gloo-events, which needs
// std, measured +2.5 KB gzip). Tests and native builds use std.
#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]

extern crate alloc;

/// The pure core, its own crate (`crates/core`): re-exported so the shell says `crate::core`.
pub use kelisim_core as core;

#[cfg(target_arch = "wasm32")]
mod shell;

// A small free-list allocator (it coalesces freed blocks, so memory is reused)
// instead of dlmalloc. The module runs on the page's single thread only.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: wasm32-unknown-unknown without atomics runs on one thread, so the
// allocator is never used concurrently.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// A panic ends the call with a trap (`RuntimeError: unreachable`), as
/// `panic = "abort"` did with std, without formatting a message nobody reads.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo) -> ! {
    ::core::arch::wasm32::unreachable()
}
