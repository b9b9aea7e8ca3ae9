//! kelisim-check: every problem of a site config at once, in the SDK
//! decoder's own words.
//!
//! The core's [`config::decode`](kelisim_core::config::decode) stops at the
//! first problem (it is built small for the banner's module). [`config`] runs that same decoder
//! again and again: after each problem the offending field is set aside (a
//! required field gets a valid stand-in, a bad or duplicate `id` a fresh one,
//! a bad list item a valid one, an optional field is removed) and it decodes
//! once more, so the next problem shows. There is no second set of rules: a
//! config has no problems here exactly when `decode` (and, with a `receipts`
//! section, [`receipt::check`](kelisim_core::receipt::check)) accepts it.
//!
//! A crate of its own, not a module of the core, so the core the banner's
//! module is built from stays byte for byte the same (a second caller of
//! `decode` inside the core changes how it is inlined there). The
//! configurator page (through `kelisim/server`'s module) and
//! `kelisim check-config` use it.
#![deny(missing_docs)]
#![cfg_attr(not(test), no_std)]

extern crate alloc;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use kelisim_core::config::{self as cfg, FieldError};
use kelisim_core::receipt;
use kelisim_core::value::{push_int, Value};

/// At most this many decodes (each finds one problem).
const MAX_ROUNDS: usize = 256;

/// One segment of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// An object member.
    Key(String),
    /// An array item.
    Index(usize),
}

/// The segments of a path the decoder wrote (`categories[2].title.kk`).
/// Keys holding `.` or `[` (header names) are read as far as they can be.
pub fn segments(path: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            segs.push(Seg::Key(key.to_string()));
        }
        while let Some(end) = rest.find(']') {
            match rest[1..end].parse() {
                Ok(i) => segs.push(Seg::Index(i)),
                Err(_) => return segs,
            }
            rest = &rest[end + 1..];
        }
    }
    segs
}

fn text(s: &str) -> Value {
    Value::obj([("kk", Value::str(s)), ("ru", Value::str(s))])
}

fn fresh_id(n: usize) -> Value {
    let mut s = String::from("check-");
    push_int(&mut s, n as i64);
    Value::Str(s)
}

/// The last key of `segs` before its end (`cookies` for `categories[0].cookies[2]`).
fn parent_key(segs: &[Seg]) -> &str {
    match segs.iter().rev().nth(1) {
        Some(Seg::Key(k)) => k,
        _ => "",
    }
}

/// A valid stand-in for the field at `segs` (its last segment `last`), so the
/// decoder can go on to the next problem. None for a member that may simply
/// be left out.
fn stand_in(segs: &[Seg], n: usize) -> Option<Value> {
    let top = match segs.first() {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };
    let key = match segs.last()? {
        Seg::Key(k) => k.as_str(),
        // A list item: a valid one of its list.
        Seg::Index(_) => {
            return Some(match parent_key(segs) {
                "cookies" | "storage" | "regions" => Value::str("x"),
                "cookiePaths" => Value::str("/"),
                "domains" => Value::str("example.invalid"),
                "data" => text("x"),
                _ => return None,
            })
        }
    };
    Some(match key {
        "id" => fresh_id(n),
        "kk" | "ru" if top == "policy" => Value::str("/"),
        "kk" | "ru" => Value::str("x"),
        "bin" => Value::str("000000000000"),
        "country" => Value::str("KZ"),
        "policyUrl" => Value::str("https://example.invalid/"),
        "endpoint" => Value::str("/"),
        "version" => Value::str("x"),
        "revision" => Value::Num(0.0),
        "url" if top == "policy" => text("/"),
        "name" | "title" | "description" | "collects" | "purpose" | "receives"
            if segs.len() > 1 =>
        {
            text("x")
        }
        "domains" => Value::Arr(alloc::vec![Value::str("example.invalid")]),
        "controller" => Value::obj([("name", text("x")), ("bin", Value::str("000000000000"))]),
        "policy" => Value::obj([
            ("version", Value::str("x")),
            ("revision", Value::Num(0.0)),
            ("url", text("/")),
        ]),
        "categories" => Value::Arr(alloc::vec![Value::obj([
            ("id", fresh_id(n)),
            ("title", text("x")),
            ("description", text("x"))
        ])]),
        _ => return None,
    })
}

/// Sets aside the field at `segs` so the decoder can go on: a required field
/// or a list item gets a valid stand-in, any other member is removed. False
/// when nothing can be done (the root, an item of a list with no stand-in).
pub fn set_aside(v: &mut Value, segs: &[Seg], n: usize) -> bool {
    let Some((last, parents)) = segs.split_last() else {
        return false;
    };
    let mut cur = v;
    for s in parents {
        cur = match (s, cur) {
            (Seg::Key(k), Value::Obj(pairs)) => match pairs.iter_mut().find(|(x, _)| x == k) {
                Some((_, v)) => v,
                None => return false,
            },
            (Seg::Index(i), Value::Arr(items)) => match items.get_mut(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, cur) {
        (Seg::Index(i), Value::Arr(items)) => match (stand_in(segs, n), items.get_mut(*i)) {
            (Some(s), Some(item)) => {
                *item = s;
                true
            }
            _ => false,
        },
        (Seg::Key(k), Value::Obj(pairs)) => {
            let at = pairs.iter().position(|(x, _)| x == k);
            match (stand_in(segs, n), at) {
                (Some(v), Some(i)) => pairs[i].1 = v,
                (Some(v), None) => pairs.push((k.clone(), v)),
                (None, Some(i)) => {
                    pairs.remove(i);
                }
                (None, None) => return false,
            }
            true
        }
        _ => false,
    }
}

/// The next problem of `v` as the SDK sees it: the decoder's, then (when
/// the config has a `receipts` section) the receipt checks'.
fn first_problem(v: &Value) -> Option<FieldError> {
    match cfg::decode(v) {
        Err(e) => Some(e),
        Ok(c) if c.receipts.is_some() => receipt::check(&c).err(),
        Ok(_) => None,
    }
}

/// Every problem of the config `v`, in the order the decoder meets them
/// (empty exactly when the SDK accepts it). Each comes with its field path,
/// as `start()` would report it.
pub fn config(v: &Value) -> Vec<FieldError> {
    let mut work = v.clone();
    let mut out: Vec<FieldError> = Vec::new();
    for n in 0..MAX_ROUNDS {
        let Some(e) = first_problem(&work) else { break };
        let segs = segments(&e.path);
        let again = out.iter().any(|seen| seen.path == e.path);
        if !again {
            out.push(e);
        }
        // The same field twice (its stand-in did not help) or nothing to set aside: stop.
        if again || !set_aside(&mut work, &segs, n) {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(kk: &str, ru: &str) -> Value {
        Value::obj([("kk", Value::str(kk)), ("ru", Value::str(ru))])
    }

    /// A small valid config (the core's test sample).
    fn sample() -> Value {
        let svc = |id: &str| {
            Value::obj([
                ("id", Value::str(id)),
                ("title", t("Атауы", "Название")),
                ("description", t("Сипаттама", "Описание")),
                ("cookies", Value::Arr(vec![Value::str("_x")])),
            ])
        };
        let cat = |id: &str, required: bool, services: Vec<Value>| {
            Value::obj([
                ("id", Value::str(id)),
                ("required", Value::Bool(required)),
                ("title", t("Санат", "Категория")),
                ("description", t("Сипаттама", "Описание")),
                ("services", Value::Arr(services)),
            ])
        };
        Value::obj([
            (
                "controller",
                Value::obj([
                    ("name", t("«Сапар» ЖШС", "ТОО «Сапар»")),
                    ("bin", Value::str("123456789012")),
                ]),
            ),
            (
                "policy",
                Value::obj([
                    ("version", Value::str("1.0")),
                    ("revision", Value::Num(1.0)),
                    ("url", t("/privacy/kk.html", "/privacy/ru.html")),
                ]),
            ),
            (
                "categories",
                Value::Arr(vec![
                    cat("necessary", true, vec![]),
                    cat(
                        "analytics",
                        false,
                        vec![svc("yandex-metrica"), svc("google-analytics")],
                    ),
                    cat("marketing", false, vec![svc("facebook-pixel")]),
                ]),
            ),
        ])
    }

    fn set(v: &mut Value, path: &str, new: Option<Value>) {
        let segs = segments(path);
        let (last, parents) = segs.split_last().unwrap();
        let mut cur = v;
        for s in parents {
            cur = match (s, cur) {
                (Seg::Key(k), Value::Obj(pairs)) => {
                    &mut pairs.iter_mut().find(|(x, _)| x == k).unwrap().1
                }
                (Seg::Index(i), Value::Arr(items)) => &mut items[*i],
                _ => panic!("bad path {path}"),
            };
        }
        match (last, cur) {
            (Seg::Key(k), Value::Obj(pairs)) => {
                pairs.retain(|(x, _)| x != k);
                if let Some(n) = new {
                    pairs.push((k.clone(), n));
                }
            }
            (Seg::Index(i), Value::Arr(items)) => items[*i] = new.unwrap(),
            _ => panic!("bad path {path}"),
        }
    }

    fn texts(v: &Value) -> Vec<String> {
        config(v).iter().map(|e| e.text()).collect()
    }

    #[test]
    fn a_valid_config_has_no_problems() {
        assert!(cfg::decode(&sample()).is_ok());
        assert!(config(&sample()).is_empty());
    }

    #[test]
    fn every_problem_comes_back_with_its_path() {
        let mut v = sample();
        set(&mut v, "controller.bin", Some(Value::str("12")));
        set(&mut v, "controller.name.ru", None);
        set(&mut v, "controller.email", Some(Value::str("nobody")));
        set(&mut v, "categories[1].title.kk", Some(Value::str("  ")));
        set(
            &mut v,
            "categories[1].services[0].id",
            Some(Value::str("Bad Id")),
        );
        set(
            &mut v,
            "categories[1].services[1].cookies",
            Some(Value::Arr(vec![Value::str("ok"), Value::str("a;b")])),
        );
        set(
            &mut v,
            "categories[2].services[0].thirdParty",
            Some(Value::str("nobody")),
        );
        set(
            &mut v,
            "policy.url.kk",
            Some(Value::str("javascript:alert(1)")),
        );
        set(
            &mut v,
            "cookie",
            Some(Value::obj([("nmae", Value::str("x"))])),
        );
        let got = texts(&v);
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            [
                "categories[1].services[0].id: \"Bad Id\" is not a valid id (use a-z, 0-9, - and _, at most 32 characters)",
                "categories[1].services[1].cookies[1]: not a valid cookie name or pattern",
                "categories[1].title.kk: must not be empty",
                "categories[2].services[0].thirdParty: \"nobody\" is not a declared third party (thirdParties[].id)",
                "controller.bin: a BIN is exactly 12 digits",
                "controller.email: \"nobody\" is not an e-mail address such as privacy@example.kz",
                "controller.name.ru: missing",
                "cookie.nmae: unknown field (expected one of: name, domain, path)",
                "policy.url.kk: must be an http(s) or relative URL",
            ]
        );
        // The first is the one decode() (and so start()) reports.
        assert_eq!(got[0], cfg::decode(&v).unwrap_err().text());
    }

    #[test]
    fn problems_with_nothing_to_set_aside_end_the_list() {
        assert_eq!(
            texts(&Value::Num(1.0)),
            ["config: expected an object, got a number"]
        );
        let mut v = sample();
        set(
            &mut v,
            "categories",
            Some(Value::Arr(vec![Value::Num(1.0)])),
        );
        assert_eq!(
            texts(&v),
            ["categories[0]: expected an object, got a number"]
        );
    }

    #[test]
    fn segments_read_the_decoders_paths() {
        assert_eq!(
            segments("categories[2].services[10].title.kk"),
            [
                Seg::Key("categories".into()),
                Seg::Index(2),
                Seg::Key("services".into()),
                Seg::Index(10),
                Seg::Key("title".into()),
                Seg::Key("kk".into()),
            ]
        );
        assert!(segments("").is_empty());
    }

    /// Whatever is broken, the list is empty exactly when decode() accepts.
    #[test]
    fn the_list_agrees_with_the_decoder() {
        let paths = [
            "controller.bin",
            "controller.name.kk",
            "policy.version",
            "policy.revision",
            "categories[0].id",
            "categories[1].description.ru",
            "categories[1].services[1].title",
            "languages",
        ];
        let junk = [
            Value::Null,
            Value::Num(-1.0),
            Value::str(""),
            Value::str("x"),
            Value::Arr(vec![]),
            Value::obj::<&str>([]),
        ];
        for p in paths {
            for j in &junk {
                let mut v = sample();
                set(&mut v, p, Some(j.clone()));
                let list = config(&v);
                match cfg::decode(&v) {
                    Ok(_) => assert!(list.is_empty(), "{p} = {j:?}: {list:?}"),
                    Err(e) => assert_eq!(list.first(), Some(&e), "{p} = {j:?}"),
                }
            }
        }
    }
}
