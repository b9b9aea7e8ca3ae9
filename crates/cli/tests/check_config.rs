//! `kelisim check-config` on the demo config and on broken ones, through the
//! built binary (exit codes, output) and the library (schema against decoder).

use kelisim_cli::{check, schema_problems, SCHEMA};
use kelisim_core::value::Value;
use kelisim_core::config;
use proptest::prelude::*;
use serde_json::{json, Value as J};
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo() -> J {
    serde_json::from_str(&std::fs::read_to_string(root().join("www/kelisim.config.json")).unwrap()).unwrap()
}

/// Runs the binary; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kelisim")).args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn write(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("kelisim-check-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn the_demo_config_passes() {
    let file = root().join("www/kelisim.config.json");
    let (code, out, err) = run(&["check-config", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with(": ok\n"), "{out}");
    assert!(schema_problems(&demo()).is_empty(), "{:?}", schema_problems(&demo()));
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let mut c = demo();
    c["controller"]["bin"] = json!("12");
    c["controller"]["url"] = json!("javascript:alert(1)");
    c["controller"]["email"] = json!("privacy at sapar");
    c["controller"]["phone"] = json!("call us");
    c["controller"]["name"].as_object_mut().unwrap().remove("ru");
    c["categories"][1]["id"] = json!("analytics");
    c["categories"][2]["services"][0]["thirdParty"] = json!("nobody");
    c["categories"][3]["services"][1]["thirdParty"] = json!("nobody2");
    c["thirdParties"][0]["country"] = json!("kz");
    c["cookie"]["nmae"] = json!("x");
    c["externalLinks"] = json!("some");
    c["policy"]["revision"] = json!(-1);
    c["receipts"]["transport"] = json!("pigeon");
    c["ui"] = json!({"layout": "grid", "position": "bottom-centre"});
    let file = write("broken.json", &c.to_string());
    let (code, out, err) = run(&["check-config", &file]);
    assert_eq!(code, 1, "{out}{err}");
    let mut lines: Vec<&str> = out.lines().map(|l| l.strip_prefix(&format!("{file}: ")).unwrap()).collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "categories[2].id: \"analytics\" is used twice (ids are unique across categories and services)",
            "categories[2].services[0].thirdParty: \"nobody\" is not a declared third party (thirdParties[].id)",
            "categories[3].services[1].thirdParty: \"nobody2\" is not a declared third party (thirdParties[].id)",
            "controller.bin: a BIN is exactly 12 digits",
            "controller.email: \"privacy at sapar\" is not an e-mail address such as privacy@example.kz",
            "controller.name.ru: missing",
            "controller.phone: \"call us\" is not a phone number (digits with spaces, dots, dashes or brackets, an optional leading +, 3 to 15 digits; or an RFC 3966 tel: URI)",
            "controller.url: must be an absolute http(s) URL",
            "cookie.nmae: unknown field (expected one of: name, domain, path)",
            "externalLinks: \"some\" is not one of: declared, all, off",
            "policy.revision: expected a whole number from 0 to 2147483647, got a number",
            "receipts.transport: \"pigeon\" is not one of: fetch, beacon",
            "thirdParties[0].country: use an ISO 3166-1 alpha-2 code such as KZ, RU or US",
            "ui.layout: \"grid\" is not one of: box, bar, wide",
            "ui.position: \"bottom-centre\" is not one of: bottom-center, bottom-left, bottom-right, top-left, top-center, top-right, middle-left, middle-center, middle-right",
        ]
    );
    assert_eq!(err, format!("kelisim check-config: 15 problems in {file}\n"));
}

#[test]
fn texts_that_would_make_a_receipt_too_large_are_named() {
    let mut c = demo();
    c["categories"][2]["description"]["ru"] = json!("ж".repeat(31_000));
    let problems = check(&c.to_string()).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "categories[2].description.ru");
    assert!(problems[0].message.contains("consent receipts"), "{}", problems[0]);
    // Without receipts the same config is fine.
    c.as_object_mut().unwrap().remove("receipts");
    assert_eq!(check(&c.to_string()), Ok(()));
}

#[test]
fn bad_json_bad_usage_and_unreadable_files() {
    let file = write("bad.json", "{\"controller\": {\n  \"bin\": 1,\n}");
    let (code, out, _) = run(&["check-config", &file]);
    assert_eq!(code, 1);
    assert!(out.contains(": config: not valid JSON: trailing comma at line 3 column 1"), "{out}");
    assert_eq!(run(&["check-config", "/nonexistent/kelisim.config.json"]).0, 2);
    let (code, _, err) = run(&[]);
    assert_eq!(code, 2);
    assert!(err.starts_with("usage: kelisim check-config FILE"), "{err}");
    assert_eq!(run(&["check-config"]).0, 2);
    assert_eq!(run(&["--help"]).0, 0);
    // A config that is JSON but not an object.
    let file = write("array.json", "[]");
    let (code, out, _) = run(&["check-config", &file]);
    assert_eq!(code, 1);
    assert!(out.contains("config: "), "{out}");
}

/// The schema's fields per object are the decoder's: an unknown field at
/// each place makes the decoder list what it accepts, and that list must be
/// the schema's `properties` there.
#[test]
fn the_schema_lists_the_fields_the_decoder_accepts() {
    let schema: J = serde_json::from_str(SCHEMA).unwrap();
    let defs = &schema["$defs"];
    let resolve = |s: &J| -> J {
        match s.get("$ref").and_then(J::as_str) {
            Some(r) => defs[r.trim_start_matches("#/$defs/")].clone(),
            None => s.clone(),
        }
    };
    let mut c = demo();
    c["consentMode"]["mapping"] = json!({});
    c["ui"] = json!({});
    let p = &schema["properties"];
    let places: Vec<(&str, J, Vec<&str>)> = vec![
        ("", p.clone(), vec![]),
        ("controller", p["controller"]["properties"].clone(), vec!["controller"]),
        ("controller.name", resolve(&p["controller"]["properties"]["name"])["properties"].clone(), vec!["controller", "name"]),
        ("policy", p["policy"]["properties"].clone(), vec!["policy"]),
        ("categories[0]", p["categories"]["items"]["properties"].clone(), vec!["categories", "0"]),
        ("categories[2].services[0]", p["categories"]["items"]["properties"]["services"]["items"]["properties"].clone(), vec!["categories", "2", "services", "0"]),
        ("cookie", p["cookie"]["properties"].clone(), vec!["cookie"]),
        ("thirdParties[0]", p["thirdParties"]["items"]["properties"].clone(), vec!["thirdParties", "0"]),
        ("oauth[0]", p["oauth"]["items"]["properties"].clone(), vec!["oauth", "0"]),
        ("receipts", p["receipts"]["properties"].clone(), vec!["receipts"]),
        ("consentMode", p["consentMode"]["properties"].clone(), vec!["consentMode"]),
        ("consentMode.mapping", p["consentMode"]["properties"]["mapping"]["properties"].clone(), vec!["consentMode", "mapping"]),
        ("ui", p["ui"]["properties"].clone(), vec!["ui"]),
    ];
    for (name, props, at) in places {
        let mut v = c.clone();
        let mut cur = &mut v;
        for k in &at {
            cur = match k.parse::<usize>() {
                Ok(i) => &mut cur[i],
                Err(_) => &mut cur[*k],
            };
        }
        cur.as_object_mut().unwrap_or_else(|| panic!("{name}")).insert("zz-unknown".into(), json!(1));
        let err = config::decode(&Value::from(&v)).unwrap_err();
        let list = err.message.split("expected one of: ").nth(1).unwrap_or_else(|| panic!("{name}: {err}")).trim_end_matches(')');
        let mut decoder: Vec<&str> = list.split(", ").collect();
        let mut schema_keys: Vec<&str> = props.as_object().unwrap().keys().map(String::as_str).collect();
        decoder.sort();
        schema_keys.sort();
        assert_eq!(schema_keys, decoder, "{name}");
    }
}

/// Valid variants the schema must not flag (editors would show false errors).
#[test]
fn the_schema_accepts_what_the_decoder_accepts() {
    let mut variants = vec![demo()];
    let mut v = demo();
    v["languages"] = json!(["ru"]);
    v["defaultLanguage"] = json!("ru");
    v["receipts"] = json!({"endpoint": "https://receipts.example.kz/v1", "transport": "beacon"});
    v["policy"]["document"] = json!({"kk": "/policy/kk.json", "ru": "https://x.kz/ru.json?v=2#a"});
    v["controller"]["phone"] = json!("tel:+7-727-355-14-20");
    v["cookie"] = json!({"name": "kz_consent", "domain": ".sapar.example.kz", "path": "/shop"});
    v["cookiePaths"] = json!(["/ru/", "/kk"]);
    v["consentMode"] = json!({"enabled": true, "waitForUpdate": 500, "regions": ["KZ"], "mapping": {"ad_storage": "facebook-pixel"}});
    v["receipts"] = json!({"endpoint": "/v1/receipts", "headers": {"X-Api-Key": "abc def"}});
    variants.push(v);
    for layout in ["box", "bar", "wide"] {
        for position in ["top-left", "top-center", "top-right", "middle-left", "middle-center", "middle-right", "bottom-left", "bottom-center", "bottom-right"] {
            for theme in ["auto", "light", "dark"] {
                let mut v = demo();
                v["ui"] = json!({"layout": layout, "position": position, "theme": theme});
                variants.push(v);
            }
        }
    }
    for (i, v) in variants.iter().enumerate() {
        assert!(config::decode(&Value::from(v)).is_ok(), "variant {i}: {:?}", config::decode(&Value::from(v)));
        assert_eq!(schema_problems(v), vec![], "variant {i}");
        assert_eq!(check(&v.to_string()), Ok(()), "variant {i}");
    }
}

/// Values to put somewhere in the demo config.
fn arb_json() -> impl Strategy<Value = J> {
    prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        (-3i64..70_000).prop_map(|n| json!(n)),
        Just(json!(1.5)),
        "[a-zA-Z0-9 :/._@+()-]{0,12}".prop_map(J::String),
        Just(json!("https://x.kz/")),
        Just(json!("analytics")),
        Just(json!({"kk": "мәтін", "ru": "текст"})),
        Just(json!([])),
        Just(json!(["x.kz"])),
        Just(json!({})),
    ]
}

/// Every path to a value in `v` (keys and indexes).
fn paths(v: &J, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        J::Object(o) => {
            for (k, x) in o {
                let mut p = at.clone();
                p.push(k.clone());
                out.push(p.clone());
                paths(x, p, out);
            }
        }
        J::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let mut p = at.clone();
                p.push(i.to_string());
                out.push(p.clone());
                paths(x, p, out);
            }
        }
        _ => {}
    }
}

fn pointer(p: &[String]) -> String {
    p.iter().map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1"))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Against the decoder as the oracle, on the demo config with one to
    /// three fields replaced or removed: check-config passes exactly when
    /// the SDK's decoder (and, with receipts, its receipt check) accepts;
    /// the schema never flags a config the decoder accepts; every problem
    /// names a path; the decoder's own first error is among the problems.
    #[test]
    fn check_config_agrees_with_the_decoder(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), proptest::option::of(arb_json())), 1..4),
    ) {
        let mut v = demo();
        for (pick, new) in edits {
            let mut all = Vec::new();
            paths(&v, vec![], &mut all);
            let p = pick.get(&all).clone();
            let (last, parent) = p.split_last().unwrap();
            let parent = v.pointer_mut(&pointer(parent)).unwrap();
            match (parent, new) {
                (J::Object(o), Some(x)) => { o.insert(last.clone(), x); }
                (J::Object(o), None) => { o.remove(last); }
                (J::Array(a), Some(x)) => { a[last.parse::<usize>().unwrap()] = x; }
                (J::Array(a), None) => { a.remove(last.parse::<usize>().unwrap()); }
                _ => {}
            }
        }
        let decoded = config::decode(&Value::from(&v));
        let oracle = match &decoded {
            Ok(cfg) if v.get("receipts").is_some() => kelisim_core::receipt::check(cfg).map(|_| ()),
            Ok(_) => Ok(()),
            Err(e) => Err(e.clone()),
        };
        let got = check(&v.to_string());
        prop_assert_eq!(got.is_ok(), oracle.is_ok(), "{:?} vs {:?}", got, oracle);
        if decoded.is_ok() {
            prop_assert_eq!(schema_problems(&v), vec![]);
        }
        if let (Err(problems), Err(first)) = (&got, &oracle) {
            prop_assert!(problems.iter().any(|p| p.path == first.path || first.path.starts_with(&p.path) || p.path.starts_with(&first.path)),
                "{} not among {:?}", first, problems);
        }
    }
}
