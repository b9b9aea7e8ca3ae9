//! The config decoder: any JSON decodes to a config or to an error naming a
//! field, without panicking; an accepted config also passes the receipt check.
#![no_main]
use kelisim_core::{config, receipt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(value) = kelisim_fuzz::json(data) else { return };
    match config::decode(&value) {
        Ok(cfg) => {
            let _ = receipt::check(&cfg);
        }
        Err(e) => {
            assert!(!e.to_string().is_empty(), "an error says what is wrong");
        }
    }
});
