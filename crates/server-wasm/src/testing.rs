//! The consent cookie a test suite seeds (`kelisim/testing`): made by the
//! SDK's own decision path, [`Session::decide`], so the value, checksum,
//! revision, expiry (13 calendar months), required categories, the
//! service-follows-category rule and the Global Privacy Control rule are the
//! ones a visitor's click produces. There is no second encoder here.

use kelisim_core::codec::{self, DecodeError};
use kelisim_core::config::{Config, Lang};
use kelisim_core::consent::Choice;
use kelisim_core::json;
use kelisim_core::session::{Effect, Hints, Session};
use kelisim_core::value::Value;

use crate::parse_config;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

/// The largest `givenAt` the cookie format holds (15 decimal digits).
const MAX_GIVEN_AT: f64 = 999_999_999_999_999.0;

/// What a test asks for, besides the choice.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// When the decision was made, ms since the Unix epoch.
    pub given_at: i64,
    /// The language the visitor read; none: the config's `defaultLanguage`.
    pub language: Option<Lang>,
    /// The decision's id (UUID v4).
    pub id: String,
    /// The visitor's pseudonymous id (UUID v4).
    pub subject: String,
    /// The policy revision recorded; none: the config's `policy.revision`.
    pub revision: Option<u32>,
    /// A Global Privacy Control signal was on when the decision was made.
    pub gpc: bool,
}

fn keys_only(obj: &serde_json::Map<String, serde_json::Value>, what: &str, allowed: &[&str]) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("{what}: unknown key \"{k}\" (expected {})", allowed.join(", "))),
        None => Ok(()),
    }
}

fn list_of(config: &Config, known: &[&str], kind: &str, v: Option<&serde_json::Value>) -> Result<Vec<(String, bool)>, String> {
    let field = format!("choice.{kind}");
    let Some(v) = v else { return Ok(Vec::new()) };
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{field}: expected an object of id: true/false, got {}", kind_of(v)))?;
    let mut out = Vec::new();
    for (id, on) in obj {
        if !known.contains(&id.as_str()) {
            let one = if kind == "categories" { "category" } else { "service" };
            let mut msg = format!("{field}: unknown {one} \"{id}\"");
            let other = if kind == "categories" { "services" } else { "categories" };
            if config.knows(id) {
                msg.push_str(&format!(" (it is one of the config's {other}: put it in choice.{other})"));
            } else {
                let list = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                msg.push_str(&format!("; the config's {kind}: {list}"));
            }
            return Err(msg);
        }
        let on = on
            .as_bool()
            .ok_or_else(|| format!("{field}.{id}: expected true or false, got {}", kind_of(on)))?;
        out.push((id.clone(), on));
    }
    Ok(out)
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Reads a choice: `"all"`, `"none"`, or `{categories?: {id: bool}, services?: {id: bool}}`
/// (the shape `setConsent()` takes). Unknown ids are errors naming the id and
/// what the config has.
pub fn parse_choice(config: &Config, v: &serde_json::Value) -> Result<Choice, String> {
    match v {
        serde_json::Value::String(s) if s == "all" => Ok(Choice::AcceptAll),
        serde_json::Value::String(s) if s == "none" => Ok(Choice::RejectAll),
        serde_json::Value::Object(o) => {
            keys_only(o, "choice", &["categories", "services"])?;
            let cats: Vec<&str> = config.categories.iter().map(|c| c.id.as_str()).collect();
            let svcs: Vec<&str> = config.services().map(|(_, s)| s.id.as_str()).collect();
            Ok(Choice::Custom {
                categories: list_of(config, &cats, "categories", o.get("categories"))?,
                services: list_of(config, &svcs, "services", o.get("services"))?,
            })
        }
        other => Err(format!(
            "choice: expected \"all\", \"none\" or {{categories, services}}, got {}",
            match other {
                serde_json::Value::String(s) => format!("\"{s}\""),
                v => kind_of(v).to_string(),
            }
        )),
    }
}

/// Reads the options as the JS wrapper passes them (`givenAt` already in ms,
/// `id` and `subject` filled in).
pub fn parse_options(v: &serde_json::Value) -> Result<Options, String> {
    let o = v.as_object().ok_or("options: expected an object")?;
    keys_only(o, "options", &["givenAt", "language", "id", "subject", "revision", "gpc"])?;
    let given_at = match o.get("givenAt").and_then(|g| g.as_f64()) {
        Some(ms) if ms.fract() == 0.0 && (0.0..=MAX_GIVEN_AT).contains(&ms) => ms as i64,
        _ => return Err("options.givenAt: expected a time from 1970 on, in whole milliseconds".into()),
    };
    let language = match o.get("language") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(
            Lang::from_code(s).ok_or_else(|| format!("options.language: expected \"kk\" or \"ru\", got \"{s}\""))?,
        ),
        Some(v) => return Err(format!("options.language: expected \"kk\" or \"ru\", got {}", kind_of(v))),
    };
    let text = |key: &str| -> Result<String, String> {
        match o.get(key) {
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(format!("options.{key}: expected a lowercase UUID v4, got {}", kind_of(v))),
            None => Err(format!("options.{key}: missing")),
        }
    };
    let revision = match o.get("revision") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|r| u32::try_from(r).ok())
                .ok_or_else(|| "options.revision: expected a whole number from 0 to 4294967295".to_string())?,
        ),
    };
    let gpc = match o.get("gpc") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(v) => return Err(format!("options.gpc: expected true or false, got {}", kind_of(v))),
    };
    Ok(Options { given_at, language, id: text("id")?, subject: text("subject")?, revision, gpc })
}

/// The cookie value and its expiry (ms) for `choice`: a session started with
/// no cookie at `given_at`, in `language`, then [`Session::decide`].
pub fn value(config: &Config, choice: &Choice, opts: &Options) -> Result<(String, i64), String> {
    let mut config = config.clone();
    if let Some(r) = opts.revision {
        config.policy.revision = r;
    }
    let lang = opts.language.unwrap_or(config.default_language);
    if !config.languages.contains(&lang) {
        let offered: Vec<&str> = config.languages.iter().map(|l| l.code()).collect();
        return Err(format!(
            "options.language: \"{}\" is not offered by the config (languages: {})",
            lang.code(),
            offered.join(", ")
        ));
    }
    let hints = Hints { saved_language: Some(lang.code()), gpc: opts.gpc, ..Hints::default() };
    let (mut session, _, _) = Session::start(config, &hints, opts.given_at);
    let (effects, _) = session
        .decide(choice, opts.given_at, opts.id.clone(), opts.subject.clone())
        .map_err(|e| format!("choice: unknown id \"{}\"", e.0))?;
    let value = effects
        .into_iter()
        .find_map(|e| match e {
            Effect::WriteCookie { value, .. } => Some(value),
            _ => None,
        })
        .ok_or("a decision wrote no cookie")?;
    // The value must read back as the format; a bad id or subject is named.
    match codec::decode(&value) {
        Ok(c) => Ok((value, c.expires_at())),
        Err(DecodeError::BadField(f @ ("id" | "subject"))) => {
            let given = if f == "id" { &opts.id } else { &opts.subject };
            Err(format!("options.{f}: expected a lowercase UUID v4, got \"{given}\""))
        }
        Err(e) => Err(format!("the cookie written does not read back ({})", e.text())),
    }
}

/// The cookie for `config`, `choice` and `opts` as JSON text:
/// `{"name","value","path","expires","sameSite","domain"?}` with the name,
/// path and domain of the config's `cookie` options, `SameSite=Lax` as the
/// SDK writes it, and `expires` in whole seconds since the Unix epoch.
pub fn cookie_json(config: &Config, choice: &Choice, opts: &Options) -> Result<String, String> {
    let (value, expires_ms) = value(config, choice, opts)?;
    let mut pairs = vec![
        ("name", Value::str(config.cookie.name.as_str())),
        ("value", Value::Str(value)),
        ("path", Value::str(config.cookie.path.as_str())),
        ("expires", Value::Num(expires_ms.div_euclid(1000) as f64)),
        ("sameSite", Value::str("Lax")),
    ];
    if let Some(d) = &config.cookie.domain {
        pairs.push(("domain", Value::str(d.as_str())));
    }
    Ok(json::canonical(&Value::obj(pairs)))
}

/// [`cookie_json`] from JSON text: the config, the choice and the options.
pub fn consent_cookie_text(config_json: &str, choice_json: &str, options_json: &str) -> Result<String, String> {
    let config = parse_config(config_json)?;
    let choice: serde_json::Value =
        serde_json::from_str(choice_json).map_err(|e| format!("choice: not JSON ({e})"))?;
    let options: serde_json::Value =
        serde_json::from_str(options_json).map_err(|e| format!("options: not JSON ({e})"))?;
    let choice = parse_choice(&config, &choice)?;
    let opts = parse_options(&options)?;
    cookie_json(&config, &choice, &opts)
}

/// `kelisim/testing`'s `consentCookie`: the cookie as JSON text, or throws
/// `path: message` naming what is wrong.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
pub fn consent_cookie(config_json: &str, choice_json: &str, options_json: &str) -> Result<String, JsValue> {
    consent_cookie_text(config_json, choice_json, options_json).map_err(|e| JsValue::from_str(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelisim_core::read;

    const ID: &str = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    const SUBJECT: &str = "0b9e8d7c-6b5a-4948-b736-251403f2e1a1";
    const JAN_31: i64 = 1_769_817_600_000; // 2026-01-31T00:00:00Z

    fn demo() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/kelisim.config.json")).unwrap()
    }

    fn options(extra: &str) -> String {
        format!(r#"{{"givenAt":{JAN_31},"id":"{ID}","subject":"{SUBJECT}"{extra}}}"#)
    }

    fn cookie(choice: &str, extra: &str) -> Result<serde_json::Value, String> {
        consent_cookie_text(&demo(), choice, &options(extra)).map(|t| serde_json::from_str(&t).unwrap())
    }

    #[test]
    fn reads_back_as_the_choice_with_13_months_of_expiry() {
        let config = parse_config(&demo()).unwrap();
        let all = cookie(r#""all""#, "").unwrap();
        assert_eq!(all["name"], "kelisim");
        assert_eq!(all["path"], "/");
        assert_eq!(all["sameSite"], "Lax");
        assert!(all.get("domain").is_none());
        // 31 January + 13 months: the last day of February 2027.
        assert_eq!(all["expires"], 1_803_772_800i64, "2027-02-28T00:00:00Z");
        let header = format!("kelisim={}", all["value"].as_str().unwrap());
        let c = read::consent(&config, &header, JAN_31 + 1).unwrap();
        assert!(c.categories.iter().chain(c.services.iter()).all(|(_, on)| *on));
        assert_eq!((c.id.as_str(), c.subject.as_str(), c.revision), (ID, SUBJECT, 1));
        assert_eq!(c.method.as_str(), "accept-all");
        assert_eq!(c.language, Lang::Kk, "the config's defaultLanguage");

        let none = cookie(r#""none""#, r#","language":"ru""#).unwrap();
        let c = read::value(&config, none["value"].as_str().unwrap(), JAN_31).unwrap();
        let on: Vec<&str> = c.categories.iter().chain(c.services.iter()).filter(|(_, v)| *v).map(|(k, _)| k.as_str()).collect();
        assert_eq!(on, ["necessary"]);
        assert_eq!((c.method.as_str(), c.language), ("reject-all", Lang::Ru));

        let custom = cookie(r#"{"services":{"yandex-metrica":true},"categories":{"preferences":true}}"#, "").unwrap();
        let c = read::value(&config, custom["value"].as_str().unwrap(), JAN_31).unwrap();
        let on: Vec<&str> = c.categories.iter().chain(c.services.iter()).filter(|(_, v)| *v).map(|(k, _)| k.as_str()).collect();
        assert_eq!(on, ["necessary", "preferences", "analytics", "yandex-metrica"]);
        assert_eq!(c.method.as_str(), "custom");
    }

    #[test]
    fn revision_gpc_and_the_config_cookie_options() {
        let config = parse_config(&demo()).unwrap();
        let old = cookie(r#""all""#, r#","revision":0"#).unwrap();
        let e = read::value(&config, old["value"].as_str().unwrap(), JAN_31).unwrap_err();
        assert_eq!(e.code(), "revision-changed");
        // GPC: "all" leaves the selling or sharing categories off, as the banner does.
        let gpc = cookie(r#""all""#, r#","gpc":true"#).unwrap();
        let c = read::value(&config, gpc["value"].as_str().unwrap(), JAN_31).unwrap();
        assert!(c.gpc);
        assert_eq!(c.state("marketing"), Some(false));
        assert_eq!(c.state("analytics"), Some(true));
        let site = demo().replacen(
            r#""cookie": {"name": "kelisim", "path": "/"}"#,
            r#""cookie": {"name": "site_consent", "path": "/app", "domain": ".sapar.example.kz"}"#,
            1,
        );
        assert_ne!(site, demo());
        let t: serde_json::Value =
            serde_json::from_str(&consent_cookie_text(&site, r#""none""#, &options("")).unwrap()).unwrap();
        assert_eq!((t["name"].as_str(), t["path"].as_str(), t["domain"].as_str()), (Some("site_consent"), Some("/app"), Some(".sapar.example.kz")));
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let err = |choice: &str, extra: &str| cookie(choice, extra).unwrap_err();
        assert_eq!(
            err(r#"{"categories":{"stats":true}}"#, ""),
            "choice.categories: unknown category \"stats\"; the config's categories: necessary, preferences, analytics, marketing"
        );
        assert_eq!(
            err(r#"{"categories":{"yandex-metrica":true}}"#, ""),
            "choice.categories: unknown category \"yandex-metrica\" (it is one of the config's services: put it in choice.services)"
        );
        assert!(err(r#"{"services":{"ym":true}}"#, "").starts_with("choice.services: unknown service \"ym\"; the config's services: yandex-metrica, google-analytics"));
        assert_eq!(err(r#"{"services":{"vk-pixel":1}}"#, ""), "choice.services.vk-pixel: expected true or false, got a number");
        assert_eq!(err(r#"{"category":{}}"#, ""), "choice: unknown key \"category\" (expected categories, services)");
        assert_eq!(err(r#""some""#, ""), "choice: expected \"all\", \"none\" or {categories, services}, got \"some\"");
        assert_eq!(err(r#""all""#, r#","language":"en""#), "options.language: expected \"kk\" or \"ru\", got \"en\"");
        let ru_only = demo().replacen(r#""languages": ["kk", "ru"]"#, r#""languages": ["ru"]"#, 1).replacen(r#""defaultLanguage": "kk""#, r#""defaultLanguage": "ru""#, 1);
        assert_eq!(
            consent_cookie_text(&ru_only, r#""all""#, &options(r#","language":"kk""#)).unwrap_err(),
            "options.language: \"kk\" is not offered by the config (languages: ru)"
        );
        assert_eq!(err(r#""all""#, r#","revision":-1"#), "options.revision: expected a whole number from 0 to 4294967295");
        let bad_subject = options("").replace(SUBJECT, "Visitor-1");
        assert_eq!(
            consent_cookie_text(&demo(), r#""all""#, &bad_subject).unwrap_err(),
            "options.subject: expected a lowercase UUID v4, got \"Visitor-1\""
        );
        let bad_time = options("").replace(&JAN_31.to_string(), "1.5");
        assert!(consent_cookie_text(&demo(), r#""all""#, &bad_time).unwrap_err().starts_with("options.givenAt: "));
        let bad_config = demo().replacen("\"id\": \"analytics\"", "\"id\": 7", 1);
        assert_eq!(
            consent_cookie_text(&bad_config, r#""all""#, &options("")).unwrap_err(),
            "categories[2].id: expected a string, got a number"
        );
    }
}
