//! Reads the consent cookie when the browser may send several of its name
//! (the rule is the core's: [`crate::core::cookies`]).

use alloc::string::String;
use wasm_bindgen::JsCast;

use super::js::{self, HtmlDocument};
use super::{dom, warn};
use crate::core::config::Config;
use crate::core::cookies;

fn jar(doc: &HtmlDocument) -> String {
    doc.cookie().unwrap_or_default()
}

/// The consent cookie's value for the session to read. With several values,
/// removes the copies at other paths and domains, writes the latest decision
/// back at the configured place, and reads again; when a copy remains, the
/// state is unknown and nothing is read.
pub fn read(config: &Config, now: i64) -> Option<String> {
    let doc = dom::document()?.dyn_into::<HtmlDocument>().ok()?;
    let name = &config.cookie.name;
    let all = jar(&doc);
    let values = cookies::values(&all, name);
    let location = js::location()?;
    let (host, page) = (location.hostname().unwrap_or_default(), location.pathname().unwrap_or_default());
    let Some(cleanup) = cookies::several(config, &values, now, &host, &page) else {
        return values.first().map(|v| String::from(*v));
    };
    for line in &cleanup.delete {
        let _ = doc.set_cookie(line);
    }
    if let Some((value, max_age)) = &cleanup.write {
        dom::write_cookie(&config.cookie, value, *max_age);
    }
    let after = jar(&doc);
    match cookies::settled(&cookies::values(&after, name), cleanup.write.as_ref().map(|(v, _)| v.as_str())) {
        Ok(v) => Some(v.into()),
        Err(why) => {
            warn(why.text());
            None
        }
    }
}
