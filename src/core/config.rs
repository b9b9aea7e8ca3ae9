//! The site's configuration, decoded from a [`Value`] with errors that name the
//! field path (`categories[2].title.kk: missing`).
//!
//! Every object rejects unknown fields, so a typo in a site's config is an error
//! rather than a silent default.

use super::value::Value;
use std::fmt;

/// A language the SDK speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Kazakh (`kk`).
    Kk,
    /// Russian (`ru`).
    Ru,
}

impl Lang {
    /// Both languages, in the order they are shown.
    pub const ALL: [Lang; 2] = [Lang::Kk, Lang::Ru];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
        }
    }

    /// Parses an exact code (`kk` or `ru`).
    pub fn from_code(s: &str) -> Option<Lang> {
        match s {
            "kk" => Some(Lang::Kk),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// Matches a BCP 47 tag by its primary subtag: `kk-KZ`, `kk-Cyrl-KZ`, `RU` ...
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim();
        if primary.eq_ignore_ascii_case("kk") {
            Some(Lang::Kk)
        } else if primary.eq_ignore_ascii_case("ru") {
            Some(Lang::Ru)
        } else {
            None
        }
    }
}

/// A text in each configured language.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct L10n {
    /// Kazakh text (empty when the site does not offer Kazakh).
    pub kk: String,
    /// Russian text (empty when the site does not offer Russian).
    pub ru: String,
}

impl L10n {
    /// The text in `lang`, falling back to the other language when empty.
    pub fn get(&self, lang: Lang) -> &str {
        let (a, b) = match lang {
            Lang::Kk => (&self.kk, &self.ru),
            Lang::Ru => (&self.ru, &self.kk),
        };
        if a.is_empty() {
            b
        } else {
            a
        }
    }
}

/// The personal-data operator (Law No. 94-V) behind the site.
#[derive(Debug, Clone, PartialEq)]
pub struct Controller {
    /// Legal name, per language.
    pub name: L10n,
    /// Business identification number: 12 digits.
    pub bin: String,
    /// Postal address, per language.
    pub address: Option<L10n>,
    /// Contact e-mail.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// Site URL.
    pub url: Option<String>,
}

/// The privacy policy in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Human-readable edition label, e.g. `2.1`.
    pub version: String,
    /// Bumping this number invalidates every stored consent.
    pub revision: u32,
    /// Where the policy page is, per language.
    pub url: L10n,
}

/// A service (a vendor or tool) inside a category.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Stable id, `[a-z0-9_-]`, unique across categories and services.
    pub id: String,
    /// Name shown to the visitor.
    pub title: L10n,
    /// What it does and who receives data.
    pub description: L10n,
    /// Cookie names or `*` patterns it sets.
    pub cookies: Vec<String>,
}

/// A consent category.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// Stable id, `[a-z0-9_-]`, unique across categories and services.
    pub id: String,
    /// Strictly necessary: always on, cannot be refused.
    pub required: bool,
    /// Name shown to the visitor.
    pub title: L10n,
    /// What it is for.
    pub description: L10n,
    /// Cookie names or `*` patterns it sets.
    pub cookies: Vec<String>,
    /// Services in this category.
    pub services: Vec<Service>,
}

/// Where and how the consent cookie is written.
#[derive(Debug, Clone, PartialEq)]
pub struct CookieOptions {
    /// Cookie name; default `kelisim`.
    pub name: String,
    /// `Domain` attribute; none by default (host-only cookie).
    pub domain: Option<String>,
    /// `Path` attribute; default `/`.
    pub path: String,
}

/// A validated site configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The operator.
    pub controller: Controller,
    /// The policy in force.
    pub policy: Policy,
    /// Languages offered, in order; default both.
    pub languages: Vec<Lang>,
    /// Used when nothing else decides; default `kk`.
    pub default_language: Lang,
    /// Consent categories, in display order.
    pub categories: Vec<Category>,
    /// Consent cookie options.
    pub cookie: CookieOptions,
}

impl Config {
    /// Every service with the id of its category.
    pub fn services(&self) -> impl Iterator<Item = (&Category, &Service)> {
        self.categories
            .iter()
            .flat_map(|c| c.services.iter().map(move |s| (c, s)))
    }

    /// True when `id` names a category or a service.
    pub fn knows(&self, id: &str) -> bool {
        self.categories.iter().any(|c| c.id == id) || self.services().any(|(_, s)| s.id == id)
    }
}

/// Limits that keep the cookie under 4,096 bytes.
pub const MAX_CATEGORIES: usize = 16;
/// At most this many services in all categories together.
pub const MAX_SERVICES: usize = 64;
/// Longest id.
pub const MAX_ID_LEN: usize = 32;

/// A config field that is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where: `categories[2].title.kk`; empty for the root.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "config: {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

type R<T> = Result<T, ConfigError>;

fn err<T>(path: &str, message: impl Into<String>) -> R<T> {
    Err(ConfigError {
        path: path.into(),
        message: message.into(),
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.into()
    } else {
        format!("{path}.{key}")
    }
}

/// An object whose keys must all be in `allowed`.
struct Obj<'a> {
    pairs: &'a [(String, Value)],
    path: &'a str,
}

impl<'a> Obj<'a> {
    fn new(v: &'a Value, path: &'a str, allowed: &[&str]) -> R<Obj<'a>> {
        let Value::Obj(pairs) = v else {
            return err(path, format!("expected an object, got {}", v.kind()));
        };
        for (k, _) in pairs {
            if !allowed.contains(&k.as_str()) {
                return err(
                    &join(path, k),
                    format!("unknown field (expected one of: {})", allowed.join(", ")),
                );
            }
        }
        Ok(Obj { pairs, path })
    }

    /// A present, non-null field.
    fn opt(&self, key: &str) -> Option<(&'a Value, String)> {
        self.pairs
            .iter()
            .find(|(k, v)| k == key && *v != Value::Null)
            .map(|(_, v)| (v, join(self.path, key)))
    }

    fn req(&self, key: &str) -> R<(&'a Value, String)> {
        match self.opt(key) {
            Some(found) => Ok(found),
            None => err(&join(self.path, key), "missing"),
        }
    }
}

fn string(v: &Value, path: &str) -> R<String> {
    match v {
        Value::Str(s) if s.trim().is_empty() => err(path, "must not be empty"),
        Value::Str(s) => Ok(s.clone()),
        other => err(path, format!("expected a string, got {}", other.kind())),
    }
}

fn opt_string(o: &Obj, key: &str) -> R<Option<String>> {
    o.opt(key).map(|(v, p)| string(v, &p)).transpose()
}

fn boolean(v: &Value, path: &str) -> R<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => err(path, format!("expected true or false, got {}", other.kind())),
    }
}

fn l10n(v: &Value, path: &str, langs: &[Lang]) -> R<L10n> {
    let o = Obj::new(v, path, &["kk", "ru"])?;
    let mut out = L10n::default();
    for lang in Lang::ALL {
        let field = match lang {
            Lang::Kk => &mut out.kk,
            Lang::Ru => &mut out.ru,
        };
        if langs.contains(&lang) {
            let (v, p) = o.req(lang.code())?;
            *field = string(v, &p)?;
        } else if let Some((v, p)) = o.opt(lang.code()) {
            *field = string(v, &p)?;
        }
    }
    Ok(out)
}

fn id(v: &Value, path: &str) -> R<String> {
    let s = string(v, path)?;
    let ok = s.len() <= MAX_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(s)
    } else {
        err(
            path,
            format!("\"{s}\" is not a valid id (use a-z, 0-9, - and _, at most {MAX_ID_LEN} characters)"),
        )
    }
}

fn cookie_names(o: &Obj) -> R<Vec<String>> {
    let Some((v, path)) = o.opt("cookies") else {
        return Ok(Vec::new());
    };
    let Value::Arr(items) = v else {
        return err(&path, format!("expected an array of cookie names, got {}", v.kind()));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let p = format!("{path}[{i}]");
            let s = string(v, &p)?;
            if s.bytes().any(|b| b <= b' ' || b";,=\"\\".contains(&b)) {
                return err(&p, "not a valid cookie name or pattern");
            }
            Ok(s)
        })
        .collect()
}

fn array<'a>(v: &'a Value, path: &str) -> R<&'a [Value]> {
    match v {
        Value::Arr(items) => Ok(items),
        other => err(path, format!("expected an array, got {}", other.kind())),
    }
}

fn attr_value(v: &Value, path: &str) -> R<String> {
    let s = string(v, path)?;
    if s.bytes().any(|b| b < b' ' || b";,".contains(&b) || b == 0x7f) {
        return err(path, "must not contain control characters, ';' or ','");
    }
    Ok(s)
}

/// Decodes and validates a config.
pub fn decode(v: &Value) -> R<Config> {
    let root = Obj::new(
        v,
        "",
        &["controller", "policy", "languages", "defaultLanguage", "categories", "cookie"],
    )?;

    let languages = match root.opt("languages") {
        None => Lang::ALL.to_vec(),
        Some((v, path)) => {
            let mut out = Vec::new();
            for (i, item) in array(v, &path)?.iter().enumerate() {
                let p = format!("{path}[{i}]");
                let code = string(item, &p)?;
                let Some(lang) = Lang::from_code(&code) else {
                    return err(&p, format!("\"{code}\" is not a supported language (kk, ru)"));
                };
                if out.contains(&lang) {
                    return err(&p, format!("\"{code}\" is listed twice"));
                }
                out.push(lang);
            }
            if out.is_empty() {
                return err(&path, "must list at least one language");
            }
            out
        }
    };
    let default_language = match root.opt("defaultLanguage") {
        None if languages.contains(&Lang::Kk) => Lang::Kk,
        None => languages[0],
        Some((v, path)) => {
            let code = string(v, &path)?;
            match Lang::from_code(&code) {
                Some(l) if languages.contains(&l) => l,
                _ => return err(&path, format!("\"{code}\" is not one of the configured languages")),
            }
        }
    };
    let langs = &languages[..];

    let (cv, cpath) = root.req("controller")?;
    let c = Obj::new(cv, &cpath, &["name", "bin", "address", "email", "phone", "url"])?;
    let (nv, npath) = c.req("name")?;
    let (bv, bpath) = c.req("bin")?;
    let bin = string(bv, &bpath)?;
    if bin.len() != 12 || !bin.bytes().all(|b| b.is_ascii_digit()) {
        return err(&bpath, "a BIN is exactly 12 digits");
    }
    let controller = Controller {
        name: l10n(nv, &npath, langs)?,
        bin,
        address: c.opt("address").map(|(v, p)| l10n(v, &p, langs)).transpose()?,
        email: opt_string(&c, "email")?,
        phone: opt_string(&c, "phone")?,
        url: opt_string(&c, "url")?,
    };

    let (pv, ppath) = root.req("policy")?;
    let p = Obj::new(pv, &ppath, &["version", "revision", "url"])?;
    let (vv, vpath) = p.req("version")?;
    let (rv, rpath) = p.req("revision")?;
    let revision = match rv {
        Value::Num(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= i32::MAX as f64 => *n as u32,
        other => {
            return err(
                &rpath,
                format!("expected a whole number from 0 to {}, got {}", i32::MAX, other.kind()),
            )
        }
    };
    let (uv, upath) = p.req("url")?;
    let policy = Policy {
        version: string(vv, &vpath)?,
        revision,
        url: l10n(uv, &upath, langs)?,
    };

    let (catv, catpath) = root.req("categories")?;
    let items = array(catv, &catpath)?;
    if items.is_empty() {
        return err(&catpath, "must list at least one category");
    }
    if items.len() > MAX_CATEGORIES {
        return err(&catpath, format!("at most {MAX_CATEGORIES} categories"));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut check_unique = |id: &str, path: &str| -> R<()> {
        if seen.iter().any(|s| s == id) {
            return err(path, format!("\"{id}\" is used twice (ids are unique across categories and services)"));
        }
        seen.push(id.into());
        Ok(())
    };
    let mut categories = Vec::with_capacity(items.len());
    let mut service_count = 0;
    for (i, item) in items.iter().enumerate() {
        let path = format!("{catpath}[{i}]");
        let o = Obj::new(
            item,
            &path,
            &["id", "required", "title", "description", "cookies", "services"],
        )?;
        let (iv, ipath) = o.req("id")?;
        let cid = id(iv, &ipath)?;
        check_unique(&cid, &ipath)?;
        let (tv, tpath) = o.req("title")?;
        let (dv, dpath) = o.req("description")?;
        let mut services = Vec::new();
        if let Some((sv, spath)) = o.opt("services") {
            for (j, s) in array(sv, &spath)?.iter().enumerate() {
                let sp = format!("{spath}[{j}]");
                let so = Obj::new(s, &sp, &["id", "title", "description", "cookies"])?;
                let (iv, ipath) = so.req("id")?;
                let sid = id(iv, &ipath)?;
                check_unique(&sid, &ipath)?;
                let (tv, tpath) = so.req("title")?;
                let (dv, dpath) = so.req("description")?;
                service_count += 1;
                if service_count > MAX_SERVICES {
                    return err(&sp, format!("at most {MAX_SERVICES} services in all"));
                }
                services.push(Service {
                    id: sid,
                    title: l10n(tv, &tpath, langs)?,
                    description: l10n(dv, &dpath, langs)?,
                    cookies: cookie_names(&so)?,
                });
            }
        }
        categories.push(Category {
            id: cid,
            required: o.opt("required").map(|(v, p)| boolean(v, &p)).transpose()?.unwrap_or(false),
            title: l10n(tv, &tpath, langs)?,
            description: l10n(dv, &dpath, langs)?,
            cookies: cookie_names(&o)?,
            services,
        });
    }

    let mut cookie = CookieOptions {
        name: "kelisim".into(),
        domain: None,
        path: "/".into(),
    };
    if let Some((v, path)) = root.opt("cookie") {
        let o = Obj::new(v, &path, &["name", "domain", "path"])?;
        if let Some((v, p)) = o.opt("name") {
            let name = string(v, &p)?;
            if name.len() > 64
                || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return err(&p, "use letters, digits, - and _ (at most 64)");
            }
            cookie.name = name;
        }
        if let Some((v, p)) = o.opt("domain") {
            cookie.domain = Some(attr_value(v, &p)?);
        }
        if let Some((v, p)) = o.opt("path") {
            let path = attr_value(v, &p)?;
            if !path.starts_with('/') {
                return err(&p, "must start with /");
            }
            cookie.path = path;
        }
    }

    Ok(Config {
        controller,
        policy,
        languages,
        default_language,
        categories,
        cookie,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn t(kk: &str, ru: &str) -> Value {
        Value::obj([("kk", Value::str(kk)), ("ru", Value::str(ru))])
    }

    /// A small valid config used across the core's tests.
    pub(crate) fn sample() -> Value {
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
                Value::obj([("name", t("«Сапар» ЖШС", "ТОО «Сапар»")), ("bin", Value::str("123456789012"))]),
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
                    cat("analytics", false, vec![svc("yandex-metrica"), svc("google-analytics")]),
                    cat("marketing", false, vec![svc("facebook-pixel")]),
                ]),
            ),
        ])
    }

    fn set(v: &mut Value, path: &[&str], new: Option<Value>) {
        let mut cur = v;
        for (i, key) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            match cur {
                Value::Obj(pairs) => {
                    if last {
                        pairs.retain(|(k, _)| k != key);
                        if let Some(n) = new {
                            pairs.push((key.to_string(), n));
                        }
                        return;
                    }
                    cur = &mut pairs.iter_mut().find(|(k, _)| k == key).unwrap().1;
                }
                Value::Arr(items) => cur = &mut items[key.parse::<usize>().unwrap()],
                _ => panic!("bad path"),
            }
        }
    }

    fn error_of(v: &Value) -> String {
        decode(v).unwrap_err().to_string()
    }

    #[test]
    fn sample_decodes_with_defaults() {
        let c = decode(&sample()).unwrap();
        assert_eq!(c.languages, vec![Lang::Kk, Lang::Ru]);
        assert_eq!(c.default_language, Lang::Kk);
        assert_eq!(c.cookie.name, "kelisim");
        assert_eq!(c.cookie.path, "/");
        assert!(c.categories[0].required && !c.categories[1].required);
        assert_eq!(c.services().count(), 3);
        assert!(c.knows("yandex-metrica") && c.knows("marketing") && !c.knows("nope"));
    }

    #[test]
    fn missing_text_names_the_path() {
        let mut v = sample();
        set(&mut v, &["categories", "2", "title", "kk"], None);
        assert_eq!(error_of(&v), "categories[2].title.kk: missing");
    }

    #[test]
    fn unknown_fields_are_rejected_with_their_path() {
        let mut v = sample();
        set(&mut v, &["categories", "1", "colour"], Some(Value::str("red")));
        let e = error_of(&v);
        assert!(e.starts_with("categories[1].colour: unknown field"), "{e}");
        let mut v = sample();
        set(&mut v, &["cookieName"], Some(Value::str("x")));
        assert!(error_of(&v).starts_with("cookieName: unknown field"));
    }

    #[test]
    fn wrong_types_and_values_are_named() {
        let cases: Vec<(Vec<&str>, Value, &str)> = vec![
            (vec!["policy", "revision"], Value::str("2"), "policy.revision: expected a whole number"),
            (vec!["policy", "revision"], Value::Num(1.5), "policy.revision: expected a whole number"),
            (vec!["controller", "bin"], Value::str("12345"), "controller.bin: a BIN is exactly 12 digits"),
            (vec!["categories", "1", "id"], Value::str("Analytics"), "categories[1].id: \"Analytics\" is not a valid id"),
            (vec!["categories", "1", "id"], Value::str("necessary"), "categories[1].id: \"necessary\" is used twice"),
            (vec!["categories", "1", "services", "1", "id"], Value::str("necessary"), "categories[1].services[1].id: \"necessary\" is used twice"),
            (vec!["categories", "0", "required"], Value::str("yes"), "categories[0].required: expected true or false"),
            (vec!["languages"], Value::Arr(vec![Value::str("en")]), "languages[0]: \"en\" is not a supported language"),
            (vec!["defaultLanguage"], Value::str("en"), "defaultLanguage: \"en\" is not one of"),
            (vec!["cookie"], Value::obj([("path", Value::str("x"))]), "cookie.path: must start with /"),
            (vec!["cookie"], Value::obj([("domain", Value::str("a;b"))]), "cookie.domain: must not contain"),
            (vec!["cookie"], Value::obj([("name", Value::str("a b"))]), "cookie.name: use letters"),
            (vec!["categories"], Value::Arr(vec![]), "categories: must list at least one category"),
            (vec!["controller"], Value::Null, "controller: missing"),
            (vec!["categories", "1", "title", "ru"], Value::str("  "), "categories[1].title.ru: must not be empty"),
        ];
        for (path, value, expected) in cases {
            let mut v = sample();
            set(&mut v, &path, Some(value));
            let e = error_of(&v);
            assert!(e.starts_with(expected), "{path:?}: got {e:?}, want {expected:?}");
        }
        assert_eq!(error_of(&Value::Arr(vec![])), "config: expected an object, got an array");
    }

    #[test]
    fn one_language_sites_need_only_that_language() {
        let mut v = sample();
        set(&mut v, &["languages"], Some(Value::Arr(vec![Value::str("ru")])));
        set(&mut v, &["categories", "2", "title", "kk"], None);
        let c = decode(&v).unwrap();
        assert_eq!(c.default_language, Lang::Ru);
        assert_eq!(c.categories[2].title.get(Lang::Kk), "Категория");
    }

    #[test]
    fn tags_match_by_primary_subtag() {
        assert_eq!(Lang::from_tag("kk-KZ"), Some(Lang::Kk));
        assert_eq!(Lang::from_tag("kk-Cyrl-KZ"), Some(Lang::Kk));
        assert_eq!(Lang::from_tag("RU"), Some(Lang::Ru));
        assert_eq!(Lang::from_tag("en-US"), None);
        assert_eq!(Lang::from_tag(""), None);
    }
}
