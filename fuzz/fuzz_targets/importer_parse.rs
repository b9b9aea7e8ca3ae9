//! The policy importer's parser and whole import: any text, in either language,
//! imports or is refused with notes, without panicking; an imported document
//! passes the format's own decoder.
#![no_main]
use kelisim_core::config::Lang;
use kelisim_core::policy;
use kelisim_policy::{import, parse, ImportOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let lang = if first & 1 == 0 { Lang::Kk } else { Lang::Ru };
    let _ = parse::parse(text, lang, first & 2 == 0);
    let mut opts = ImportOptions::new(lang);
    opts.force = first & 4 == 0;
    if let Ok((doc, _notes)) = import("fuzz.txt", text, &opts) {
        policy::decode(&policy::encode(&doc)).expect("an imported policy is a valid document");
    }
});
