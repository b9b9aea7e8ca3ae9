//! The policy document format, version 1: a privacy policy in Kazakh and/or
//! Russian as numbered clauses, paragraphs, lists and tables.
//!
//! One JSON file holds the whole policy. The importer (`kelisim-policy`) writes
//! it from plain text or Markdown; the SDK's policy view reads it. Both go
//! through [`decode`] and [`encode`] here, so there is one definition of the
//! format. The JSON Schema is `schema/kelisim-policy-v1.schema.json`; docs/policy.md
//! documents it for people.
//!
//! ```
//! use kelisim_core::{policy, value::Value};
//! let span = |t: &str| Value::obj([("text", Value::str(t))]);
//! let para = |t: &str| Value::obj([
//!     ("type", Value::str("paragraph")),
//!     ("spans", Value::Arr(vec![span(t)])),
//! ]);
//! let section = |clause: &str, number: &str, subs: Vec<Value>| Value::obj([
//!     ("clause", Value::str(clause)),
//!     ("number", Value::str(number)),
//!     ("blocks", Value::Arr(vec![para("Мәтін")])),
//!     ("sections", Value::Arr(subs)),
//! ]);
//! let v = Value::obj([
//!     ("format", Value::str("kelisim-policy")),
//!     ("formatVersion", Value::Num(1.0)),
//!     ("controller", Value::obj([("name", Value::obj([("kk", Value::str("«Сапар» ЖШС"))]))])),
//!     ("version", Value::str("1.0")),
//!     ("texts", Value::obj([("kk", Value::obj([
//!         ("title", Value::str("Құпиялылық саясаты")),
//!         ("sections", Value::Arr(vec![
//!             section("1", "1.", vec![section("1.1", "1.1.", vec![])]),
//!             section("3", "3.", vec![]),
//!         ])),
//!     ]))])),
//! ]);
//! let doc = policy::decode(&v).unwrap();
//! let kk = doc.kk.as_ref().unwrap();
//! assert!(policy::find(kk, "1.1"));
//! assert_eq!(policy::nearest(kk, "1.1.4"), Some("1.1"));
//! assert_eq!(policy::nearest(kk, "2.5"), Some("3"));
//! assert_eq!(policy::encode(&doc), v);
//! assert_eq!(policy::safe_href("javascript:alert(1)"), None);
//! ```

use super::config::{array, expected, fail, opt_string, string, Doc, FieldError, Lang, L10n, Obj, R};
use super::value::{all_bytes, char_is, Path, Value};
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// The value of the `format` field.
pub const FORMAT: &str = "kelisim-policy";
/// The format version this module reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// How deeply sections and lists may nest (a guard against hostile files).
pub const MAX_DEPTH: usize = 24;

/// A whole policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDoc {
    /// The personal-data operator the policy is about.
    pub controller: PolicyController,
    /// Edition label shown to people, e.g. `1.0`.
    pub version: String,
    /// The date the edition takes effect, `YYYY-MM-DD`, when known.
    pub effective: Option<String>,
    /// Which text prevails when the two languages differ.
    pub prevails: Option<Lang>,
    /// Earlier editions, as written in the file (newest first by convention).
    pub previous: Vec<Edition>,
    /// The Kazakh text.
    pub kk: Option<Text>,
    /// The Russian text.
    pub ru: Option<Text>,
}

impl PolicyDoc {
    /// The text in `lang`, if the document has it.
    pub fn text(&self, lang: Lang) -> Option<&Text> {
        match lang {
            Lang::Kk => self.kk.as_ref(),
            Lang::Ru => self.ru.as_ref(),
        }
    }
}

/// The operator as the policy names it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyController {
    /// Legal name per language; empty for a language the document lacks.
    pub name: L10n,
    /// Business identification number (12 digits), when known.
    pub bin: Option<String>,
}

/// An earlier edition of the policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Edition {
    /// Its edition label.
    pub version: String,
    /// The date it took effect, `YYYY-MM-DD`, when known.
    pub effective: Option<String>,
    /// Where it can still be read: relative, `http:` or `https:`.
    pub url: String,
}

/// The policy in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    /// The document's title.
    pub title: String,
    /// Blocks before the first numbered clause.
    pub intro: Vec<Block>,
    /// The top-level numbered clauses.
    pub sections: Vec<Section>,
}

/// A numbered clause with its text and sub-clauses.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Normalised id: digits and dots without a trailing dot (`3.4.1`). Ids may
    /// repeat when the source repeats a number.
    pub clause: String,
    /// The number exactly as written (`3.4.1.`): the clause, optionally
    /// followed by one dot.
    pub number: String,
    /// The heading, if the clause has one.
    pub heading: Option<Vec<Span>>,
    /// The clause's own text.
    pub blocks: Vec<Block>,
    /// Nested clauses; each one's id starts with this clause's id and a dot.
    pub sections: Vec<Section>,
}

/// A block of text.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph (`"type": "paragraph"`).
    Paragraph(Vec<Span>),
    /// A bulleted or numbered list (`"type": "list"`).
    List {
        /// Numbered (`1)`, `а)`) rather than bulleted.
        ordered: bool,
        /// The items, at least one.
        items: Vec<ListItem>,
    },
    /// A table (`"type": "table"`).
    Table {
        /// Whether the first row is a header row.
        header: bool,
        /// Rows of cells; each cell is a run of spans (possibly none).
        rows: Vec<Vec<Vec<Span>>>,
    },
}

/// One item of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    /// The marker as written (`1)`, `а)`), for ordered items that had one.
    pub marker: Option<String>,
    /// The item's content; nested lists are blocks here.
    pub blocks: Vec<Block>,
}

/// A run of text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Span {
    /// The text (never empty).
    pub text: String,
    /// Shown in bold.
    pub strong: bool,
    /// A link target as written in the file; render it only through [`safe_href`].
    pub href: Option<String>,
}

impl Span {
    /// A plain span.
    pub fn plain(text: impl Into<String>) -> Span {
        Span {
            text: text.into(),
            strong: false,
            href: None,
        }
    }
}

/// A policy document that does not follow the format: the config's
/// [`FieldError`], with [`Doc::Policy`]. Its path: `texts.kk.sections[2].blocks[0].type`.
pub type PolicyError = FieldError;

/// The href if a link to it is safe to render: an `https:`, `http:`,
/// `mailto:` or `tel:` URL (scheme in any case) without whitespace or control
/// characters. Anything else (`javascript:`, `data:`, relative) is `None` and
/// is shown as plain text.
pub fn safe_href(href: &str) -> Option<&str> {
    let b = href.as_bytes();
    if b.iter().any(|&c| c <= b' ' || c == 0x7f) {
        return None;
    }
    let colon = b.iter().position(|&c| c == b':')?;
    let scheme = &b[..colon];
    let ok = [&b"https"[..], b"http", b"mailto", b"tel"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s));
    if ok && colon + 1 < b.len() {
        Some(href)
    } else {
        None
    }
}

/// Whether a section with id `clause` exists anywhere in `text`.
pub fn find(text: &Text, clause: &str) -> bool {
    first(&text.sections, &mut |s| s.clause == clause).is_some()
}

/// The clause to show for `clause` in `text`: the same clause, else its
/// deepest existing ancestor (`3.4.1` → `3.4` → `3`), else the first clause in
/// document order that comes after it in numbering, else `None`.
pub fn nearest<'a>(text: &'a Text, clause: &str) -> Option<&'a str> {
    let mut want = clause;
    loop {
        if let Some(s) = first(&text.sections, &mut |s| s.clause == want) {
            return Some(&s.clause);
        }
        // `rsplit_once` cuts without a char-boundary check, whose panic
        // message would pull the formatting machinery into the wasm module.
        match want.rsplit_once(char_is('.')) {
            Some((parent, _)) => want = parent,
            None => break,
        }
    }
    first(&text.sections, &mut |s| compare_clauses(&s.clause, clause) == Ordering::Greater)
        .map(|s| s.clause.as_str())
}

/// Every clause id of `text` in document order (a clause before its sub-clauses).
pub fn clauses(text: &Text) -> Vec<&str> {
    let mut out = Vec::new();
    first(&text.sections, &mut |s| {
        out.push(s.clause.as_str());
        false
    });
    out
}

/// The first section in document order for which `pick` is true.
fn first<'a>(sections: &'a [Section], pick: &mut dyn FnMut(&'a Section) -> bool) -> Option<&'a Section> {
    for s in sections {
        if pick(s) {
            return Some(s);
        }
        if let Some(found) = first(&s.sections, pick) {
            return Some(found);
        }
    }
    None
}

/// Orders clause ids by their numbers, part by part (`3.9` < `3.10` < `4`, and
/// `3` < `3.1`). Leading zeros do not count.
pub fn compare_clauses(a: &str, b: &str) -> Ordering {
    let mut xs = a.split(char_is('.'));
    let mut ys = b.split(char_is('.'));
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let x = x.trim_start_matches(char_is('0'));
                let y = y.trim_start_matches(char_is('0'));
                let o = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Whether `s` is a clause id: numbers joined by single dots (`3.4.1`).
pub fn is_clause(s: &str) -> bool {
    !s.is_empty() && s.split(char_is('.')).all(|part| !part.is_empty() && all_bytes(part, |b| b.is_ascii_digit()))
}

/// Whether `s` is a calendar date written `YYYY-MM-DD`.
pub fn is_iso_date(s: &str) -> bool {
    // `parse_iso` checks the same (digits, month range, days in the month)
    // without slicing by ranges, whose panic path is large in wasm.
    s.len() == 10 && super::time::parse_iso(s).is_some()
}

// ---------------------------------------------------------------- decoding

/// Decodes and validates a policy document.
pub fn decode(v: &Value) -> Result<PolicyDoc, PolicyError> {
    doc(v).map_err(|e| FieldError { doc: Doc::Policy, ..e })
}

fn doc(v: &Value) -> R<PolicyDoc> {
    let root = Obj::new(
        v,
        &Path::Root,
        &["format", "formatVersion", "controller", "version", "effective", "prevails", "previous", "texts"],
    )?;
    let fpath = root.at("format");
    if string(root.req("format")?, &fpath)? != FORMAT {
        return fail(&fpath, &["must be \"kelisim-policy\""]);
    }
    match root.req("formatVersion")? {
        Value::Num(n) if *n == FORMAT_VERSION as f64 => {}
        Value::Num(_) => return fail(&root.at("formatVersion"), &["unsupported version (this reader knows version 1)"]),
        other => return expected(&root.at("formatVersion"), "a number", other),
    }
    let version = string(root.req("version")?, &root.at("version"))?;
    let effective = date(&root, "effective")?;
    let prevails = match root.opt("prevails") {
        None => None,
        Some(v) => {
            let p = root.at("prevails");
            match Lang::from_code(string(v, &p)?) {
                Some(l) => Some(l),
                None => return fail(&p, &["must be \"kk\" or \"ru\""]),
            }
        }
    };
    let previous = previous(&root)?;
    let tpath = root.at("texts");
    let t = Obj::new(root.req("texts")?, &tpath, &["kk", "ru"])?;
    let mut texts = [None, None];
    for (slot, lang) in texts.iter_mut().zip(Lang::ALL) {
        if let Some(v) = t.opt(lang.code()) {
            *slot = Some(text(v, &t.at(lang.code()))?);
        }
    }
    let [kk, ru] = texts;
    if kk.is_none() && ru.is_none() {
        return fail(&tpath, &["must have a \"kk\" or \"ru\" text"]);
    }
    let controller = controller(&root, [kk.is_some(), ru.is_some()])?;
    Ok(PolicyDoc {
        controller,
        version: version.into(),
        effective: effective.map(Into::into),
        prevails,
        previous,
        kk,
        ru,
    })
}

fn date<'v>(o: &Obj<'v, '_>, key: &str) -> R<Option<&'v str>> {
    let d = opt_string(o, key)?;
    if let Some(d) = d {
        if !is_iso_date(d) {
            return fail(&o.at(key), &["\"", d, "\" is not a date written YYYY-MM-DD"]);
        }
    }
    Ok(d)
}

fn controller(root: &Obj, has: [bool; 2]) -> R<PolicyController> {
    let path = root.at("controller");
    let c = Obj::new(root.req("controller")?, &path, &["name", "bin"])?;
    let npath = c.at("name");
    let n = Obj::new(c.req("name")?, &npath, &["kk", "ru"])?;
    let mut name = [""; 2];
    for ((slot, lang), needed) in name.iter_mut().zip(Lang::ALL).zip(has) {
        let found = if needed { Some(n.req(lang.code())?) } else { n.opt(lang.code()) };
        if let Some(v) = found {
            *slot = string(v, &n.at(lang.code()))?;
        }
    }
    let bin = opt_string(&c, "bin")?;
    if let Some(b) = bin {
        if b.len() != 12 || !all_bytes(b, |b| b.is_ascii_digit()) {
            return fail(&c.at("bin"), &["a BIN is exactly 12 digits"]);
        }
    }
    Ok(PolicyController {
        name: L10n {
            kk: name[0].into(),
            ru: name[1].into(),
        },
        bin: bin.map(Into::into),
    })
}

fn previous(root: &Obj) -> R<Vec<Edition>> {
    let Some(v) = root.opt("previous") else {
        return Ok(Vec::new());
    };
    let path = root.at("previous");
    let mut out = Vec::new();
    for (i, item) in array(v, &path)?.iter().enumerate() {
        let p = Path::Index(&path, i);
        let o = Obj::new(item, &p, &["version", "effective", "url"])?;
        let version = string(o.req("version")?, &o.at("version"))?;
        let effective = date(&o, "effective")?;
        let upath = o.at("url");
        let url = string(o.req("url")?, &upath)?;
        if !super::config::is_web_url(url) {
            return fail(&upath, &["must be an http(s) or relative URL"]);
        }
        out.push(Edition {
            version: version.into(),
            effective: effective.map(Into::into),
            url: url.into(),
        });
    }
    Ok(out)
}

fn text(v: &Value, path: &Path) -> R<Text> {
    let o = Obj::new(v, path, &["title", "intro", "sections"])?;
    let title = string(o.req("title")?, &o.at("title"))?;
    let intro = match o.opt("intro") {
        Some(v) => blocks(v, &o.at("intro"), 0)?,
        None => Vec::new(),
    };
    let sections = sections(o.req("sections")?, &o.at("sections"), None, 0)?;
    Ok(Text {
        title: title.into(),
        intro,
        sections,
    })
}

fn too_deep<T>(path: &Path) -> R<T> {
    fail(path, &["nested too deeply"])
}

fn sections(v: &Value, path: &Path, parent: Option<&str>, depth: usize) -> R<Vec<Section>> {
    if depth > MAX_DEPTH {
        return too_deep(path);
    }
    let mut out = Vec::new();
    for (i, item) in array(v, path)?.iter().enumerate() {
        let p = Path::Index(path, i);
        let o = Obj::new(item, &p, &["clause", "number", "heading", "blocks", "sections"])?;
        let cpath = o.at("clause");
        let clause = string(o.req("clause")?, &cpath)?;
        if !is_clause(clause) {
            return fail(&cpath, &["\"", clause, "\" is not a clause id (numbers joined by dots, like 3.4.1)"]);
        }
        if let Some(parent) = parent {
            let inside = clause.len() > parent.len() + 1
                && clause.starts_with(parent)
                && clause.as_bytes().get(parent.len()) == Some(&b'.');
            if !inside {
                return fail(&cpath, &["\"", clause, "\" is not a sub-clause of \"", parent, "\""]);
            }
        }
        let npath = o.at("number");
        let number = string(o.req("number")?, &npath)?;
        if number.strip_suffix('.').unwrap_or(number) != clause {
            return fail(&npath, &["\"", number, "\" does not match the clause \"", clause, "\""]);
        }
        let heading = match o.opt("heading") {
            Some(v) => Some(spans(v, &o.at("heading"))?),
            None => None,
        };
        let blocks = match o.opt("blocks") {
            Some(v) => blocks(v, &o.at("blocks"), depth + 1)?,
            None => Vec::new(),
        };
        let subs = match o.opt("sections") {
            Some(v) => sections(v, &o.at("sections"), Some(clause), depth + 1)?,
            None => Vec::new(),
        };
        out.push(Section {
            clause: clause.into(),
            number: number.into(),
            heading,
            blocks,
            sections: subs,
        });
    }
    Ok(out)
}

fn flag(o: &Obj, key: &str) -> R<bool> {
    match o.opt(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => expected(&o.at(key), "true or false", other),
    }
}

fn blocks(v: &Value, path: &Path, depth: usize) -> R<Vec<Block>> {
    if depth > MAX_DEPTH {
        return too_deep(path);
    }
    let mut out = Vec::new();
    for (i, item) in array(v, path)?.iter().enumerate() {
        let p = Path::Index(path, i);
        let Value::Obj(_) = item else {
            return expected(&p, "an object", item);
        };
        let tpath = Path::Key(&p, "type");
        let ty = match item.get("type") {
            Some(t) if !t.is_null() => string(t, &tpath)?,
            _ => return fail(&tpath, &["missing"]),
        };
        let block = match ty {
            "paragraph" => {
                let o = Obj::new(item, &p, &["type", "spans"])?;
                Block::Paragraph(spans(o.req("spans")?, &o.at("spans"))?)
            }
            "list" => {
                let o = Obj::new(item, &p, &["type", "ordered", "items"])?;
                let ordered = flag(&o, "ordered")?;
                let ipath = o.at("items");
                let list = array(o.req("items")?, &ipath)?;
                if list.is_empty() {
                    return fail(&ipath, &["must have at least one item"]);
                }
                let mut items = Vec::with_capacity(list.len());
                for (j, it) in list.iter().enumerate() {
                    let ip = Path::Index(&ipath, j);
                    let io = Obj::new(it, &ip, &["marker", "blocks"])?;
                    let marker = opt_string(&io, "marker")?;
                    items.push(ListItem {
                        marker: marker.map(Into::into),
                        blocks: blocks(io.req("blocks")?, &io.at("blocks"), depth + 1)?,
                    });
                }
                Block::List { ordered, items }
            }
            "table" => {
                let o = Obj::new(item, &p, &["type", "header", "rows"])?;
                let header = flag(&o, "header")?;
                let rpath = o.at("rows");
                let list = array(o.req("rows")?, &rpath)?;
                if list.is_empty() {
                    return fail(&rpath, &["must have at least one row"]);
                }
                let mut rows = Vec::with_capacity(list.len());
                for (j, row) in list.iter().enumerate() {
                    let rp = Path::Index(&rpath, j);
                    let mut cells = Vec::new();
                    for (k, cell) in array(row, &rp)?.iter().enumerate() {
                        let cp = Path::Index(&rp, k);
                        let Value::Arr(c) = cell else {
                            return expected(&cp, "an array of spans", cell);
                        };
                        cells.push(if c.is_empty() { Vec::new() } else { spans(cell, &cp)? });
                    }
                    rows.push(cells);
                }
                Block::Table { header, rows }
            }
            other => return fail(&tpath, &["\"", other, "\" is not a block type (paragraph, list, table)"]),
        };
        out.push(block);
    }
    Ok(out)
}

fn spans(v: &Value, path: &Path) -> R<Vec<Span>> {
    let list = array(v, path)?;
    if list.is_empty() {
        return fail(path, &["must have at least one span"]);
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let p = Path::Index(path, i);
        let o = Obj::new(item, &p, &["text", "strong", "href"])?;
        let tpath = o.at("text");
        let text = match o.req("text")? {
            Value::Str(s) if s.is_empty() => return fail(&tpath, &["must not be empty"]),
            Value::Str(s) => s,
            other => return expected(&tpath, "a string", other),
        };
        let strong = flag(&o, "strong")?;
        let href = opt_string(&o, "href")?;
        out.push(Span {
            text: text.clone(),
            strong,
            href: href.map(Into::into),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- encoding

/// Encodes a document as the JSON value of format version 1 (fields in the
/// documented order; optional fields only when set).
pub fn encode(doc: &PolicyDoc) -> Value {
    let mut root = Vec::new();
    let mut put = |k: &str, v: Value| root.push((String::from(k), v));
    put("format", Value::str(FORMAT));
    put("formatVersion", Value::Num(FORMAT_VERSION as f64));
    let mut name = Vec::new();
    for (lang, n) in [(Lang::Kk, &doc.controller.name.kk), (Lang::Ru, &doc.controller.name.ru)] {
        if !n.is_empty() {
            name.push((String::from(lang.code()), Value::str(n.as_str())));
        }
    }
    let mut controller = Vec::from([(String::from("name"), Value::Obj(name))]);
    if let Some(bin) = &doc.controller.bin {
        controller.push((String::from("bin"), Value::str(bin.as_str())));
    }
    put("controller", Value::Obj(controller));
    put("version", Value::str(doc.version.as_str()));
    if let Some(d) = &doc.effective {
        put("effective", Value::str(d.as_str()));
    }
    if let Some(l) = doc.prevails {
        put("prevails", Value::str(l.code()));
    }
    if !doc.previous.is_empty() {
        let eds = doc
            .previous
            .iter()
            .map(|e| {
                let mut o = Vec::from([(String::from("version"), Value::str(e.version.as_str()))]);
                if let Some(d) = &e.effective {
                    o.push((String::from("effective"), Value::str(d.as_str())));
                }
                o.push((String::from("url"), Value::str(e.url.as_str())));
                Value::Obj(o)
            })
            .collect();
        put("previous", Value::Arr(eds));
    }
    let mut texts = Vec::new();
    for (lang, t) in [(Lang::Kk, &doc.kk), (Lang::Ru, &doc.ru)] {
        if let Some(t) = t {
            texts.push((String::from(lang.code()), encode_text(t)));
        }
    }
    put("texts", Value::Obj(texts));
    Value::Obj(root)
}

fn encode_text(t: &Text) -> Value {
    let mut o = Vec::from([(String::from("title"), Value::str(t.title.as_str()))]);
    if !t.intro.is_empty() {
        o.push((String::from("intro"), encode_blocks(&t.intro)));
    }
    o.push((String::from("sections"), encode_sections(&t.sections)));
    Value::Obj(o)
}

fn encode_sections(sections: &[Section]) -> Value {
    Value::Arr(
        sections
            .iter()
            .map(|s| {
                let mut o = Vec::from([
                    (String::from("clause"), Value::str(s.clause.as_str())),
                    (String::from("number"), Value::str(s.number.as_str())),
                ]);
                if let Some(h) = &s.heading {
                    o.push((String::from("heading"), encode_spans(h)));
                }
                o.push((String::from("blocks"), encode_blocks(&s.blocks)));
                o.push((String::from("sections"), encode_sections(&s.sections)));
                Value::Obj(o)
            })
            .collect(),
    )
}

fn encode_blocks(blocks: &[Block]) -> Value {
    Value::Arr(
        blocks
            .iter()
            .map(|b| match b {
                Block::Paragraph(spans) => Value::obj([
                    ("type", Value::str("paragraph")),
                    ("spans", encode_spans(spans)),
                ]),
                Block::List { ordered, items } => Value::obj([
                    ("type", Value::str("list")),
                    ("ordered", Value::Bool(*ordered)),
                    (
                        "items",
                        Value::Arr(
                            items
                                .iter()
                                .map(|it| {
                                    let mut o = Vec::new();
                                    if let Some(m) = &it.marker {
                                        o.push((String::from("marker"), Value::str(m.as_str())));
                                    }
                                    o.push((String::from("blocks"), encode_blocks(&it.blocks)));
                                    Value::Obj(o)
                                })
                                .collect(),
                        ),
                    ),
                ]),
                Block::Table { header, rows } => Value::obj([
                    ("type", Value::str("table")),
                    ("header", Value::Bool(*header)),
                    (
                        "rows",
                        Value::Arr(
                            rows.iter()
                                .map(|r| Value::Arr(r.iter().map(|c| encode_spans(c)).collect()))
                                .collect(),
                        ),
                    ),
                ]),
            })
            .collect(),
    )
}

fn encode_spans(spans: &[Span]) -> Value {
    Value::Arr(
        spans
            .iter()
            .map(|s| {
                let mut o = Vec::from([(String::from("text"), Value::str(s.text.as_str()))]);
                if s.strong {
                    o.push((String::from("strong"), Value::Bool(true)));
                }
                if let Some(h) = &s.href {
                    o.push((String::from("href"), Value::str(h.as_str())));
                }
                Value::Obj(o)
            })
            .collect(),
    )
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use proptest::prelude::*;

    fn span(t: &str) -> Value {
        Value::obj([("text", Value::str(t))])
    }

    fn para(t: &str) -> Value {
        Value::obj([("type", Value::str("paragraph")), ("spans", Value::Arr(vec![span(t)]))])
    }

    fn sec(clause: &str, subs: Vec<Value>) -> Value {
        let number = alloc::format!("{clause}.");
        Value::obj([
            ("clause", Value::str(clause)),
            ("number", Value::Str(number)),
            ("heading", Value::Arr(vec![span("Тақырып")])),
            ("blocks", Value::Arr(vec![para("Мәтін")])),
            ("sections", Value::Arr(subs)),
        ])
    }

    /// A bilingual document using every kind of block.
    fn sample() -> Value {
        let list = Value::obj([
            ("type", Value::str("list")),
            ("ordered", Value::Bool(true)),
            (
                "items",
                Value::Arr(vec![
                    Value::obj([("marker", Value::str("1)")), ("blocks", Value::Arr(vec![para("бір")]))]),
                    Value::obj([(
                        "blocks",
                        Value::Arr(vec![
                            para("екі"),
                            Value::obj([
                                ("type", Value::str("list")),
                                ("ordered", Value::Bool(false)),
                                ("items", Value::Arr(vec![Value::obj([("blocks", Value::Arr(vec![para("ішкі")]))])])),
                            ]),
                        ]),
                    )]),
                ]),
            ),
        ]);
        let table = Value::obj([
            ("type", Value::str("table")),
            ("header", Value::Bool(true)),
            (
                "rows",
                Value::Arr(vec![
                    Value::Arr(vec![Value::Arr(vec![span("Атауы")]), Value::Arr(vec![span("Мерзімі")])]),
                    Value::Arr(vec![
                        Value::Arr(vec![Value::obj([
                            ("text", Value::str("_ym_uid")),
                            ("strong", Value::Bool(true)),
                            ("href", Value::str("https://example.kz/c")),
                        ])]),
                        Value::Arr(vec![]),
                    ]),
                ]),
            ),
        ]);
        let mut one = sec("1", vec![sec("1.1", vec![]), sec("1.2", vec![sec("1.2.1", vec![])])]);
        if let Value::Obj(pairs) = &mut one {
            pairs[3].1 = Value::Arr(vec![para("Кіріспе"), list, table]);
        }
        let text = |title: &str, sections: Vec<Value>| {
            Value::obj([
                ("title", Value::str(title)),
                ("intro", Value::Arr(vec![para("Алғы сөз")])),
                ("sections", Value::Arr(sections)),
            ])
        };
        Value::obj([
            ("format", Value::str("kelisim-policy")),
            ("formatVersion", Value::Num(1.0)),
            (
                "controller",
                Value::obj([
                    ("name", Value::obj([("kk", Value::str("«Сапар» ЖШС")), ("ru", Value::str("ТОО «Сапар»"))])),
                    ("bin", Value::str("210540019876")),
                ]),
            ),
            ("version", Value::str("1.0")),
            ("effective", Value::str("2026-11-01")),
            ("prevails", Value::str("ru")),
            (
                "previous",
                Value::Arr(vec![Value::obj([
                    ("version", Value::str("0.9")),
                    ("effective", Value::str("2025-03-01")),
                    ("url", Value::str("/privacy/0.9.html")),
                ])]),
            ),
            (
                "texts",
                Value::obj([
                    ("kk", text("Құпиялылық саясаты", vec![one.clone(), sec("3", vec![sec("3.4", vec![]), sec("3.4", vec![])])])),
                    ("ru", text("Политика конфиденциальности", vec![one, sec("3", vec![])])),
                ]),
            ),
        ])
    }

    /// Replaces (or with `None` removes) the value at `path`.
    fn set(v: &mut Value, path: &[&str], new: Option<Value>) {
        let mut cur = v;
        for (i, key) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            match cur {
                Value::Obj(pairs) => {
                    if last {
                        match (pairs.iter().position(|(k, _)| k == key), new) {
                            (Some(at), Some(n)) => pairs[at].1 = n,
                            (Some(at), None) => {
                                pairs.remove(at);
                            }
                            (None, Some(n)) => pairs.push((key.to_string(), n)),
                            (None, None) => {}
                        }
                        return;
                    }
                    cur = &mut pairs.iter_mut().find(|(k, _)| k == key).unwrap().1;
                }
                Value::Arr(items) => {
                    let i: usize = key.parse().unwrap();
                    if last {
                        match new {
                            Some(n) => items[i] = n,
                            None => {
                                items.remove(i);
                            }
                        }
                        return;
                    }
                    cur = &mut items[i];
                }
                _ => panic!("bad path {path:?}"),
            }
        }
    }

    fn error_of(v: &Value) -> String {
        decode(v).unwrap_err().to_string()
    }

    #[test]
    fn sample_decodes_and_encodes_back_to_the_same_value() {
        let v = sample();
        let doc = decode(&v).unwrap();
        assert_eq!(doc.prevails, Some(Lang::Ru));
        assert_eq!(doc.controller.bin.as_deref(), Some("210540019876"));
        assert_eq!(doc.previous[0].url, "/privacy/0.9.html");
        let kk = doc.text(Lang::Kk).unwrap();
        assert_eq!(clauses(kk), ["1", "1.1", "1.2", "1.2.1", "3", "3.4", "3.4"]);
        let Block::List { ordered, items } = &kk.sections[0].blocks[1] else { panic!() };
        assert!(*ordered);
        assert_eq!(items[0].marker.as_deref(), Some("1)"));
        assert!(matches!(items[1].blocks[1], Block::List { ordered: false, .. }));
        let Block::Table { header, rows } = &kk.sections[0].blocks[2] else { panic!() };
        assert!(*header);
        assert!(rows[1][0][0].strong && rows[1][1].is_empty());
        assert_eq!(encode(&doc), v);
    }

    #[test]
    fn minimal_one_language_document() {
        let v = Value::obj([
            ("format", Value::str("kelisim-policy")),
            ("formatVersion", Value::Num(1.0)),
            ("controller", Value::obj([("name", Value::obj([("ru", Value::str("ТОО «Сапар»"))]))])),
            ("version", Value::str("2")),
            ("texts", Value::obj([("ru", Value::obj([("title", Value::str("Политика")), ("sections", Value::Arr(vec![]))]))])),
        ]);
        let doc = decode(&v).unwrap();
        assert!(doc.kk.is_none() && doc.ru.is_some());
        assert_eq!(doc.controller.name.kk, "");
        assert_eq!(encode(&doc), v);
    }

    #[test]
    fn errors_name_the_path() {
        let cases: Vec<(Vec<&str>, Option<Value>, &str)> = vec![
            (vec!["format"], Some(Value::str("policy")), "format: must be \"kelisim-policy\""),
            (vec!["formatVersion"], Some(Value::Num(2.0)), "formatVersion: unsupported version (this reader knows version 1)"),
            (vec!["formatVersion"], Some(Value::str("1")), "formatVersion: expected a number, got a string"),
            (vec!["version"], None, "version: missing"),
            (vec!["effective"], Some(Value::str("2026-02-30")), "effective: \"2026-02-30\" is not a date written YYYY-MM-DD"),
            (vec!["prevails"], Some(Value::str("en")), "prevails: must be \"kk\" or \"ru\""),
            (vec!["previous", "0", "url"], Some(Value::str("javascript:alert(1)")), "previous[0].url: must be an http(s) or relative URL"),
            (vec!["previous", "0", "effective"], Some(Value::str("1.3.2025")), "previous[0].effective: \"1.3.2025\" is not a date written YYYY-MM-DD"),
            (vec!["controller", "bin"], Some(Value::str("12")), "controller.bin: a BIN is exactly 12 digits"),
            (vec!["controller", "name", "kk"], None, "controller.name.kk: missing"),
            (vec!["texts"], Some(Value::obj::<&str>([])), "texts: must have a \"kk\" or \"ru\" text"),
            (vec!["texts", "en"], Some(Value::Null), "texts.en: unknown field (expected one of: kk, ru)"),
            (vec!["texts", "kk", "title"], Some(Value::str(" ")), "texts.kk.title: must not be empty"),
            (vec!["texts", "kk", "sections", "0", "clause"], Some(Value::str("1.")), "texts.kk.sections[0].clause: \"1.\" is not a clause id (numbers joined by dots, like 3.4.1)"),
            (vec!["texts", "kk", "sections", "0", "number"], Some(Value::str("2.")), "texts.kk.sections[0].number: \"2.\" does not match the clause \"1\""),
            (vec!["texts", "kk", "sections", "0", "sections", "1", "clause"], Some(Value::str("2.1")), "texts.kk.sections[0].sections[1].clause: \"2.1\" is not a sub-clause of \"1\""),
            (vec!["texts", "kk", "sections", "0", "blocks", "0", "type"], Some(Value::str("html")), "texts.kk.sections[0].blocks[0].type: \"html\" is not a block type (paragraph, list, table)"),
            (vec!["texts", "kk", "sections", "0", "blocks", "0", "type"], None, "texts.kk.sections[0].blocks[0].type: missing"),
            (vec!["texts", "kk", "sections", "0", "blocks", "0", "html"], Some(Value::str("<b>")), "texts.kk.sections[0].blocks[0].html: unknown field (expected one of: type, spans)"),
            (vec!["texts", "kk", "sections", "0", "blocks", "0", "spans"], Some(Value::Arr(vec![])), "texts.kk.sections[0].blocks[0].spans: must have at least one span"),
            (vec!["texts", "kk", "sections", "0", "blocks", "0", "spans", "0", "text"], Some(Value::str("")), "texts.kk.sections[0].blocks[0].spans[0].text: must not be empty"),
            (vec!["texts", "kk", "sections", "0", "blocks", "0", "spans", "0", "strong"], Some(Value::str("yes")), "texts.kk.sections[0].blocks[0].spans[0].strong: expected true or false, got a string"),
            (vec!["texts", "kk", "sections", "0", "blocks", "1", "items"], Some(Value::Arr(vec![])), "texts.kk.sections[0].blocks[1].items: must have at least one item"),
            (vec!["texts", "kk", "sections", "0", "blocks", "1", "items", "0", "marker"], Some(Value::Num(1.0)), "texts.kk.sections[0].blocks[1].items[0].marker: expected a string, got a number"),
            (vec!["texts", "kk", "sections", "0", "blocks", "2", "rows"], Some(Value::Arr(vec![])), "texts.kk.sections[0].blocks[2].rows: must have at least one row"),
            (vec!["texts", "kk", "sections", "0", "blocks", "2", "rows", "0", "0"], Some(Value::str("x")), "texts.kk.sections[0].blocks[2].rows[0][0]: expected an array of spans, got a string"),
            (vec!["texts", "ru", "intro", "0"], Some(Value::str("x")), "texts.ru.intro[0]: expected an object, got a string"),
        ];
        for (path, value, want) in cases {
            let mut v = sample();
            set(&mut v, &path, value);
            assert_eq!(error_of(&v), want, "{path:?}");
        }
        assert_eq!(error_of(&Value::Null), "policy: expected an object, got null");
    }

    #[test]
    fn a_missing_text_needs_no_controller_name() {
        let mut v = sample();
        set(&mut v, &["texts", "kk"], None);
        set(&mut v, &["controller", "name", "kk"], None);
        assert!(decode(&v).is_ok());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut list = para("x");
        for _ in 0..40 {
            list = Value::obj([
                ("type", Value::str("list")),
                ("items", Value::Arr(vec![Value::obj([("blocks", Value::Arr(vec![list]))])])),
            ]);
        }
        let mut v = sample();
        set(&mut v, &["texts", "kk", "intro"], Some(Value::Arr(vec![list])));
        assert!(error_of(&v).ends_with("nested too deeply"));
    }

    #[test]
    fn safe_hrefs() {
        for good in ["https://a.kz/", "HTTP://a.kz", "mailto:info@a.kz", "tel:+77270000000", "MailTo:x@y"] {
            assert_eq!(safe_href(good), Some(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            " https://a.kz",
            "https://a.kz/ x",
            "java\tscript:x",
            "https:\u{7f}",
            "data:text/html,<b>",
            "/relative",
            "a.kz",
            "https:",
            "",
            "vbscript:x",
            "tel\n:1",
        ] {
            assert_eq!(safe_href(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates() {
        for good in ["2026-11-01", "2024-02-29", "1999-12-31"] {
            assert!(is_iso_date(good), "{good}");
        }
        for bad in ["2025-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "26-11-01", "2026/11/01", "2026-11-011", "2026-11-00"] {
            assert!(!is_iso_date(bad), "{bad}");
        }
    }

    fn text_of(tree: &[(&str, &[&str])]) -> Text {
        // (clause, sub-clauses) pairs; sub-clauses have no children of their own.
        let leaf = |c: &str| Section {
            clause: c.into(),
            number: c.into(),
            heading: None,
            blocks: vec![],
            sections: vec![],
        };
        Text {
            title: "t".into(),
            intro: vec![],
            sections: tree
                .iter()
                .map(|(c, subs)| Section {
                    sections: subs.iter().map(|s| leaf(s)).collect(),
                    ..leaf(c)
                })
                .collect(),
        }
    }

    #[test]
    fn nearest_clause() {
        let t = text_of(&[("1", &["1.1", "1.2"]), ("3", &["3.4", "3.4.1", "3.10"]), ("6", &[])]);
        assert!(find(&t, "3.4.1") && find(&t, "6") && !find(&t, "3.7") && !find(&t, "3."));
        assert_eq!(nearest(&t, "3.4.1"), Some("3.4.1"));
        assert_eq!(nearest(&t, "3.7"), Some("3"));
        assert_eq!(nearest(&t, "1.2.5.1"), Some("1.2"));
        assert_eq!(nearest(&t, "2.5"), Some("3"));
        assert_eq!(nearest(&t, "2"), Some("3"));
        assert_eq!(nearest(&t, "0"), Some("1"));
        assert_eq!(nearest(&t, "7"), None);
        assert_eq!(nearest(&t, "6.5"), Some("6"));
        assert_eq!(nearest(&text_of(&[]), "1"), None);
    }

    #[test]
    fn clause_order() {
        use Ordering::*;
        for (a, b, o) in [("3.9", "3.10", Less), ("3", "3.1", Less), ("4", "3.10", Greater), ("03.1", "3.01", Equal), ("10", "9", Greater)] {
            assert_eq!(compare_clauses(a, b), o, "{a} {b}");
        }
    }

    fn clause_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(1u32..12, 1..4).prop_map(|v| {
            v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(".")
        })
    }

    proptest! {
        /// `nearest` against a naive oracle over the flat list of clauses.
        #[test]
        fn nearest_matches_a_naive_oracle(
            tops in proptest::collection::vec((1u32..8, proptest::collection::vec(1u32..8, 0..4)), 0..6),
            want in clause_strategy(),
        ) {
            let owned: Vec<(String, Vec<String>)> = tops
                .iter()
                .map(|(t, subs)| (t.to_string(), subs.iter().map(|s| alloc::format!("{t}.{s}")).collect()))
                .collect();
            let subs: Vec<Vec<&str>> = owned.iter().map(|(_, s)| s.iter().map(String::as_str).collect()).collect();
            let tree: Vec<(&str, &[&str])> = owned.iter().zip(&subs).map(|((t, _), s)| (t.as_str(), &s[..])).collect();
            let t = text_of(&tree);
            let flat = clauses(&t);
            let parts: Vec<&str> = want.split('.').collect();
            let oracle = (1..=parts.len())
                .rev()
                .map(|n| parts[..n].join("."))
                .find(|c| flat.contains(&c.as_str()))
                .map(|c| flat.iter().copied().find(|f| *f == c).unwrap())
                .or_else(|| {
                    let key = |s: &str| s.split('.').map(|p| p.parse::<u32>().unwrap()).collect::<Vec<_>>();
                    flat.iter().copied().find(|f| key(f) > key(&want))
                });
            prop_assert_eq!(nearest(&t, &want), oracle);
        }
    }
}
