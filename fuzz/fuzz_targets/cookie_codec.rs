//! The consent cookie codec: any text decodes without panicking, and whatever
//! decodes re-encodes to a value that decodes to the same consent.
#![no_main]
use kelisim_core::codec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(consent) = codec::decode(text) {
        let again = codec::encode(&consent);
        let back = codec::decode(&again).expect("an encoded consent decodes");
        assert_eq!(back, consent, "round trip changed the consent");
    }
});
