//! The collector hashes receipts through the core crate's canonical form
//! (the one the SDK signs its chain with). These properties check it, over
//! generated values, against an independent writer of RFC 8785 for the
//! values receipts hold (keys sorted by UTF-16 code units, strings escaped
//! as `JSON.stringify` escapes them, integers in decimal), and check that
//! the hash a running collector answers with is the hash of those bytes.

mod common;

use common::{receipt, uuid, Collector, TempDir};
use kelisim_collector::canon;
use proptest::prelude::*;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// An independent canonical writer.
fn reference(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let parts: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(k).unwrap(),
                        reference(&map[*k])
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(reference).collect();
            format!("[{}]", parts.join(","))
        }
        other => serde_json::to_string(other).unwrap(),
    }
}

fn hex_sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Strings with ASCII, control characters, quotes, backslashes, Cyrillic
/// (Kazakh letters), characters near the UTF-16 surrogate boundary and
/// astral ones.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            any::<char>(),
            prop::sample::select(vec![
                '"',
                '\\',
                '\n',
                '\t',
                '\u{0}',
                '\u{1f}',
                '\u{7f}',
                'ә',
                'ғ',
                'қ',
                'ң',
                'ө',
                'ұ',
                'ү',
                'һ',
                'і',
                '\u{2028}',
                '\u{e000}',
                '\u{ffff}',
                '\u{10000}',
                '😀',
            ]),
        ],
        0..12,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-9_007_199_254_740_991i64..=9_007_199_254_740_991).prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_core_canonical_form_matches_an_independent_writer(v in value()) {
        let c = canon::canonical(&v);
        prop_assert_eq!(&c, &reference(&v));
        prop_assert_eq!(canon::hash(&v), hex_sha256(&c));
        let back: Value = serde_json::from_str(&c).unwrap();
        prop_assert_eq!(back, v);
    }
}

#[test]
fn a_running_collector_answers_with_the_hash_of_the_canonical_bytes() {
    let dir = TempDir::new("canonical");
    let c = Collector::start(&dir.path().join("r.sqlite3"), &[], &[]);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    });
    let n = std::sync::atomic::AtomicU64::new(0);
    runner
        .run(&(text(), text(), value()), |(method, version, extra)| {
            let n = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let mut r = receipt(&uuid(900_000 + n), &uuid(910_000 + n), 1, None);
            r["collectionMethod"] = Value::String(method);
            r["kelisim"]["policy"]["version"] = Value::String(version);
            r["kelisim"]["extra"] = extra;
            let answer = c.post_json(&r);
            // Numbers beyond integers are refused; everything generated here is valid.
            prop_assert_eq!(answer.status, 201, "{}", answer.text());
            let got = answer.json()["hash"].as_str().unwrap().to_string();
            prop_assert_eq!(got, hex_sha256(&reference(&r)));
            Ok(())
        })
        .unwrap();
}
