//! `npm run bench` (native part): how long the core's hot paths take.
//! A benchmark, not a test: it prints figures and asserts nothing about time.

use std::hint::black_box;
use std::time::Instant;

use kelisim_core::config::{self, Config};
use kelisim_core::consent::Choice;
use kelisim_core::session::{Hints, Session};
use kelisim_core::value::Value;
use kelisim_core::{codec, time};


fn bench<T>(name: &str, iters: u32, mut f: impl FnMut() -> T) {
    for _ in 0..iters / 10 {
        black_box(f());
    }
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    let ns = start.elapsed().as_nanos() as f64 / iters as f64;
    println!("{name:<40} {ns:>10.0} ns/op  ({iters} iterations)");
}

fn main() {
    let text = std::fs::read_to_string("www/kelisim.config.json").expect("run from the repository root");
    let json: serde_json::Value = serde_json::from_str(&text).expect("demo config is JSON");
    let value = Value::from(&json);
    let config: Config = config::decode(&value).expect("demo config is valid");
    let now = 1_735_689_600_000;
    let (mut session, _, _) = Session::start(config.clone(), &Hints::default(), now);
    session
        .decide(&Choice::AcceptAll, now, "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b".into(), "0b9e8d7c-6b5a-4948-b736-251403f2e1a1".into())
        .expect("known ids");
    let consent = session.consent().cloned().expect("a consent");
    let cookie = codec::encode(&consent);

    println!("kelisim core benchmarks (demo config: {} categories, {} services; cookie {} bytes)",
        config.categories.len(), config.services().count(), cookie.len());
    bench("config::decode (demo config)", 20_000, || config::decode(&value));
    bench("codec::encode", 200_000, || codec::encode(&consent));
    bench("codec::decode", 200_000, || codec::decode(&cookie));
    bench("time::expires_at", 2_000_000, || time::expires_at(black_box(now)));
    bench("Session::start with a valid cookie", 20_000, || {
        let hints = Hints { cookie: Some(&cookie), ..Hints::default() };
        Session::start(config.clone(), &hints, now + 1)
    });
}
