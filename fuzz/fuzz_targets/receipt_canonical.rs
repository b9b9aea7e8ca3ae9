//! The canonical JSON form receipts are hashed in: it is valid JSON, and
//! canonicalising its parse gives the same bytes (the form is a fixed point).
#![no_main]
use kelisim_core::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(value) = kelisim_fuzz::json(data) else { return };
    let canonical = json::canonical(&value);
    let reparsed: serde_json::Value = serde_json::from_str(&canonical).expect("the canonical form is JSON");
    let again = json::canonical(&kelisim_core::value::Value::from(&reparsed));
    assert_eq!(again, canonical, "canonicalising the canonical form changed it");
});
