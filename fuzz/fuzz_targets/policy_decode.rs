//! The policy document decoder: any JSON decodes or is refused without
//! panicking, and a decoded document survives encode → decode unchanged.
#![no_main]
use kelisim_core::policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(value) = kelisim_fuzz::json(data) else { return };
    if let Ok(doc) = policy::decode(&value) {
        let again = policy::decode(&policy::encode(&doc)).expect("an encoded policy decodes");
        assert_eq!(again, doc, "round trip changed the policy");
    }
});
