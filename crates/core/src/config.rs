//! The site's configuration, decoded from a [`Value`] with errors that name the
//! field path (`categories[2].title.kk: missing`).
//!
//! Every object rejects unknown fields, so a typo in a site's config is an error
//! rather than a silent default.

use alloc::string::String;
use alloc::vec::Vec;
use super::value::{all_bytes, char_is, push_int, Path, Value};
use core::fmt;

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
        let primary = tag.split(char_is('-')).next()?.split(char_is('_')).next()?.trim();
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
    /// The policy document (JSON, format `kelisim-policy` v1) the policy view
    /// renders, per language; the same URL in both for a bilingual file.
    pub document: Option<L10n>,
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
    /// The declared third party (`thirdParties[].id`) that receives data through it.
    pub third_party: Option<String>,
    /// `localStorage` keys or `*` patterns it writes (deleted on withdrawal).
    pub storage: Vec<String>,
    /// Sells or shares personal data: refused by a Global Privacy Control signal.
    pub sharing: bool,
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
    /// The personal data this category collects, one item per kind of data
    /// (Law No. 94-V Art. 8(4): "the list of data collected").
    pub data: Vec<L10n>,
    /// `localStorage` keys or `*` patterns it writes (deleted on withdrawal).
    pub storage: Vec<String>,
    /// Sells or shares personal data: refused by a Global Privacy Control signal.
    pub sharing: bool,
}

/// An organisation outside the site that receives visitors' data or whose
/// site visitors may leave for.
#[derive(Debug, Clone, PartialEq)]
pub struct ThirdParty {
    /// Stable id, `[a-z0-9_-]`, unique among third parties.
    pub id: String,
    /// Name shown to the visitor.
    pub name: L10n,
    /// Hostnames it owns, lowercase; subdomains are included.
    pub domains: Vec<String>,
    /// Its own privacy policy.
    pub policy_url: String,
    /// ISO 3166-1 alpha-2 code (upper case) of the country data go to.
    pub country: String,
    /// What it may collect.
    pub collects: L10n,
    /// Why.
    pub purpose: L10n,
}

/// A third-party log-in ("log in with Facebook").
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthProvider {
    /// Stable id, `[a-z0-9_-]`, unique among OAuth providers.
    pub id: String,
    /// Provider name shown to the visitor.
    pub name: L10n,
    /// The data the site receives on log-in.
    pub receives: L10n,
    /// The provider's privacy policy.
    pub policy_url: String,
    /// The declared third party behind it, when there is one.
    pub third_party: Option<String>,
}

/// Which links get a disclosure before the visitor leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalLinks {
    /// Only links to declared third parties (the default).
    Declared,
    /// Declared third parties, and a generic disclosure for any other origin.
    All,
    /// No link disclosures.
    Off,
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
    /// Declared third parties.
    pub third_parties: Vec<ThirdParty>,
    /// Third-party log-ins.
    pub oauth: Vec<OAuthProvider>,
    /// Which links get a disclosure.
    pub external_links: ExternalLinks,
    /// Whether personal data are published in public sources (Law No. 94-V
    /// Art. 8(4)); default false.
    pub public_sources: bool,
    /// Where consent receipts are delivered; none means no receipts (unless
    /// the page passes a `send` function to `start`).
    pub receipts: Option<ReceiptsConfig>,
    /// Reload the page after a withdrawal (scripts that ran cannot be unloaded).
    pub reload_on_withdrawal: bool,
    /// Extra `Path` values to delete withdrawn cookies under (`cookiePaths`).
    pub clear_paths: Vec<String>,
    /// Google Consent Mode v2, when enabled.
    pub consent_mode: Option<ConsentMode>,
    /// How the banner looks (`ui`): layout, position and colour theme.
    pub ui: Ui,
}

/// The config's `ui` section: how the banner looks. The shell writes each
/// value as it is written in the config on the banner's root
/// (`data-kelisim-layout`, `data-kelisim-position`, `data-kelisim-theme`);
/// the stylesheet does the rest (docs/theming.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ui {
    /// One of [`LAYOUTS`]; default `box`.
    pub layout: &'static str,
    /// One of [`POSITIONS`]; default `bottom-center`.
    pub position: &'static str,
    /// One of [`THEMES`]; default `auto` (follows `prefers-color-scheme`).
    pub theme: &'static str,
}

impl Default for Ui {
    fn default() -> Ui {
        Ui { layout: LAYOUTS[0], position: POSITIONS[0], theme: THEMES[0] }
    }
}

/// The values of `ui.layout`, the default first: a box, a full-width bar,
/// a wide box.
pub const LAYOUTS: [&str; 3] = ["box", "bar", "wide"];
/// The values of `ui.position` (vertical, a dash, horizontal), the default first.
pub const POSITIONS: [&str; 9] = [
    "bottom-center",
    "bottom-left",
    "bottom-right",
    "top-left",
    "top-center",
    "top-right",
    "middle-left",
    "middle-center",
    "middle-right",
];
/// The values of `ui.theme`, the default first.
pub const THEMES: [&str; 3] = ["auto", "light", "dark"];

/// How receipts are posted to `receipts.endpoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `fetch` with `Content-Type: application/json` (CORS preflight when cross-origin).
    Fetch,
    /// `navigator.sendBeacon` with a `text/plain` body (no preflight, no response).
    Beacon,
}

/// The config's `receipts` section.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptsConfig {
    /// An `http(s)` or relative URL.
    pub endpoint: String,
    /// Extra request headers (fetch only).
    pub headers: Vec<(String, String)>,
    /// Default [`Transport::Fetch`].
    pub transport: Transport,
}

/// Google Consent Mode v2 settings (`consentMode`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentMode {
    /// `wait_for_update` in the default command, ms (0: not sent).
    pub wait_for_update: u32,
    /// ISO 3166 region codes the default applies to (empty: everywhere).
    pub regions: Vec<String>,
    /// The category or service id each of [`SIGNALS`] follows.
    pub mapping: [String; 6],
}

/// The six Google Consent Mode v2 signals kelisim sets, in this order.
pub const SIGNALS: [&str; 6] = [
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
];

/// The category id each signal follows unless `consentMode.mapping` says
/// otherwise: `marketing` → the three `ad_*` signals, `analytics` →
/// `analytics_storage`, `preferences` → `functionality_storage` and
/// `personalization_storage`.
pub const DEFAULT_MAPPING: [&str; 6] = ["marketing", "marketing", "marketing", "analytics", "preferences", "preferences"];

impl Config {
    /// Every service with the id of its category.
    pub fn services(&self) -> impl Iterator<Item = (&Category, &Service)> {
        self.categories
            .iter()
            .flat_map(|c| c.services.iter().map(move |s| (c, s)))
    }

    /// The declared third party with this id.
    pub fn third_party(&self, id: &str) -> Option<&ThirdParty> {
        self.third_parties.iter().find(|t| t.id == id)
    }

    /// The declared third party whose domains include `host` (or a parent of it).
    pub fn party_for_host(&self, host: &str) -> Option<&ThirdParty> {
        self.third_parties
            .iter()
            .find(|t| t.domains.iter().any(|d| host_in_domain(host, d)))
    }

    /// True when `id` names a category or a service.
    pub fn knows(&self, id: &str) -> bool {
        self.categories.iter().any(|c| c.id == id) || self.services().any(|(_, s)| s.id == id)
    }
}

/// Whether `b` may appear in an id: `a-z`, `0-9`, `-`, `_`.
pub(crate) fn id_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
}

/// Limits that keep the cookie under 4,096 bytes.
pub const MAX_CATEGORIES: usize = 16;
/// At most this many services in all categories together.
pub const MAX_SERVICES: usize = 64;
/// Longest id.
pub const MAX_ID_LEN: usize = 32;
/// At most this many third parties, and as many OAuth providers.
pub const MAX_PARTIES: usize = 32;

/// Whether `host` is `domain` or one of its subdomains (ASCII case-insensitive;
/// a trailing dot on `host` is ignored).
pub fn host_in_domain(host: &str, domain: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host).as_bytes();
    let d = domain.as_bytes();
    if host.len() < d.len() || !host[host.len() - d.len()..].eq_ignore_ascii_case(d) {
        return false;
    }
    host.len() == d.len() || host[host.len() - d.len() - 1] == b'.'
}

/// Which document a [`FieldError`] is about; it names the root in the
/// error's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    /// A site config: `config: ...` at the root.
    Config,
    /// A policy document: `policy: ...` at the root.
    Policy,
}

/// A field that is missing or wrong in a decoded document: the one error
/// type of the config decoder and the policy decoder (which share the
/// object, string and array readers below).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The document.
    pub doc: Doc,
    /// Where: `categories[2].title.kk`; empty for the root.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// A config field that is missing or wrong.
pub type ConfigError = FieldError;

impl FieldError {
    /// The error as one line: `path: message` (`config: message` or
    /// `policy: message` for the root).
    pub fn text(&self) -> String {
        let root = match self.doc {
            Doc::Config => "config",
            Doc::Policy => "policy",
        };
        super::value::cat(&[if self.path.is_empty() { root } else { &self.path }, ": ", &self.message])
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

pub(crate) type R<T> = Result<T, ConfigError>;

/// The error for `path`, with the message made of `parts`. Kept out of line so
/// the success path carries no string building.
#[cold]
#[inline(never)]
fn error(path: &Path, parts: &[&str]) -> ConfigError {
    ConfigError {
        doc: Doc::Config,
        path: path.render(),
        message: super::value::cat(parts),
    }
}

pub(crate) fn fail<T>(path: &Path, parts: &[&str]) -> R<T> {
    Err(error(path, parts))
}

#[cold]
#[inline(never)]
fn num(n: usize) -> String {
    let mut s = String::new();
    push_int(&mut s, n as i64);
    s
}

/// `expected <what>, got <kind of v>`.
#[cold]
#[inline(never)]
fn expected_error(path: &Path, what: &str, v: &Value) -> ConfigError {
    error(path, &["expected ", what, ", got ", v.kind()])
}

pub(crate) fn expected<T>(path: &Path, what: &str, v: &Value) -> R<T> {
    Err(expected_error(path, what, v))
}

/// An object whose keys must all be in `allowed`.
pub(crate) struct Obj<'v, 'p> {
    pairs: &'v [(String, Value)],
    path: &'p Path<'p>,
}

impl<'v, 'p> Obj<'v, 'p> {
    pub(crate) fn new(v: &'v Value, path: &'p Path<'p>, allowed: &[&str]) -> R<Obj<'v, 'p>> {
        let Value::Obj(pairs) = v else {
            return expected(path, "an object", v);
        };
        for (k, _) in pairs {
            if !allowed.contains(&k.as_str()) {
                return Err(unknown_field(&Path::Key(path, k), allowed));
            }
        }
        Ok(Obj { pairs, path })
    }

    /// A present, non-null field.
    pub(crate) fn opt(&self, key: &str) -> Option<&'v Value> {
        self.pairs
            .iter()
            .find(|(k, v)| k == key && !v.is_null())
            .map(|(_, v)| v)
    }

    pub(crate) fn req(&self, key: &str) -> R<&'v Value> {
        match self.opt(key) {
            Some(v) => Ok(v),
            None => fail(&Path::Key(self.path, key), &["missing"]),
        }
    }

    /// The path of a field of this object.
    pub(crate) fn at<'k>(&'k self, key: &'k str) -> Path<'k> {
        Path::Key(self.path, key)
    }
}

#[cold]
#[inline(never)]
fn unknown_field(path: &Path, allowed: &[&str]) -> ConfigError {
    error(path, &["unknown field (expected one of: ", &list(allowed), ")"])
}

/// `a, b, c`.
#[cold]
#[inline(never)]
fn list(items: &[&str]) -> String {
    let mut out = String::new();
    for (i, a) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(a);
    }
    out
}

pub(crate) fn string<'v>(v: &'v Value, path: &Path) -> R<&'v str> {
    match v {
        Value::Str(s) if s.trim().is_empty() => fail(path, &["must not be empty"]),
        Value::Str(s) => Ok(s),
        other => expected(path, "a string", other),
    }
}

pub(crate) fn opt_string<'v>(o: &Obj<'v, '_>, key: &str) -> R<Option<&'v str>> {
    match o.opt(key) {
        Some(v) => Ok(Some(string(v, &o.at(key))?)),
        None => Ok(None),
    }
}

/// A text per language, borrowed from the value tree until the whole
/// section is valid (so failing paths have nothing to free).
type Text<'v> = [&'v str; 2];

fn l10n<'v>(v: &'v Value, path: &Path, langs: &[Lang]) -> R<Text<'v>> {
    let o = Obj::new(v, path, &["kk", "ru"])?;
    let mut out = [""; 2];
    for (slot, lang) in out.iter_mut().zip(Lang::ALL) {
        let code = lang.code();
        let found = if langs.contains(&lang) { Some(o.req(code)?) } else { o.opt(code) };
        if let Some(v) = found {
            *slot = string(v, &o.at(code))?;
        }
    }
    Ok(out)
}

fn owned([kk, ru]: Text) -> L10n {
    L10n {
        kk: kk.into(),
        ru: ru.into(),
    }
}

fn id<'v>(v: &'v Value, path: &Path) -> R<&'v str> {
    let s = string(v, path)?;
    let ok = s.len() <= MAX_ID_LEN
        && all_bytes(s, id_byte);
    if !ok {
        return fail(
            path,
            &["\"", s, "\" is not a valid id (use a-z, 0-9, - and _, at most ", &num(MAX_ID_LEN), " characters)"],
        );
    }
    Ok(s)
}

fn cookie_names(o: &Obj) -> R<Vec<String>> {
    let Some(v) = o.opt("cookies") else {
        return Ok(Vec::new());
    };
    let path = o.at("cookies");
    let Value::Arr(items) = v else {
        return expected(&path, "an array of cookie names", v);
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let p = Path::Index(&path, i);
        let s = string(v, &p)?;
        if !all_bytes(s, |b| !(b <= b' ' || b";,=\"\\".contains(&b))) {
            return fail(&p, &["not a valid cookie name or pattern"]);
        }
        out.push(s.into());
    }
    Ok(out)
}

pub(crate) fn array<'v>(v: &'v Value, path: &Path) -> R<&'v [Value]> {
    match v {
        Value::Arr(items) => Ok(items),
        other => expected(path, "an array", other),
    }
}

fn attr_value<'v>(v: &'v Value, path: &Path) -> R<&'v str> {
    let s = string(v, path)?;
    if !all_bytes(s, |b| !(b < b' ' || b";,".contains(&b) || b == 0x7f)) {
        return fail(path, &["must not contain control characters, ';' or ','"]);
    }
    Ok(s)
}

/// The `id`, `title` and `description` every category and service has: the
/// id is checked here, the texts later (in the order errors were always reported).
fn head<'v>(o: &Obj<'v, '_>, seen: &mut Vec<&'v str>) -> R<(&'v str, &'v Value, &'v Value)> {
    let ipath = o.at("id");
    let id = id(o.req("id")?, &ipath)?;
    if seen.contains(&id) {
        return fail(
            &ipath,
            &["\"", id, "\" is used twice (ids are unique across categories and services)"],
        );
    }
    seen.push(id);
    Ok((id, o.req("title")?, o.req("description")?))
}

fn languages(root: &Obj) -> R<Vec<Lang>> {
    let Some(v) = root.opt("languages") else {
        return Ok(Lang::ALL.to_vec());
    };
    let path = root.at("languages");
    let mut out = Vec::new();
    for (i, item) in array(v, &path)?.iter().enumerate() {
        let p = Path::Index(&path, i);
        let code = string(item, &p)?;
        let Some(lang) = Lang::from_code(code) else {
            return fail(&p, &["\"", code, "\" is not a supported language (kk, ru)"]);
        };
        if out.contains(&lang) {
            return fail(&p, &["\"", code, "\" is listed twice"]);
        }
        out.push(lang);
    }
    if out.is_empty() {
        return fail(&path, &["must list at least one language"]);
    }
    Ok(out)
}

fn controller(root: &Obj, langs: &[Lang]) -> R<Controller> {
    let v = root.req("controller")?;
    let path = root.at("controller");
    let c = Obj::new(v, &path, &["name", "bin", "address", "email", "phone", "url"])?;
    let name = c.req("name")?;
    let bpath = c.at("bin");
    let bin = string(c.req("bin")?, &bpath)?;
    if bin.len() != 12 || !all_bytes(bin, |b| b.is_ascii_digit()) {
        return fail(&bpath, &["a BIN is exactly 12 digits"]);
    }
    let name = l10n(name, &c.at("name"), langs)?;
    let address = match c.opt("address") {
        Some(v) => Some(l10n(v, &c.at("address"), langs)?),
        None => None,
    };
    let email = opt_string(&c, "email")?;
    if let Some(e) = email {
        if !is_email(e) {
            return fail(&c.at("email"), &["\"", e, "\" is not an e-mail address such as privacy@example.kz"]);
        }
    }
    let phone = opt_string(&c, "phone")?;
    if let Some(p) = phone {
        if !is_phone(p) {
            return fail(
                &c.at("phone"),
                &["\"", p, "\" is not a phone number (digits with spaces, dots, dashes or brackets, an optional leading +, 3 to 15 digits; or an RFC 3966 tel: URI)"],
            );
        }
    }
    let url = match c.opt("url") {
        Some(_) => Some(abs_url(&c, "url")?),
        None => None,
    };
    Ok(Controller {
        name: owned(name),
        bin: bin.into(),
        address: address.map(owned),
        email: email.map(Into::into),
        phone: phone.map(Into::into),
        url: url.map(Into::into),
    })
}

fn policy(root: &Obj, langs: &[Lang]) -> R<Policy> {
    let v = root.req("policy")?;
    let path = root.at("policy");
    let p = Obj::new(v, &path, &["version", "revision", "url", "document"])?;
    let version = p.req("version")?;
    let revision = match p.req("revision")? {
        // A whole number in range (`f64::fract` needs std).
        Value::Num(n) if *n >= 0.0 && *n <= i32::MAX as f64 && *n == (*n as u32) as f64 => *n as u32,
        other => {
            let max = num(i32::MAX as usize);
            return fail(&p.at("revision"), &["expected a whole number from 0 to ", &max, ", got ", other.kind()]);
        }
    };
    let version = string(version, &p.at("version"))?;
    let url_path = p.at("url");
    let url = l10n(p.req("url")?, &url_path, langs)?;
    for (code, u) in [("kk", url[0]), ("ru", url[1])] {
        if !u.is_empty() && !is_web_url(u) {
            return fail(&Path::Key(&url_path, code), &["must be an http(s) or relative URL"]);
        }
    }
    let document = match p.opt("document") {
        Some(v) => Some(policy_document(v, &p.at("document"), langs)?),
        None => None,
    };
    Ok(Policy {
        version: version.into(),
        revision,
        url: owned(url),
        document,
    })
}

/// `policy.document`: one URL (a bilingual file) or `{kk, ru}` (a file per
/// language), each relative or `http(s):`.
fn policy_document(v: &Value, path: &Path, langs: &[Lang]) -> R<L10n> {
    let urls = match v {
        Value::Str(_) => {
            let u = string(v, path)?;
            if !is_web_url(u) {
                return fail(path, &["must be an http(s) or relative URL"]);
            }
            [u, u]
        }
        Value::Obj(_) => l10n(v, path, langs)?,
        other => return expected(path, "a URL or {kk, ru} URLs", other),
    };
    for (code, u) in [("kk", urls[0]), ("ru", urls[1])] {
        if !u.is_empty() && !is_web_url(u) {
            return fail(&Path::Key(path, code), &["must be an http(s) or relative URL"]);
        }
    }
    Ok(owned(urls))
}

/// A plausible e-mail address: `local@domain`, one `@`, no spaces, control
/// characters or `<>()[]\\,;:"`, a domain of at least two dot-separated labels
/// (letters, digits, `-`, any non-ASCII letter for internationalised names;
/// no label empty or starting or ending with `-`), at most 254 bytes.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once(char_is('@')) else { return false };
    let plain = |b: u8| b > b' ' && b != 0x7f && !b"<>()[]\\,;:\"@".contains(&b);
    s.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && all_bytes(local, plain)
        && domain.split(char_is('.')).count() >= 2
        && domain.split(char_is('.')).all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && all_bytes(label, |b| b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80)
        })
}

/// A phone number [`receipt::tel`](super::receipt::tel) turns into an RFC 3966
/// URI: digits separated by spaces, dots, dashes or brackets, an optional
/// leading `+`, 3 to 15 digits (E.164 has at most 15); or already a `tel:`
/// URI of that form (visual separators `-` `.` `(` `)`, then optional
/// `;name=value` parameters of URI characters).
pub fn is_phone(s: &str) -> bool {
    let (number, params) = match s.strip_prefix("tel:") {
        Some(rest) => match rest.split_once(char_is(';')) {
            Some((n, p)) => (n, Some(p)),
            None => (rest, None),
        },
        None => (s, None),
    };
    let uri = s.starts_with("tel:");
    let body = number.strip_prefix('+').unwrap_or(number);
    let sep = |b: u8| if uri { b"-.()".contains(&b) } else { b" .-()".contains(&b) };
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    let params_ok = params.is_none_or(|p| {
        p.split(char_is(';')).all(|kv| {
            !kv.is_empty() && all_bytes(kv, |b| b.is_ascii_alphanumeric() || b"-_.!~*'()=+%/:&$[]".contains(&b))
        })
    });
    (3..=15).contains(&digits)
        && body.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'(')
        && body.bytes().all(|b| b.is_ascii_digit() || sep(b))
        && params_ok
}

/// True for a relative URL or an `http:`/`https:` one. Anything with another
/// scheme (`javascript:`, `data:`), whitespace or control characters (which
/// browsers strip, so `java\tscript:` would still run) is refused.
pub fn is_web_url(u: &str) -> bool {
    let b = u.as_bytes();
    if b.iter().any(|&c| c <= b' ' || c == 0x7f) {
        return false;
    }
    for (i, &c) in b.iter().enumerate() {
        match c {
            // `get` rather than slicing: no bounds-check panic (and its formatting) in the module.
            b':' => return b.get(..i).is_some_and(|s| s.eq_ignore_ascii_case(b"http") || s.eq_ignore_ascii_case(b"https")),
            b'/' | b'?' | b'#' => return true,
            _ => {}
        }
    }
    true
}

fn categories(root: &Obj, langs: &[Lang], parties: &[ThirdParty]) -> R<Vec<Category>> {
    let v = root.req("categories")?;
    let path = root.at("categories");
    let items = array(v, &path)?;
    if items.is_empty() {
        return fail(&path, &["must list at least one category"]);
    }
    if items.len() > MAX_CATEGORIES {
        return fail(&path, &["at most ", &num(MAX_CATEGORIES), " categories"]);
    }
    let mut seen = Vec::new();
    let mut categories = Vec::with_capacity(items.len());
    let mut service_count = 0;
    for (i, item) in items.iter().enumerate() {
        let cpath = Path::Index(&path, i);
        let o = Obj::new(
            item,
            &cpath,
            &["id", "required", "title", "description", "cookies", "services", "data", "storage", "sharing"],
        )?;
        let (cid, title, description) = head(&o, &mut seen)?;
        let mut services = Vec::new();
        if let Some(sv) = o.opt("services") {
            let spath = o.at("services");
            for (j, s) in array(sv, &spath)?.iter().enumerate() {
                let sp = Path::Index(&spath, j);
                let so = Obj::new(s, &sp, &["id", "title", "description", "cookies", "thirdParty", "storage", "sharing"])?;
                let (sid, title, description) = head(&so, &mut seen)?;
                service_count += 1;
                if service_count > MAX_SERVICES {
                    return fail(&sp, &["at most ", &num(MAX_SERVICES), " services in all"]);
                }
                let title = l10n(title, &so.at("title"), langs)?;
                let description = l10n(description, &so.at("description"), langs)?;
                let cookies = cookie_names(&so)?;
                let third_party = match so.opt("thirdParty") {
                    Some(v) => {
                        let p = so.at("thirdParty");
                        let tp = id(v, &p)?;
                        if !parties.iter().any(|t| t.id == tp) {
                            return fail(&p, &["\"", tp, "\" is not a declared third party (thirdParties[].id)"]);
                        }
                        Some(tp.into())
                    }
                    None => None,
                };
                services.push(Service {
                    id: sid.into(),
                    title: owned(title),
                    description: owned(description),
                    cookies,
                    third_party,
                    storage: storage_keys(&so)?,
                    sharing: flag(&so, "sharing")?,
                });
            }
        }
        let required = match o.opt("required") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return expected(&o.at("required"), "true or false", other),
        };
        let title = l10n(title, &o.at("title"), langs)?;
        let description = l10n(description, &o.at("description"), langs)?;
        let cookies = cookie_names(&o)?;
        let mut data = Vec::new();
        if let Some(dv) = o.opt("data") {
            let dpath = o.at("data");
            for (j, item) in array(dv, &dpath)?.iter().enumerate() {
                data.push(owned(l10n(item, &Path::Index(&dpath, j), langs)?));
            }
        }
        categories.push(Category {
            id: cid.into(),
            required,
            title: owned(title),
            description: owned(description),
            cookies,
            services,
            data,
            storage: storage_keys(&o)?,
            sharing: flag(&o, "sharing")?,
        });
    }
    Ok(categories)
}

/// A list of objects with unique ids under `key`, at most [`MAX_PARTIES`].
fn id_list<'v, T>(
    root: &Obj<'v, '_>,
    key: &str,
    fields: &[&str],
    mut each: impl FnMut(&Obj<'v, '_>, &'v str) -> R<T>,
) -> R<Vec<T>> {
    let Some(v) = root.opt(key) else {
        return Ok(Vec::new());
    };
    let path = root.at(key);
    let items = array(v, &path)?;
    if items.len() > MAX_PARTIES {
        return fail(&path, &["at most ", &num(MAX_PARTIES), " entries"]);
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let ipath = Path::Index(&path, i);
        let o = Obj::new(item, &ipath, fields)?;
        let idp = o.at("id");
        let id = id(o.req("id")?, &idp)?;
        if seen.contains(&id) {
            return fail(&idp, &["\"", id, "\" is used twice"]);
        }
        seen.push(id);
        out.push(each(&o, id)?);
    }
    Ok(out)
}

/// A required absolute `https:`/`http:` URL.
fn abs_url<'v>(o: &Obj<'v, '_>, key: &str) -> R<&'v str> {
    let p = o.at(key);
    let u = string(o.req(key)?, &p)?;
    let lower = u.as_bytes();
    let ok = is_web_url(u)
        && (lower.len() > 8 && lower[..8].eq_ignore_ascii_case(b"https://")
            || lower.len() > 7 && lower[..7].eq_ignore_ascii_case(b"http://"));
    if !ok {
        return fail(&p, &["must be an absolute http(s) URL"]);
    }
    Ok(u)
}

fn third_parties(root: &Obj, langs: &[Lang]) -> R<Vec<ThirdParty>> {
    let fields = ["id", "name", "domains", "policyUrl", "country", "collects", "purpose"];
    id_list(root, "thirdParties", &fields, |o, id| {
        let name = l10n(o.req("name")?, &o.at("name"), langs)?;
        let dpath = o.at("domains");
        let ds = array(o.req("domains")?, &dpath)?;
        if ds.is_empty() || ds.len() > 16 {
            return fail(&dpath, &["list 1 to 16 domains"]);
        }
        let mut domains = Vec::with_capacity(ds.len());
        for (j, d) in ds.iter().enumerate() {
            let p = Path::Index(&dpath, j);
            let d = string(d, &p)?;
            let ok = d.len() <= 253
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && all_bytes(d, |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
            if !ok {
                return fail(&p, &["\"", d, "\" is not a lowercase host name such as facebook.com"]);
            }
            domains.push(d.into());
        }
        let policy_url = abs_url(o, "policyUrl")?;
        let cpath = o.at("country");
        let country = string(o.req("country")?, &cpath)?;
        if country.len() != 2 || !all_bytes(country, |b| b.is_ascii_uppercase()) {
            return fail(&cpath, &["use an ISO 3166-1 alpha-2 code such as KZ, RU or US"]);
        }
        let collects = l10n(o.req("collects")?, &o.at("collects"), langs)?;
        let purpose = l10n(o.req("purpose")?, &o.at("purpose"), langs)?;
        Ok(ThirdParty {
            id: id.into(),
            name: owned(name),
            domains,
            policy_url: policy_url.into(),
            country: country.into(),
            collects: owned(collects),
            purpose: owned(purpose),
        })
    })
}

fn oauth(root: &Obj, langs: &[Lang], parties: &[ThirdParty]) -> R<Vec<OAuthProvider>> {
    let fields = ["id", "name", "receives", "policyUrl", "thirdParty"];
    id_list(root, "oauth", &fields, |o, id| {
        let name = l10n(o.req("name")?, &o.at("name"), langs)?;
        let receives = l10n(o.req("receives")?, &o.at("receives"), langs)?;
        let policy_url = abs_url(o, "policyUrl")?;
        let third_party = match o.opt("thirdParty") {
            Some(v) => {
                let p = o.at("thirdParty");
                let tp = self::id(v, &p)?;
                if !parties.iter().any(|t| t.id == tp) {
                    return fail(&p, &["\"", tp, "\" is not a declared third party (thirdParties[].id)"]);
                }
                Some(tp.into())
            }
            None => None,
        };
        Ok(OAuthProvider {
            id: id.into(),
            name: owned(name),
            receives: owned(receives),
            policy_url: policy_url.into(),
            third_party,
        })
    })
}

fn flag(root: &Obj, key: &str) -> R<bool> {
    match root.opt(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => expected(&root.at(key), "true or false", other),
    }
}

fn external_links(root: &Obj) -> R<ExternalLinks> {
    Ok(match pick(root, "externalLinks", &["declared", "all", "off"])? {
        "all" => ExternalLinks::All,
        "off" => ExternalLinks::Off,
        _ => ExternalLinks::Declared,
    })
}

fn cookie(root: &Obj) -> R<CookieOptions> {
    let (mut name, mut domain, mut path) = ("kelisim", None, "/");
    if let Some(v) = root.opt("cookie") {
        let at = root.at("cookie");
        let o = Obj::new(v, &at, &["name", "domain", "path"])?;
        if let Some(v) = o.opt("name") {
            let p = o.at("name");
            name = string(v, &p)?;
            if name.len() > 64 || !all_bytes(name, |b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                return fail(&p, &["use letters, digits, - and _ (at most 64)"]);
            }
        }
        if let Some(v) = o.opt("domain") {
            domain = Some(attr_value(v, &o.at("domain"))?);
        }
        if let Some(v) = o.opt("path") {
            let p = o.at("path");
            path = attr_value(v, &p)?;
            if !path.starts_with('/') {
                return fail(&p, &["must start with /"]);
            }
        }
    }
    Ok(CookieOptions {
        name: name.into(),
        domain: domain.map(Into::into),
        path: path.into(),
    })
}

/// Decodes and validates a config.
pub fn decode(v: &Value) -> R<Config> {
    let root = Obj::new(
        v,
        &Path::Root,
        &[
            "controller",
            "policy",
            "languages",
            "defaultLanguage",
            "categories",
            "cookie",
            "thirdParties",
            "oauth",
            "externalLinks",
            "publicSources",
            "receipts",
            "reloadOnWithdrawal",
            "cookiePaths",
            "consentMode",
            "ui",
        ],
    )?;
    let languages = languages(&root)?;
    let default_language = match root.opt("defaultLanguage") {
        None if languages.contains(&Lang::Kk) => Lang::Kk,
        None => Lang::Ru,
        Some(v) => {
            let path = root.at("defaultLanguage");
            let code = string(v, &path)?;
            match Lang::from_code(code) {
                Some(l) if languages.contains(&l) => l,
                _ => return fail(&path, &["\"", code, "\" is not one of the configured languages"]),
            }
        }
    };
    let langs = &languages[..];
    let controller = controller(&root, langs)?;
    let policy = policy(&root, langs)?;
    let third_parties = third_parties(&root, langs)?;
    let categories = categories(&root, langs, &third_parties)?;
    let cookie = cookie(&root)?;
    let oauth = oauth(&root, langs, &third_parties)?;
    let external_links = external_links(&root)?;
    let public_sources = flag(&root, "publicSources")?;
    let receipts = receipts(&root)?;
    let reload_on_withdrawal = flag(&root, "reloadOnWithdrawal")?;
    let clear_paths = strings(&root, "cookiePaths", true)?;
    let consent_mode = consent_mode(&root, &categories)?;
    let ui = ui(&root)?;
    Ok(Config {
        controller,
        policy,
        languages,
        default_language,
        categories,
        cookie,
        third_parties,
        oauth,
        external_links,
        public_sources,
        receipts,
        reload_on_withdrawal,
        clear_paths,
        consent_mode,
        ui,
    })
}

/// `o[key]`, which must be one of `options`; `options[0]` when absent.
fn pick(o: &Obj, key: &str, options: &[&'static str]) -> R<&'static str> {
    let Some(v) = o.opt(key) else {
        return Ok(options[0]);
    };
    let path = o.at(key);
    let s = string(v, &path)?;
    match options.iter().find(|x| **x == s) {
        Some(x) => Ok(x),
        None => fail(&path, &["\"", s, "\" is not one of: ", &list(options)]),
    }
}

fn ui(root: &Obj) -> R<Ui> {
    let Some(v) = root.opt("ui") else {
        return Ok(Ui::default());
    };
    let at = root.at("ui");
    let o = Obj::new(v, &at, &["layout", "position", "theme"])?;
    Ok(Ui {
        layout: pick(&o, "layout", &LAYOUTS)?,
        position: pick(&o, "position", &POSITIONS)?,
        theme: pick(&o, "theme", &THEMES)?,
    })
}

fn receipts(root: &Obj) -> R<Option<ReceiptsConfig>> {
    let Some(v) = root.opt("receipts") else {
        return Ok(None);
    };
    let at = root.at("receipts");
    let o = Obj::new(v, &at, &["endpoint", "headers", "transport"])?;
    let ep = o.at("endpoint");
    let endpoint = string(o.req("endpoint")?, &ep)?;
    if !is_web_url(endpoint) {
        return fail(&ep, &["must be an http(s) or relative URL"]);
    }
    let transport = match pick(&o, "transport", &["fetch", "beacon"])? {
        "beacon" => Transport::Beacon,
        _ => Transport::Fetch,
    };
    let mut headers = Vec::new();
    if let Some(v) = o.opt("headers") {
        let hp = o.at("headers");
        if transport == Transport::Beacon {
            return fail(&hp, &["not allowed with transport \"beacon\" (sendBeacon cannot set headers)"]);
        }
        let Value::Obj(pairs) = v else {
            return expected(&hp, "an object of header names and values", v);
        };
        for (name, value) in pairs {
            let p = Path::Key(&hp, name);
            let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            if name.is_empty() || !all_bytes(name, token) {
                return fail(&p, &["not a valid header name"]);
            }
            let value = string(value, &p)?;
            if !all_bytes(value, |b| b >= b' ' && b != 0x7f) {
                return fail(&p, &["must not contain control characters"]);
            }
            headers.push((name.clone(), value.into()));
        }
    }
    Ok(Some(ReceiptsConfig {
        endpoint: endpoint.into(),
        headers,
        transport,
    }))
}

/// An optional array of non-empty strings; with `path_like`, each must be a
/// cookie `Path` value (starting with `/`, no spaces, `;` or `,`).
fn strings(o: &Obj, key: &str, path_like: bool) -> R<Vec<String>> {
    let Some(v) = o.opt(key) else {
        return Ok(Vec::new());
    };
    let path = o.at(key);
    let mut out = Vec::new();
    for (i, item) in array(v, &path)?.iter().enumerate() {
        let p = Path::Index(&path, i);
        let s = if path_like { attr_value(item, &p)? } else { string(item, &p)? };
        if path_like && !(s.starts_with('/') && all_bytes(s, |b| b != b' ')) {
            return fail(&p, &["must start with / and hold no spaces"]);
        }
        out.push(s.into());
    }
    Ok(out)
}

/// `storage`: `localStorage` keys or `*` patterns.
fn storage_keys(o: &Obj) -> R<Vec<String>> {
    strings(o, "storage", false)
}

/// `consentMode`: `{enabled, waitForUpdate, regions, mapping}`; `None` when
/// absent or `enabled: false`.
fn consent_mode(root: &Obj, categories: &[Category]) -> R<Option<ConsentMode>> {
    let Some(v) = root.opt("consentMode") else {
        return Ok(None);
    };
    let at = root.at("consentMode");
    let o = Obj::new(v, &at, &["enabled", "waitForUpdate", "regions", "mapping"])?;
    let enabled = match o.opt("enabled") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => return expected(&o.at("enabled"), "true or false", other),
    };
    let wait_for_update = match o.opt("waitForUpdate") {
        None => 0,
        Some(Value::Num(n)) if *n >= 0.0 && *n <= 60_000.0 && *n == (*n as u32) as f64 => *n as u32,
        Some(other) => return expected(&o.at("waitForUpdate"), "0 to 60000 (ms)", other),
    };
    let regions = strings(&o, "regions", false)?;
    let mut mapping = DEFAULT_MAPPING.map(String::from);
    if let Some(m) = o.opt("mapping") {
        let mp = o.at("mapping");
        let mo = Obj::new(m, &mp, &SIGNALS)?;
        for (slot, signal) in mapping.iter_mut().zip(SIGNALS) {
            if let Some(v) = mo.opt(signal) {
                let p = mo.at(signal);
                let id = string(v, &p)?;
                let known = categories.iter().any(|c| c.id == id || c.services.iter().any(|s| s.id == id));
                if !known {
                    return fail(&p, &["unknown id \"", id, "\""]);
                }
                *slot = id.into();
            }
        }
    }
    Ok(enabled.then_some(ConsentMode { wait_for_update, regions, mapping }))
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

    /// `config` is below `gate` (gate reads the config; the config never
    /// reads gate), so the two modules have no import cycle.
    #[test]
    fn config_does_not_import_gate() {
        let src = include_str!("config.rs");
        for needle in [concat!("super::", "gate"), concat!("crate::", "gate")] {
            assert!(!src.contains(needle), "config.rs uses {needle}");
        }
    }

    #[test]
    fn config_and_policy_share_one_field_error() {
        let c: FieldError = decode(&Value::Null).unwrap_err();
        assert_eq!(c.to_string(), "config: expected an object, got null");
        let p: FieldError = crate::policy::decode(&Value::Null).unwrap_err();
        assert_eq!((p.doc, p.path.as_str()), (Doc::Policy, ""));
        assert!(p.to_string().starts_with("policy: "), "{p}");
        let mut v = sample();
        set(&mut v, &["categories", "0", "id"], Some(Value::str("Bad Id")));
        let e: ConfigError = decode(&v).unwrap_err();
        assert_eq!((e.doc, e.path.as_str()), (Doc::Config, "categories[0].id"));
    }

    #[test]
    fn controller_fields_that_reach_receipts_are_checked() {
        let with = |field: &str, value: &str| {
            let mut v = sample();
            set(&mut v, &["controller", field], Some(Value::str(value)));
            decode(&v).map(|_| ()).map_err(|e| e.to_string())
        };
        for ok in ["https://sapar.example.kz", "http://sapar.example.kz/about", "HTTPS://X.KZ"] {
            assert_eq!(with("url", ok), Ok(()), "{ok}");
        }
        for bad in ["javascript:alert(1)", "/about", "data:text/html,x", "https:// x.kz", "java\tscript:alert(1)", "ftp://x.kz"] {
            assert_eq!(with("url", bad), Err("controller.url: must be an absolute http(s) URL".into()), "{bad}");
        }
        for ok in ["privacy@sapar.example.kz", "a.b+c@x.kz", "дербес@сапар.қаз"] {
            assert_eq!(with("email", ok), Ok(()), "{ok}");
        }
        for bad in ["privacy", "@x.kz", "a@", "a@kz", "a@@x.kz", "a b@x.kz", "a@x..kz", "<a@x.kz>", "a@-x.kz", "a@x.kz\n"] {
            let e = with("email", bad).unwrap_err();
            assert!(e.starts_with("controller.email: ") && e.contains("is not an e-mail address"), "{bad}: {e}");
        }
        for ok in ["+7 727 355 14 20", "+7 (727) 355-14-20", "8.727.355.14.20", "tel:+7-727-355-14-20", "tel:355-14-20;phone-context=+7", "112"] {
            assert_eq!(with("phone", ok), Ok(()), "{ok}");
        }
        for bad in ["call us", "+7 727 355 14 20 ext", "12", "+1234567890123456", "tel:+7 727", "javascript:1", "++7 727", "+7\u{202e}727", "tel:+7;;x"] {
            let e = with("phone", bad).unwrap_err();
            assert!(e.starts_with("controller.phone: ") && e.contains("is not a phone number"), "{bad}: {e}");
        }
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
    fn messages_with_numbers_and_lists_are_exact() {
        let cases: Vec<(Vec<&str>, Value, &str)> = vec![
            (
                vec!["policy", "revision"],
                Value::Num(-1.0),
                "policy.revision: expected a whole number from 0 to 2147483647, got a number",
            ),
            (
                vec!["categories", "1", "id"],
                Value::str("A"),
                "categories[1].id: \"A\" is not a valid id (use a-z, 0-9, - and _, at most 32 characters)",
            ),
            (
                vec!["categories", "0", "cookies"],
                Value::Bool(true),
                "categories[0].cookies: expected an array of cookie names, got a boolean",
            ),
            (
                vec!["policy", "extra"],
                Value::Null,
                "policy.extra: unknown field (expected one of: version, revision, url, document)",
            ),
        ];
        for (path, value, expected) in cases {
            let mut v = sample();
            set(&mut v, &path, Some(value));
            assert_eq!(error_of(&v), expected);
        }
        let mut v = sample();
        let many = Value::Arr((0..17).map(|_| Value::Null).collect());
        set(&mut v, &["categories"], Some(many));
        assert_eq!(error_of(&v), "categories: at most 16 categories");
        let mut v = sample();
        let svc = |i: usize| {
            Value::obj([
                ("id", Value::str(format!("s{i}"))),
                ("title", t("a", "b")),
                ("description", t("c", "d")),
            ])
        };
        set(&mut v, &["categories", "1", "services"], Some(Value::Arr((0..65).map(svc).collect())));
        assert_eq!(error_of(&v), "categories[1].services[64]: at most 64 services in all");
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
    fn policy_urls_must_be_web_urls() {
        for bad in ["javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x", " javascript:x", "java\tscript:x", "vbscript:x"] {
            assert!(!is_web_url(bad), "{bad:?} accepted");
            let mut v = sample();
            set(&mut v, &["policy", "url", "ru"], Some(Value::str(bad)));
            assert_eq!(error_of(&v), "policy.url.ru: must be an http(s) or relative URL");
        }
        for good in ["/privacy/kk.html", "privacy.html", "https://example.kz/p", "HTTP://x", "/a?b=c:d", "#policy", "//cdn.example.kz/p"] {
            assert!(is_web_url(good), "{good:?} refused");
        }
    }

    fn party(id: &str, domains: &[&str]) -> Value {
        Value::obj([
            ("id", Value::str(id)),
            ("name", t("Meta", "Meta")),
            ("domains", Value::Arr(domains.iter().map(|d| Value::str(*d)).collect())),
            ("policyUrl", Value::str("https://www.facebook.com/privacy/policy/")),
            ("country", Value::str("US")),
            ("collects", t("Профиль", "Профиль")),
            ("purpose", t("Жарнама", "Реклама")),
        ])
    }

    #[test]
    fn third_parties_oauth_and_data_decode() {
        let mut v = sample();
        set(&mut v, &["thirdParties"], Some(Value::Arr(vec![party("meta", &["facebook.com", "fb.com"])])));
        set(&mut v, &["categories", "2", "services", "0", "thirdParty"], Some(Value::str("meta")));
        set(
            &mut v,
            &["categories", "1", "data"],
            Some(Value::Arr(vec![t("IP мекенжайы", "IP-адрес"), t("Қаралған беттер", "Просмотренные страницы")])),
        );
        set(
            &mut v,
            &["oauth"],
            Some(Value::Arr(vec![Value::obj([
                ("id", Value::str("facebook")),
                ("name", t("Facebook", "Facebook")),
                ("receives", t("Аты, email", "Имя, email")),
                ("policyUrl", Value::str("https://www.facebook.com/privacy/policy/")),
                ("thirdParty", Value::str("meta")),
            ])])),
        );
        set(&mut v, &["externalLinks"], Some(Value::str("all")));
        set(&mut v, &["publicSources"], Some(Value::Bool(true)));
        let c = decode(&v).unwrap();
        assert_eq!(c.third_parties[0].domains, vec!["facebook.com", "fb.com"]);
        assert_eq!(c.categories[2].services[0].third_party.as_deref(), Some("meta"));
        assert_eq!(c.categories[1].data[1].get(Lang::Ru), "Просмотренные страницы");
        assert_eq!(c.oauth[0].third_party.as_deref(), Some("meta"));
        assert_eq!(c.external_links, ExternalLinks::All);
        assert!(c.public_sources);
        assert_eq!(c.party_for_host("m.facebook.com").map(|p| p.id.as_str()), Some("meta"));
        assert_eq!(c.party_for_host("FB.COM.").map(|p| p.id.as_str()), Some("meta"));
        assert!(c.party_for_host("notfacebook.com").is_none());
        assert!(c.party_for_host("facebook.com.evil.kz").is_none());
        let d = decode(&sample()).unwrap();
        assert_eq!((d.external_links, d.public_sources, d.third_parties.len()), (ExternalLinks::Declared, false, 0));
    }

    #[test]
    fn third_party_errors_are_named() {
        let cases: Vec<(Vec<&str>, Value, &str)> = vec![
            (vec!["categories", "1", "services", "0", "thirdParty"], Value::str("meta"), "categories[1].services[0].thirdParty: \"meta\" is not a declared third party"),
            (vec!["thirdParties"], Value::Arr(vec![party("meta", &["Facebook.com"])]), "thirdParties[0].domains[0]: \"Facebook.com\" is not a lowercase host name"),
            (vec!["thirdParties"], Value::Arr(vec![party("meta", &[])]), "thirdParties[0].domains: list 1 to 16 domains"),
            (vec!["thirdParties"], Value::Arr(vec![party("meta", &["a.kz"]), party("meta", &["b.kz"])]), "thirdParties[1].id: \"meta\" is used twice"),
            (vec!["externalLinks"], Value::str("some"), "externalLinks: \"some\" is not one of: declared, all, off"),
            (vec!["publicSources"], Value::str("no"), "publicSources: expected true or false"),
            (vec!["categories", "1", "data"], Value::Arr(vec![Value::str("IP")]), "categories[1].data[0]: expected an object"),
        ];
        for (path, value, expected) in cases {
            let mut v = sample();
            set(&mut v, &path, Some(value));
            let e = error_of(&v);
            assert!(e.starts_with(expected), "{path:?}: got {e:?}, want {expected:?}");
        }
        let mut p = party("meta", &["a.kz"]);
        set(&mut p, &["policyUrl"], Some(Value::str("javascript:alert(1)")));
        let mut v = sample();
        set(&mut v, &["thirdParties"], Some(Value::Arr(vec![p])));
        assert_eq!(error_of(&v), "thirdParties[0].policyUrl: must be an absolute http(s) URL");
        let mut p = party("meta", &["a.kz"]);
        set(&mut p, &["country"], Some(Value::str("usa")));
        let mut v = sample();
        set(&mut v, &["thirdParties"], Some(Value::Arr(vec![p])));
        assert_eq!(error_of(&v), "thirdParties[0].country: use an ISO 3166-1 alpha-2 code such as KZ, RU or US");
    }

    #[test]
    fn host_in_domain_matches_labels_only() {
        assert!(host_in_domain("vk.com", "vk.com"));
        assert!(host_in_domain("m.vk.com", "vk.com"));
        assert!(!host_in_domain("evilvk.com", "vk.com"));
        assert!(!host_in_domain("vk.com.kz", "vk.com"));
        assert!(!host_in_domain("com", "vk.com"));
    }

    #[test]
    fn gating_fields_decode_with_defaults_and_named_errors() {
        let c = decode(&sample()).unwrap();
        assert!(!c.reload_on_withdrawal && c.clear_paths.is_empty() && c.consent_mode.is_none());
        assert!(c.categories.iter().all(|c| !c.sharing && c.storage.is_empty()));
        let mut v = sample();
        set(&mut v, &["reloadOnWithdrawal"], Some(Value::Bool(true)));
        set(&mut v, &["cookiePaths"], Some(Value::Arr(vec![Value::str("/shop")])));
        set(&mut v, &["categories", "2", "sharing"], Some(Value::Bool(true)));
        set(&mut v, &["categories", "1", "services", "0", "storage"], Some(Value::Arr(vec![Value::str("ym_*")])));
        set(&mut v, &["consentMode"], Some(Value::obj([
            ("waitForUpdate", Value::Num(500.0)),
            ("regions", Value::Arr(vec![Value::str("KZ"), Value::str("US-CA")])),
            ("mapping", Value::obj([("ad_user_data", Value::str("facebook-pixel"))])),
        ])));
        let c = decode(&v).unwrap();
        assert!(c.reload_on_withdrawal && c.categories[2].sharing);
        assert_eq!(c.clear_paths, ["/shop"]);
        assert_eq!(c.categories[1].services[0].storage, ["ym_*"]);
        let m = c.consent_mode.unwrap();
        assert_eq!((m.wait_for_update, m.regions.len()), (500, 2));
        assert_eq!(m.mapping, ["marketing", "facebook-pixel", "marketing", "analytics", "preferences", "preferences"]);
        let mut off = sample();
        set(&mut off, &["consentMode"], Some(Value::obj([("enabled", Value::Bool(false))])));
        assert!(decode(&off).unwrap().consent_mode.is_none());

        let cases: Vec<(Vec<&str>, Value, &str)> = vec![
            (vec!["reloadOnWithdrawal"], Value::str("yes"), "reloadOnWithdrawal: expected true or false, got a string"),
            (vec!["categories", "2", "sharing"], Value::Num(1.0), "categories[2].sharing: expected true or false, got a number"),
            (vec!["categories", "1", "storage"], Value::Arr(vec![Value::str("")]), "categories[1].storage[0]: must not be empty"),
            (vec!["cookiePaths"], Value::Arr(vec![Value::str("shop")]), "cookiePaths[0]: must start with /"),
            (vec!["cookiePaths"], Value::Arr(vec![Value::str("/a;b")]), "cookiePaths[0]: must not contain"),
            (vec!["cookiePaths"], Value::str("/shop"), "cookiePaths: expected an array, got a string"),
            (vec!["consentMode"], Value::obj([("waitForUpdate", Value::Num(-1.0))]), "consentMode.waitForUpdate: expected 0 to 60000 (ms), got a number"),
            (vec!["consentMode"], Value::obj([("regions", Value::Arr(vec![Value::Num(1.0)]))]), "consentMode.regions[0]: expected a string"),
            (vec!["consentMode"], Value::obj([("mapping", Value::obj([("ad_storage", Value::str("nope"))]))]), "consentMode.mapping.ad_storage: unknown id \"nope\""),
            (vec!["consentMode"], Value::obj([("mapping", Value::obj([("security_storage", Value::str("necessary"))]))]), "consentMode.mapping.security_storage: unknown field (expected one of: ad_storage, ad_user_data,"),
        ];
        for (path, value, expected) in cases {
            let mut v = sample();
            set(&mut v, &path, Some(value));
            let e = error_of(&v);
            assert!(e.starts_with(expected), "{path:?}: got {e:?}, want {expected:?}");
        }
    }

    #[test]
    fn tags_match_by_primary_subtag() {
        assert_eq!(Lang::from_tag("kk-KZ"), Some(Lang::Kk));
        assert_eq!(Lang::from_tag("kk-Cyrl-KZ"), Some(Lang::Kk));
        assert_eq!(Lang::from_tag("RU"), Some(Lang::Ru));
        assert_eq!(Lang::from_tag("en-US"), None);
        assert_eq!(Lang::from_tag(""), None);
        assert_eq!(Lang::from_tag("kk_KZ"), Some(Lang::Kk));
        assert_eq!(Lang::from_tag(" ru _RU-x"), Some(Lang::Ru));
        assert_eq!(Lang::from_tag("en_kk-ru"), None);
    }

    #[test]
    fn policy_document_is_one_url_or_one_per_language() {
        let c = decode(&sample()).unwrap();
        assert_eq!(c.policy.document, None);
        let mut v = sample();
        set(&mut v, &["policy", "document"], Some(Value::str("/policy/policy.json")));
        let d = decode(&v).unwrap().policy.document.unwrap();
        assert_eq!((d.kk.as_str(), d.ru.as_str()), ("/policy/policy.json", "/policy/policy.json"));
        set(&mut v, &["policy", "document"], Some(t("/p/kk.json", "https://cdn.example.kz/ru.json")));
        let d = decode(&v).unwrap().policy.document.unwrap();
        assert_eq!((d.get(Lang::Kk), d.get(Lang::Ru)), ("/p/kk.json", "https://cdn.example.kz/ru.json"));
        let cases: Vec<(Value, &str)> = vec![
            (Value::str("javascript:alert(1)"), "policy.document: must be an http(s) or relative URL"),
            (t("/kk.json", "data:application/json,{}"), "policy.document.ru: must be an http(s) or relative URL"),
            (Value::obj([("kk", Value::str("/kk.json"))]), "policy.document.ru: missing"),
            (Value::Num(1.0), "policy.document: expected a URL or {kk, ru} URLs, got a number"),
            (Value::str(" "), "policy.document: must not be empty"),
        ];
        for (value, want) in cases {
            set(&mut v, &["policy", "document"], Some(value));
            assert_eq!(error_of(&v), want);
        }
    }

    #[test]
    fn ui_defaults_values_and_errors() {
        let d = decode(&sample()).unwrap().ui;
        assert_eq!(d, Ui::default());
        assert_eq!((d.layout, d.position, d.theme), ("box", "bottom-center", "auto"));
        let mut v = sample();
        set(
            &mut v,
            &["ui"],
            Some(Value::obj([("layout", Value::str("bar")), ("position", Value::str("top-right")), ("theme", Value::str("dark"))])),
        );
        let u = decode(&v).unwrap().ui;
        assert_eq!((u.layout, u.position, u.theme), ("bar", "top-right", "dark"));
        for (key, options) in [("layout", &LAYOUTS[..]), ("position", &POSITIONS[..]), ("theme", &THEMES[..])] {
            for o in options {
                set(&mut v, &["ui"], Some(Value::obj([(key, Value::str(*o))])));
                let u = decode(&v).unwrap().ui;
                assert_eq!([u.layout, u.position, u.theme].iter().filter(|x| *x == o).count(), 1, "{key} {o}");
            }
        }
        set(&mut v, &["ui"], Some(Value::obj::<&str>([])));
        assert_eq!(decode(&v).unwrap().ui, Ui::default());
        // Every vertical with every horizontal, nothing else.
        let mut all: Vec<String> = Vec::new();
        for v in ["top", "middle", "bottom"] {
            for h in ["left", "center", "right"] {
                all.push([v, "-", h].concat());
            }
        }
        let mut positions: Vec<String> = POSITIONS.iter().map(|p| String::from(*p)).collect();
        positions.sort();
        all.sort();
        assert_eq!(positions, all);
        let cases: Vec<(Value, String)> = vec![
            (Value::obj([("layout", Value::str("grid"))]), "ui.layout: \"grid\" is not one of: box, bar, wide".into()),
            (Value::obj([("layout", Value::Num(1.0))]), "ui.layout: expected a string, got a number".into()),
            (Value::obj([("theme", Value::str("Dark"))]), "ui.theme: \"Dark\" is not one of: auto, light, dark".into()),
            (Value::obj([("position", Value::str("bottom"))]), ["ui.position: \"bottom\" is not one of: ", &list(&POSITIONS)].concat()),
            (Value::obj([("position", Value::str("center-middle"))]), ["ui.position: \"center-middle\" is not one of: ", &list(&POSITIONS)].concat()),
            (Value::obj([("colour", Value::str("red"))]), "ui.colour: unknown field (expected one of: layout, position, theme)".into()),
            (Value::str("bar"), "ui: expected an object, got a string".into()),
        ];
        for (value, want) in cases {
            set(&mut v, &["ui"], Some(value));
            assert_eq!(error_of(&v), want);
        }
    }
}
