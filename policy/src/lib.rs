//! `kelisim-policy`: turns a privacy policy written as plain text or Markdown
//! into the kelisim policy document format (see `kelisim_core::policy`), and
//! joins a Kazakh and a Russian text into one bilingual document.
//!
//! [`import`] reads one language: it repairs Latin lookalike letters
//! ([`normalize`]), checks the text is in the language it is said to be in,
//! parses clauses, lists and tables ([`parse`]), and reports numbering defects
//! ([`numbering`]). [`merge`] aligns two imported texts by clause number and
//! reports what only one language has. Both return the document with a list of
//! [`Note`]s (warnings), or the notes that stopped them (errors). Documents go
//! through the core's `policy::encode` and `policy::decode`, so what is written
//! is exactly what the SDK reads.

#![deny(missing_docs)]

pub mod json;
pub mod normalize;
pub mod numbering;
pub mod parse;

use kelisim_core::config::{Lang, L10n};
use kelisim_core::policy::{self, clauses, Edition, PolicyController, PolicyDoc, Text};
use std::collections::HashMap;
use std::fmt;

/// How serious a note is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Nothing was written.
    Error,
    /// Written, but a person should look.
    Warning,
    /// Information (what was repaired).
    Note,
}

/// One line of the report: `file:line: severity: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The file it is about.
    pub file: String,
    /// The 1-based source line, when known.
    pub line: Option<usize>,
    /// How serious.
    pub severity: Severity,
    /// What.
    pub message: String,
}

impl Note {
    fn new(file: &str, line: Option<usize>, severity: Severity, message: impl Into<String>) -> Note {
        Note { file: file.into(), line, severity, message: message.into() }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        match self.line {
            Some(l) => write!(f, "{}:{}: {}: {}", self.file, l, sev, self.message),
            None => write!(f, "{}: {}: {}", self.file, sev, self.message),
        }
    }
}

/// The edition fields both commands can set.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Edition label.
    pub version: Option<String>,
    /// Effective date, `YYYY-MM-DD`.
    pub effective: Option<String>,
    /// Which language prevails.
    pub prevails: Option<Lang>,
    /// The operator's BIN.
    pub bin: Option<String>,
    /// Earlier editions.
    pub previous: Vec<Edition>,
}

/// Options of [`import`].
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The language the text is said to be in.
    pub lang: Lang,
    /// Import even when the text looks like the other language.
    pub force: bool,
    /// Turn URLs and e-mail addresses into links.
    pub links: bool,
    /// The title, instead of the one found in the text.
    pub title: Option<String>,
    /// The operator's name, instead of the one found in the text.
    pub controller: Option<String>,
    /// Edition fields.
    pub meta: Meta,
}

impl ImportOptions {
    /// Defaults for a language: links on, nothing forced or given.
    pub fn new(lang: Lang) -> ImportOptions {
        ImportOptions { lang, force: false, links: true, title: None, controller: None, meta: Meta::default() }
    }
}

/// The edition label written when none is given.
pub const DEFAULT_VERSION: &str = "1.0";

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => "Kazakh",
        Lang::Ru => "Russian",
    }
}

/// The result of a command: the document and its report, or the report of why not.
pub type Outcome = Result<(PolicyDoc, Vec<Note>), Vec<Note>>;

/// Imports one language from plain text or Markdown. `file` names the source
/// in the report.
pub fn import(file: &str, source: &str, opts: &ImportOptions) -> Outcome {
    let mut notes = Vec::new();
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let (text, repairs) = normalize::normalize(source, opts.lang);
    if repairs.schwa > 0 {
        notes.push(Note::new(file, None, Severity::Note, format!("replaced {} Latin ə/Ə with Cyrillic ә/Ә", repairs.schwa)));
    }
    if repairs.latin_i > 0 {
        notes.push(Note::new(file, None, Severity::Note, format!("replaced {} Latin I inside Cyrillic words with Cyrillic І", repairs.latin_i)));
    }
    if repairs.lookalikes > 0 {
        notes.push(Note::new(file, None, Severity::Note, format!("replaced {} other Latin lookalike letters inside Cyrillic words", repairs.lookalikes)));
    }
    let (share, letters) = normalize::kazakh_share(&text);
    match normalize::detect(&text) {
        Some(found) if found != opts.lang => {
            let msg = format!(
                "the text looks {} ({:.1}% of its Cyrillic letters are Kazakh-only), not {} as --lang {} says",
                lang_name(found),
                share * 100.0,
                lang_name(opts.lang),
                opts.lang.code()
            );
            if opts.force {
                notes.push(Note::new(file, None, Severity::Warning, format!("{msg}; imported anyway (--force)")));
            } else {
                notes.push(Note::new(file, None, Severity::Error, format!("{msg}; pass --force to import it anyway")));
                return Err(notes);
            }
        }
        Some(_) => {}
        None if letters < normalize::MIN_LETTERS => {
            notes.push(Note::new(file, None, Severity::Warning, "too little Cyrillic text to check its language"));
        }
        None => notes.push(Note::new(
            file,
            None,
            Severity::Warning,
            format!("cannot tell the language ({:.1}% Kazakh-only letters); taken as {}", share * 100.0, lang_name(opts.lang)),
        )),
    }

    let parsed = parse::parse(&text, opts.lang, opts.links);
    let mut t = parsed.text;
    if let Some(title) = &opts.title {
        t.title = title.clone();
    } else if !parsed.title_found {
        notes.push(Note::new(file, None, Severity::Note, format!("no title found; using \"{}\" (--title sets one)", t.title)));
    }
    if t.sections.is_empty() {
        notes.push(Note::new(file, None, Severity::Warning, "no numbered clauses found: the whole text is the introduction"));
    }
    let lines = parsed.lines;
    for d in numbering::defects(&t) {
        let line = |i: usize| lines.get(i).copied();
        notes.push(Note::new(file, line(d.at()), Severity::Warning, d.describe(&line)));
    }

    let controller = match opts.controller.clone().or_else(|| detect_controller(&text, opts.lang)) {
        Some(c) => c,
        None => {
            notes.push(Note::new(file, None, Severity::Error, "no operator name found in the text; pass --controller NAME"));
            return Err(notes);
        }
    };
    let bin = opts.meta.bin.clone().or_else(|| detect_bin(&text));
    let version = opts.meta.version.clone().unwrap_or_else(|| {
        notes.push(Note::new(file, None, Severity::Note, format!("no --version given; the edition label is \"{DEFAULT_VERSION}\"")));
        DEFAULT_VERSION.to_string()
    });
    let mut name = L10n::default();
    let (mut kk, mut ru) = (None, None);
    match opts.lang {
        Lang::Kk => {
            name.kk = controller;
            kk = Some(t);
        }
        Lang::Ru => {
            name.ru = controller;
            ru = Some(t);
        }
    }
    let doc = PolicyDoc {
        controller: PolicyController { name, bin },
        version,
        effective: opts.meta.effective.clone(),
        prevails: opts.meta.prevails,
        previous: opts.meta.previous.clone(),
        kk,
        ru,
    };
    checked(file, doc, notes)
}

/// Round-trips the document through the core's encoder and decoder, so that
/// only what the SDK accepts is written.
fn checked(file: &str, doc: PolicyDoc, mut notes: Vec<Note>) -> Outcome {
    match policy::decode(&policy::encode(&doc)) {
        Ok(back) => Ok((back, notes)),
        Err(e) => {
            notes.push(Note::new(file, None, Severity::Error, e.text()));
            Err(notes)
        }
    }
}

/// Reads a policy document from JSON text.
pub fn read_doc(file: &str, json_text: &str) -> Result<PolicyDoc, Note> {
    let v = json::parse(json_text).map_err(|e| Note::new(file, None, Severity::Error, e))?;
    policy::decode(&v).map_err(|e| Note::new(file, None, Severity::Error, e.text()))
}

/// Writes a policy document as JSON text.
pub fn write_doc(doc: &PolicyDoc) -> String {
    json::write(&policy::encode(doc))
}

/// Options of [`merge`].
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// The Kazakh name of the operator, instead of the Kazakh file's.
    pub controller_kk: Option<String>,
    /// The Russian name of the operator, instead of the Russian file's.
    pub controller_ru: Option<String>,
    /// Edition fields, instead of the files'.
    pub meta: Meta,
}

/// One of the two files' values, or the option, or an error when the files disagree.
fn agree<T: Clone + PartialEq + fmt::Debug>(
    what: &str,
    given: &Option<T>,
    kk: &Option<T>,
    ru: &Option<T>,
    show: impl Fn(&T) -> String,
    files: (&str, &str),
) -> Result<Option<T>, String> {
    if given.is_some() {
        return Ok(given.clone());
    }
    match (kk, ru) {
        (Some(a), Some(b)) if a != b => Err(format!(
            "the files disagree on {what} ({} has {}, {} has {}); pass --{what} to choose",
            files.0,
            show(a),
            files.1,
            show(b)
        )),
        (Some(a), _) => Ok(Some(a.clone())),
        (None, b) => Ok(b.clone()),
    }
}

/// Joins a Kazakh document and a Russian one into a bilingual document,
/// reporting the clauses only one language has and each text's numbering
/// defects.
pub fn merge(kk_file: &str, kk_doc: PolicyDoc, ru_file: &str, ru_doc: PolicyDoc, opts: &MergeOptions) -> Outcome {
    let mut notes = Vec::new();
    let files = (kk_file, ru_file);
    let (Some(kk), None) = (&kk_doc.kk, &kk_doc.ru) else {
        let msg = if kk_doc.kk.is_none() { "has no Kazakh text (give the Kazakh file first)" } else { "has a Russian text too; give one-language files" };
        return Err(vec![Note::new(kk_file, None, Severity::Error, msg)]);
    };
    let (None, Some(ru)) = (&ru_doc.kk, &ru_doc.ru) else {
        let msg = if ru_doc.ru.is_none() { "has no Russian text (give the Russian file second)" } else { "has a Kazakh text too; give one-language files" };
        return Err(vec![Note::new(ru_file, None, Severity::Error, msg)]);
    };
    for (file, text) in [(kk_file, kk), (ru_file, ru)] {
        for d in numbering::defects(text) {
            notes.push(Note::new(file, None, Severity::Warning, d.describe(&|_| None)));
        }
    }
    notes.extend(align(kk_file, kk, ru_file, ru));

    let mut errors = Vec::new();
    let id = |s: &String| s.clone();
    let version = take(agree("version", &opts.meta.version, &Some(kk_doc.version.clone()), &Some(ru_doc.version.clone()), id, files), &mut errors);
    let effective = take(agree("effective", &opts.meta.effective, &kk_doc.effective, &ru_doc.effective, id, files), &mut errors);
    let prevails = take(agree("prevails", &opts.meta.prevails, &kk_doc.prevails, &ru_doc.prevails, |l| l.code().to_string(), files), &mut errors);
    let bin = take(agree("bin", &opts.meta.bin, &kk_doc.controller.bin, &ru_doc.controller.bin, id, files), &mut errors);
    if !errors.is_empty() {
        notes.extend(errors.into_iter().map(|e| Note::new(kk_file, None, Severity::Error, e)));
        return Err(notes);
    }
    let previous = if !opts.meta.previous.is_empty() {
        opts.meta.previous.clone()
    } else if !kk_doc.previous.is_empty() {
        kk_doc.previous.clone()
    } else {
        ru_doc.previous.clone()
    };
    let name = L10n {
        kk: opts.controller_kk.clone().unwrap_or(kk_doc.controller.name.kk.clone()),
        ru: opts.controller_ru.clone().unwrap_or(ru_doc.controller.name.ru.clone()),
    };
    let doc = PolicyDoc {
        controller: PolicyController { name, bin },
        version: version.unwrap_or_else(|| DEFAULT_VERSION.to_string()),
        effective,
        prevails,
        previous,
        kk: kk_doc.kk,
        ru: ru_doc.ru,
    };
    checked(kk_file, doc, notes)
}

/// The value of an [`agree`], or `None` with the error kept for the report.
fn take<T>(r: Result<Option<T>, String>, errors: &mut Vec<String>) -> Option<T> {
    r.unwrap_or_else(|e| {
        errors.push(e);
        None
    })
}

/// The clauses only one text has, and clauses used a different number of
/// times in the two texts, in document order (Kazakh first).
pub fn align(kk_file: &str, kk: &Text, ru_file: &str, ru: &Text) -> Vec<Note> {
    let count = |t: &Text| {
        let mut m: HashMap<String, usize> = HashMap::new();
        for c in clauses(t) {
            *m.entry(c.to_string()).or_default() += 1;
        }
        m
    };
    let (kc, rc) = (count(kk), count(ru));
    let mut notes = Vec::new();
    let mut done = std::collections::HashSet::new();
    for (file, text, mine, other, lang, other_lang) in [
        (kk_file, kk, &kc, &rc, "Kazakh", "Russian"),
        (ru_file, ru, &rc, &kc, "Russian", "Kazakh"),
    ] {
        for c in clauses(text) {
            if !done.insert((lang, c)) {
                continue;
            }
            match other.get(c) {
                None => notes.push(Note::new(file, None, Severity::Warning, format!("clause {c} is only in the {lang} text"))),
                Some(n) if lang == "Kazakh" && *n != mine[c] => notes.push(Note::new(
                    file,
                    None,
                    Severity::Warning,
                    format!("clause {c} is used {} time(s) in the {lang} text and {n} in the {other_lang} text", mine[c]),
                )),
                _ => {}
            }
        }
    }
    notes
}

/// Finds the operator's name in a policy text: `«X» ЖШС` (also written out as
/// `жауапкершілігі шектеулі серіктестігі`) or `«X» АҚ` in Kazakh, `ТОО «X»` or
/// `АО «X»` in Russian. The most frequent wins (the first on a tie).
pub fn detect_controller(text: &str, lang: Lang) -> Option<String> {
    let flat = parse::collapse(&text.replace("**", ""));
    let mut found: Vec<(String, usize)> = Vec::new();
    for (start, _) in flat.match_indices('«') {
        let Some(len) = quoted_len(&flat[start..]) else { continue };
        let quoted = &flat[start..start + len];
        if quoted.chars().count() > 80 {
            continue;
        }
        let after = flat[start + len..].trim_start();
        let before = flat[..start].trim_end();
        let name = match lang {
            Lang::Kk => {
                let lower = after.to_lowercase();
                if word_at(after, "ЖШС") || lower.starts_with("жауапкершілігі шектеулі серіктестігі") {
                    Some(format!("{quoted} ЖШС"))
                } else if word_at(after, "АҚ") || lower.starts_with("акционерлік қоғамы") {
                    Some(format!("{quoted} АҚ"))
                } else {
                    None
                }
            }
            Lang::Ru => {
                let lower = before.to_lowercase();
                if word_end(before, "ТОО") || lower.ends_with("с ограниченной ответственностью") {
                    Some(format!("ТОО {quoted}"))
                } else if word_end(before, "АО") || lower.ends_with("акционерное общество") {
                    Some(format!("АО {quoted}"))
                } else {
                    None
                }
            }
        };
        if let Some(n) = name {
            match found.iter_mut().find(|(f, _)| *f == n) {
                Some((_, count)) => *count += 1,
                None => found.push((n, 1)),
            }
        }
    }
    let best = found.iter().map(|(_, c)| *c).max()?;
    found.into_iter().find(|(_, c)| *c == best).map(|(n, _)| n)
}

/// Byte length of a `«...»` quotation at the start of `s`, nested quotes included.
fn quoted_len(s: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '«' => depth += 1,
            '»' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + c.len_utf8());
                }
            }
            '\n' => return None,
            _ => {}
        }
    }
    None
}

/// Whether `s` starts with the word `w` (not followed by a letter).
fn word_at(s: &str, w: &str) -> bool {
    s.starts_with(w) && !s[w.len()..].starts_with(char::is_alphabetic)
}

/// Whether `s` ends with the word `w` (not preceded by a letter).
fn word_end(s: &str, w: &str) -> bool {
    s.ends_with(w) && !s[..s.len() - w.len()].ends_with(char::is_alphabetic)
}

/// Finds a BIN written after `БСН`, `БИН` or `BIN`: exactly 12 digits.
pub fn detect_bin(text: &str) -> Option<String> {
    for key in ["БСН", "БИН", "BIN"] {
        for (i, _) in text.match_indices(key) {
            if text[..i].ends_with(char::is_alphabetic) {
                continue;
            }
            let rest = text[i + key.len()..].trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == '№' || c == '-');
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.len() == 12 {
                return Some(digits);
            }
        }
    }
    None
}

/// The words of a string: maximal runs of letters and digits (`char::is_alphanumeric`).
/// Punctuation, markup and spacing are not words, so `Бэк-\nофис` and
/// `Бэк-офис` have the same words, and so do `**ҚР**` and `ҚР`.
pub fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// The words of a policy text in reading order: the title, the introduction,
/// then each section's number, heading, blocks and sub-sections (list markers
/// before their item, tables row by row).
pub fn text_words(t: &Text) -> Vec<String> {
    use policy::{Block, Section, Span};
    fn spans(out: &mut Vec<String>, s: &[Span]) {
        for span in s {
            out.extend(words(&span.text));
        }
    }
    fn blocks(out: &mut Vec<String>, bs: &[Block]) {
        for b in bs {
            match b {
                Block::Paragraph(s) => spans(out, s),
                Block::List { items, .. } => {
                    for it in items {
                        if let Some(m) = &it.marker {
                            out.extend(words(m));
                        }
                        blocks(out, &it.blocks);
                    }
                }
                Block::Table { rows, .. } => {
                    for cell in rows.iter().flatten() {
                        spans(out, cell);
                    }
                }
            }
        }
    }
    fn sections(out: &mut Vec<String>, ss: &[Section]) {
        for s in ss {
            out.extend(words(&s.number));
            if let Some(h) = &s.heading {
                spans(out, h);
            }
            blocks(out, &s.blocks);
            sections(out, &s.sections);
        }
    }
    let mut out = words(&t.title);
    blocks(&mut out, &t.intro);
    sections(&mut out, &t.sections);
    out
}

/// Parses `VERSION,DATE,URL` (the date may be empty) for `--previous`.
pub fn parse_edition(s: &str) -> Result<Edition, String> {
    let parts: Vec<&str> = s.splitn(3, ',').map(str::trim).collect();
    let [version, effective, url] = parts[..] else {
        return Err(format!("--previous wants VERSION,DATE,URL (the date may be empty), got \"{s}\""));
    };
    if version.is_empty() || url.is_empty() {
        return Err(format!("--previous wants VERSION,DATE,URL, got \"{s}\""));
    }
    if !effective.is_empty() && !policy::is_iso_date(effective) {
        return Err(format!("--previous: \"{effective}\" is not a date written YYYY-MM-DD"));
    }
    Ok(Edition {
        version: version.into(),
        effective: (!effective.is_empty()).then(|| effective.into()),
        url: url.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KK: &str = "ҚҰПИЯЛЫЛЫҚ САЯСАТЫ\n\n«Сапар Тревел» ЖШС (БСН 210540019876) сіздің деректеріңізді қорғайды.\n1. ЖАЛПЫ ЕРЕЖЕЛЕР\n1.1. Осы саясат біздің сайтқа қатысты және оның барлық беттерінде қолданылады.\n1.3. Біз cookie файлдарын тек келісіміңізбен қолданамыз.\n2. ҚОРЫТЫНДЫ\n2.1. Саясатқа өзгерістер сайтта жарияланады; ескі нұсқалар мұрағатта сақталады.\n";

    #[test]
    fn import_reports_with_lines_and_finds_the_operator() {
        let (doc, notes) = import("kk.txt", KK, &ImportOptions::new(Lang::Kk)).unwrap();
        assert_eq!(doc.controller.name.kk, "«Сапар Тревел» ЖШС");
        assert_eq!(doc.controller.bin.as_deref(), Some("210540019876"));
        let kk = doc.kk.as_ref().unwrap();
        assert_eq!(kk.title, "ҚҰПИЯЛЫЛЫҚ САЯСАТЫ");
        let said: Vec<String> = notes.iter().map(ToString::to_string).collect();
        assert!(said.contains(&"kk.txt:6: warning: clause 1.2 is missing (1.1 is followed by 1.3)".to_string()), "{said:?}");
    }

    #[test]
    fn the_wrong_language_is_an_error_unless_forced() {
        let mut opts = ImportOptions::new(Lang::Ru);
        let notes = import("kk.txt", KK, &opts).unwrap_err();
        let last = notes.last().unwrap().to_string();
        assert!(last.starts_with("kk.txt: error: the text looks Kazakh ("), "{last}");
        assert!(last.ends_with("not Russian as --lang ru says; pass --force to import it anyway"), "{last}");
        opts.force = true;
        opts.controller = Some("ТОО «Сапар Тревел»".into());
        let (_, notes) = import("kk.txt", KK, &opts).unwrap();
        assert!(notes.iter().any(|n| n.severity == Severity::Warning && n.message.ends_with("imported anyway (--force)")));
    }

    #[test]
    fn a_missing_operator_is_an_error() {
        let src = KK.replace("«Сапар Тревел» ЖШС", "Біз");
        let notes = import("kk.txt", &src, &ImportOptions::new(Lang::Kk)).unwrap_err();
        assert_eq!(notes.last().unwrap().to_string(), "kk.txt: error: no operator name found in the text; pass --controller NAME");
    }

    #[test]
    fn operators_and_bins() {
        assert_eq!(
            detect_controller("«iBusiness (Зияткерлік Бизнес)» жауапкершілігі шектеулі серіктестігі", Lang::Kk).as_deref(),
            Some("«iBusiness (Зияткерлік Бизнес)» ЖШС")
        );
        assert_eq!(
            detect_controller("ТОО «ПРОСТО» ... ТОО «Просто» ... ТОО «Просто»", Lang::Ru).as_deref(),
            Some("ТОО «Просто»")
        );
        assert_eq!(detect_controller("«Сайт» деп аталады", Lang::Kk), None);
        assert_eq!(detect_bin("БИН 180940010420 ИИК"), Some("180940010420".into()));
        assert_eq!(detect_bin("(БСН: 220440001087)"), Some("220440001087".into()));
        assert_eq!(detect_bin("БСН 12345"), None);
    }

    #[test]
    fn editions() {
        let e = parse_edition("0.9,2025-03-01,/privacy/0.9.html").unwrap();
        assert_eq!((e.version.as_str(), e.effective.as_deref(), e.url.as_str()), ("0.9", Some("2025-03-01"), "/privacy/0.9.html"));
        assert_eq!(parse_edition("0.8,,https://x.kz/0.8").unwrap().effective, None);
        assert!(parse_edition("0.9").is_err());
        assert!(parse_edition("0.9,01.03.2025,/p").is_err());
    }

    #[test]
    fn merge_reports_one_sided_clauses_and_disagreements() {
        let (kk, _) = import("kk.txt", KK, &ImportOptions::new(Lang::Kk)).unwrap();
        let ru_src = "Политика конфиденциальности ТОО «Сапар Тревел» описывает, как мы обращаемся с данными посетителей сайта и зачем.\n1. ОБЩИЕ ПОЛОЖЕНИЯ\n1.1. Политика относится к нашему сайту и ко всем его страницам без исключения.\n1.2. Файлы cookie мы используем только с вашего согласия.\n";
        let mut opts = ImportOptions::new(Lang::Ru);
        opts.meta.version = Some("2.0".into());
        let (ru, _) = import("ru.txt", ru_src, &opts).unwrap();
        let notes = merge("kk.json", kk.clone(), "ru.json", ru.clone(), &MergeOptions::default()).unwrap_err();
        let said: Vec<String> = notes.iter().map(ToString::to_string).collect();
        assert!(said.contains(&"kk.json: warning: clause 1.3 is only in the Kazakh text".to_string()), "{said:?}");
        assert!(said.contains(&"kk.json: warning: clause 2 is only in the Kazakh text".to_string()));
        assert!(said.contains(&"ru.json: warning: clause 1.2 is only in the Russian text".to_string()));
        assert!(said.contains(&"kk.json: error: the files disagree on version (kk.json has 1.0, ru.json has 2.0); pass --version to choose".to_string()));
        let mut m = MergeOptions::default();
        m.meta.version = Some("2.0".into());
        m.meta.prevails = Some(Lang::Ru);
        let (doc, _) = merge("kk.json", kk.clone(), "ru.json", ru.clone(), &m).unwrap();
        assert_eq!(doc.version, "2.0");
        assert_eq!(doc.controller.name.ru, "ТОО «Сапар Тревел»");
        assert_eq!(doc.controller.bin.as_deref(), Some("210540019876"));
        assert!(doc.kk.is_some() && doc.ru.is_some());
        // Swapped arguments are refused.
        let e = merge("ru.json", ru, "kk.json", kk, &m).unwrap_err();
        assert_eq!(e[0].to_string(), "ru.json: error: has no Kazakh text (give the Kazakh file first)");
    }
}
