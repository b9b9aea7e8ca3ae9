//! Plain text or Markdown to a policy [`Text`].
//!
//! The input is what people actually have: text copied out of a PDF (hard line
//! breaks mid-sentence, stray blank lines), or light Markdown (`**bold**`,
//! `- ` lists). The parser works line by line:
//!
//! - A line starting with a clause number (`1.`, `1.1.`, `3.4.1.`, also after a
//!   list bullet: `- 2.1.`) opens a section. Sections nest by the number's
//!   depth under the nearest open ancestor. A top-level clause's first line, or
//!   a clause text in capitals, is its heading.
//! - `1)`, `а)` open ordered list items (with that `marker`); `-`, `•`, `✓`,
//!   `*`, `–` open bulleted ones. Indentation nests lists.
//! - Lines with tabs are table rows; a run of them is a table.
//! - Any other line continues the paragraph before it, or starts a new one
//!   (see [`continues`]): blank lines alone do not end a paragraph, because
//!   PDF extraction scatters them inside sentences.
//!
//! Inline, `**bold**` becomes strong spans, `<https://...>`, bare URLs and
//! e-mail addresses become links (`mailto:`), and runs of spaces collapse.

use kelisim_core::config::Lang;
use kelisim_core::policy::{Block, ListItem, Section, Span, Text};

/// Characters that start a bulleted list item when followed by a space.
pub const BULLETS: &[char] = &['-', '•', '✓', '✔', '*', '–', '—', '·', '▪', '●', '○', '■', '►', '➢'];

/// What one source line is.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// Only whitespace.
    Blank,
    /// Opens a clause: `number` as written, `clause` normalised, the text after it.
    Clause {
        /// The number as written (`3.4.1.`).
        number: String,
        /// The clause id (`3.4.1`).
        clause: String,
        /// The rest of the line.
        text: String,
    },
    /// Opens a list item.
    Item {
        /// Indentation in columns (a tab counts 4).
        indent: usize,
        /// The ordered marker as written (`1)`, `а)`), `None` for a bullet.
        marker: Option<String>,
        /// The rest of the line.
        text: String,
    },
    /// A table row: the cells between tabs.
    Row(Vec<String>),
    /// Anything else.
    Text {
        /// Indentation in columns.
        indent: usize,
        /// The line without its indentation.
        text: String,
    },
}

/// Parses a clause number at the start of `s`: `1.`, `3.4`, `3.4.1.` followed
/// by whitespace or the end. A single number needs its dot (`2020 жылғы` is no
/// clause), parts have at most 3 digits (`26.03.2019` is a date) and there are
/// at most 6 parts. Returns (number as written, clause id, rest).
pub fn clause_prefix(s: &str) -> Option<(&str, &str, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut parts = 0;
    loop {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || digits > 3 {
            return None;
        }
        parts += 1;
        if i < b.len() && b[i] == b'.' && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
            i += 1;
            continue;
        }
        break;
    }
    let id_end = i;
    let dot = i < b.len() && b[i] == b'.';
    if dot {
        i += 1;
    }
    if parts > 6 || (parts == 1 && !dot) {
        return None;
    }
    let rest = &s[i..];
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    Some((&s[..i], &s[..id_end], rest.trim()))
}

/// An ordered-item marker at the start of `s`: one or two digits or one
/// lowercase letter, then `)`, then whitespace. Returns (marker, rest).
fn marker_prefix(s: &str) -> Option<(&str, &str)> {
    let mut chars = s.char_indices();
    let (_, first) = chars.next()?;
    let mut end = first.len_utf8();
    if first.is_ascii_digit() {
        if let Some((i, c)) = chars.next() {
            if c.is_ascii_digit() {
                end = i + 1;
            }
        }
    } else if !first.is_lowercase() {
        return None;
    }
    let rest = &s[end..];
    let rest = rest.strip_prefix(')')?;
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    Some((&s[..end + 1], rest.trim()))
}

fn indent_of(s: &str) -> usize {
    let mut n = 0;
    for c in s.chars() {
        match c {
            ' ' => n += 1,
            '\t' => n += 4,
            c if c.is_whitespace() => n += 1,
            _ => break,
        }
    }
    n
}

/// Classifies one source line (without its line break).
pub fn classify(raw: &str) -> Line {
    let raw = raw.trim_end_matches(['\r', '\n']);
    if raw.trim().is_empty() {
        return Line::Blank;
    }
    let body = raw.trim_start();
    if body.contains('\t') {
        return Line::Row(body.split('\t').map(|c| c.trim().to_string()).collect());
    }
    let indent = indent_of(raw);
    let mut rest = body.trim_end();
    let mut bullet = false;
    loop {
        let mut cs = rest.chars();
        match (cs.next(), cs.next()) {
            (Some(c), Some(w)) if BULLETS.contains(&c) && w.is_whitespace() => {
                rest = rest[c.len_utf8()..].trim_start();
                bullet = true;
            }
            (Some(c), None) if BULLETS.contains(&c) && c != '*' => {
                rest = "";
                bullet = true;
            }
            _ => break,
        }
    }
    if let Some((number, clause, text)) = clause_prefix(rest) {
        return Line::Clause {
            number: number.into(),
            clause: clause.into(),
            text: text.into(),
        };
    }
    if let Some((marker, text)) = marker_prefix(rest) {
        return Line::Item {
            indent,
            marker: Some(marker.into()),
            text: text.into(),
        };
    }
    if bullet {
        return Line::Item {
            indent,
            marker: None,
            text: rest.into(),
        };
    }
    Line::Text {
        indent,
        text: rest.into(),
    }
}

/// Whether `s` is written in capitals: at least four letters, none lowercase.
pub fn is_upper(s: &str) -> bool {
    let mut letters = 0;
    for c in s.chars() {
        if c.is_lowercase() {
            return false;
        }
        if c.is_alphabetic() {
            letters += 1;
        }
    }
    letters >= 4
}

/// Whether `s` ends a sentence or a clause: `.`, `!`, `?`, `;` or `:`, possibly
/// followed by closing quotes, brackets or `**`.
pub fn ends_terminal(s: &str) -> bool {
    let t = s.trim_end().trim_end_matches(['»', '"', '”', '\'', ')', '*', ' ']);
    t.ends_with(['.', '!', '?', ';', ':'])
}

/// The first letter or digit of `s`.
fn first_alnum(s: &str) -> Option<char> {
    s.chars().find(|c| c.is_alphanumeric())
}

/// The paragraph being read.
struct Pending {
    kind: Kind,
    text: String,
    last_line: String,
    lines: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A paragraph; `true` when it belongs to the open list's last item.
    Para(bool),
    /// The text of a list item.
    Item,
    /// The text on a clause's line (its heading, or its first paragraph), at depth.
    Clause(usize),
}

/// Whether the line `next` continues the paragraph `p` (rather than starting a
/// new one), `blank` telling whether blank lines came between:
///
/// 1. a line starting with a lowercase letter always continues;
/// 2. a line in capitals after one that is not (or the reverse) does not: it is
///    a heading boundary; two lines in capitals are one heading;
/// 3. after `.`, `!`, `?`, `;` or `:` at the end of a line, a new paragraph starts;
/// 4. a top-level clause's line is its heading, so it ends at the line's end;
/// 5. a single short line (up to 40 characters) followed by a blank line is
///    a heading or a label, and ends there;
/// 6. anything else continues (a hard line break mid-sentence).
fn continues(p: &Pending, blank: bool, next: &str) -> bool {
    if p.text.is_empty() {
        return true;
    }
    // The line itself starts in lowercase (not after a quote: «iBusiness» is a name).
    if next.chars().next().is_some_and(|c| c.is_lowercase()) {
        return true;
    }
    let (pu, nu) = (is_upper(&p.text), is_upper(next));
    if pu != nu {
        return false;
    }
    if pu && nu {
        return true;
    }
    if ends_terminal(&p.last_line) {
        return false;
    }
    if matches!(p.kind, Kind::Clause(1)) {
        return false;
    }
    if blank && p.lines == 1 && p.text.chars().count() <= 40 {
        return false;
    }
    true
}

/// Appends a line to a paragraph: a word broken by a hyphen at the line end
/// (`Бэк-` + `офис`) is joined without a space; otherwise one space.
fn join(text: &mut String, next: &str) {
    if text.is_empty() {
        text.push_str(next);
        return;
    }
    let hyphenated = {
        let mut cs = text.chars().rev();
        matches!((cs.next(), cs.next()), (Some('-'), Some(c)) if c.is_alphabetic())
    };
    if !(hyphenated && first_alnum(next).is_some_and(|c| c.is_lowercase()) && next.starts_with(char::is_alphabetic)) {
        text.push(' ');
    }
    text.push_str(next);
}

/// An open list while reading: its indentation, kind and items so far.
struct OpenList {
    indent: usize,
    ordered: bool,
    items: Vec<ListItem>,
}

/// Where the parse stands.
struct Builder {
    links: bool,
    intro: Vec<Block>,
    sections: Vec<Section>,
    /// Indices from the top level down to the open section.
    path: Vec<usize>,
    lists: Vec<OpenList>,
    table: Vec<Vec<String>>,
    pending: Option<Pending>,
    /// Source line of each section, in document order.
    lines: Vec<usize>,
}

impl Builder {
    fn section(&mut self) -> Option<&mut Section> {
        let (first, rest) = self.path.split_first()?;
        let mut s = &mut self.sections[*first];
        for &i in rest {
            s = &mut s.sections[i];
        }
        Some(s)
    }

    fn container(&mut self) -> &mut Vec<Block> {
        if self.path.is_empty() {
            &mut self.intro
        } else {
            &mut self.section().expect("open section").blocks
        }
    }

    fn flush_pending(&mut self) {
        let Some(p) = self.pending.take() else { return };
        let text = collapse(&p.text);
        if text.is_empty() {
            return;
        }
        let spans = spans(&text, self.links);
        match p.kind {
            Kind::Para(false) => self.container().push(Block::Paragraph(spans)),
            Kind::Para(true) | Kind::Item => {
                let item = self.lists.last_mut().and_then(|l| l.items.last_mut()).expect("open item");
                item.blocks.push(Block::Paragraph(spans));
            }
            Kind::Clause(depth) => {
                let plain = strip_markup(&text);
                let heading = is_upper(&plain)
                    || (depth == 1 && !plain.trim_end().ends_with(['.', ';', ':', ',']) && plain.chars().count() <= 150);
                let s = self.section().expect("open section");
                if heading {
                    s.heading = Some(spans);
                } else {
                    s.blocks.push(Block::Paragraph(spans));
                }
            }
        }
    }

    fn flush_table(&mut self) {
        if self.table.is_empty() {
            return;
        }
        let rows: Vec<Vec<String>> = std::mem::take(&mut self.table);
        let header = rows.len() >= 2
            && rows[0].iter().all(|c| c.chars().count() <= 60 && !ends_terminal(c));
        let rows = rows
            .iter()
            .map(|r| r.iter().map(|c| {
                let c = collapse(c);
                if c.is_empty() { Vec::new() } else { spans(&c, self.links) }
            }).collect())
            .collect();
        self.container().push(Block::Table { header, rows });
    }

    /// Closes the innermost open list, attaching it to its parent item or the container.
    fn close_top(&mut self) {
        let Some(l) = self.lists.pop() else { return };
        let block = Block::List { ordered: l.ordered, items: l.items };
        match self.lists.last_mut().and_then(|p| p.items.last_mut()) {
            Some(parent) => parent.blocks.push(block),
            None => self.container().push(block),
        }
    }

    /// Closes open lists indented deeper than `keep_up_to` (all of them for `None`).
    fn close_lists(&mut self, keep_up_to: Option<usize>) {
        while let Some(top) = self.lists.last() {
            if keep_up_to.is_some_and(|i| top.indent <= i) {
                break;
            }
            self.close_top();
        }
    }

    fn open_clause(&mut self, number: String, clause: String, line: usize) {
        self.close_lists(None);
        // Up to the nearest open ancestor.
        while let Some(top) = self.section() {
            let c = &top.clause;
            if clause.len() > c.len() + 1 && clause.starts_with(c.as_str()) && clause.as_bytes()[c.len()] == b'.' {
                break;
            }
            self.path.pop();
        }
        let depth = clause.split('.').count();
        let s = Section {
            clause,
            number,
            heading: None,
            blocks: Vec::new(),
            sections: Vec::new(),
        };
        let siblings = match self.section() {
            Some(parent) => &mut parent.sections,
            None => &mut self.sections,
        };
        siblings.push(s);
        let i = siblings.len() - 1;
        self.path.push(i);
        self.lines.push(line);
        self.pending = Some(Pending {
            kind: Kind::Clause(depth),
            text: String::new(),
            last_line: String::new(),
            lines: 0,
        });
    }

    fn open_item(&mut self, indent: usize, marker: Option<String>) {
        let ordered = marker.is_some();
        self.close_lists(Some(indent));
        if self.lists.last().is_some_and(|l| l.indent == indent && l.ordered != ordered) {
            // Same depth, other kind: the old list ends here.
            self.close_top();
        }
        if self.lists.last().is_none_or(|l| l.indent != indent) {
            self.lists.push(OpenList { indent, ordered, items: Vec::new() });
        }
        let list = self.lists.last_mut().expect("list");
        list.items.push(ListItem { marker, blocks: Vec::new() });
    }
}

/// The result of parsing one source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The text, with a title found in the source or `None`.
    pub text: Text,
    /// Whether `text.title` came from the source (else it is the default).
    pub title_found: bool,
    /// The source line (1-based) of each section, in document order.
    pub lines: Vec<usize>,
}

/// The default title per language, used when the source has none.
pub fn default_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => "Құпиялылық саясаты",
        Lang::Ru => "Политика конфиденциальности",
    }
}

/// Parses a whole source text. `links` turns URLs and e-mail addresses into
/// link spans.
pub fn parse(source: &str, lang: Lang, links: bool) -> Parsed {
    let mut b = Builder {
        links,
        intro: Vec::new(),
        sections: Vec::new(),
        path: Vec::new(),
        lists: Vec::new(),
        table: Vec::new(),
        pending: None,
        lines: Vec::new(),
    };
    let mut blank = false;
    for (n, raw) in source.lines().enumerate() {
        let line = classify(raw);
        if !matches!(line, Line::Row(_)) {
            b.flush_table();
        }
        match line {
            Line::Blank => {
                blank = true;
                continue;
            }
            Line::Clause { number, clause, text } => {
                b.flush_pending();
                b.open_clause(number, clause, n + 1);
                add_line(b.pending.as_mut().expect("clause text"), &text);
            }
            Line::Item { indent, marker, text } => {
                b.flush_pending();
                b.open_item(indent, marker);
                let mut p = Pending { kind: Kind::Item, text: String::new(), last_line: String::new(), lines: 0 };
                add_line(&mut p, &text);
                b.pending = Some(p);
            }
            Line::Row(cells) => {
                b.flush_pending();
                if b.table.is_empty() {
                    b.close_lists(None);
                }
                b.table.push(cells);
            }
            Line::Text { indent, text } => {
                if let Some(p) = b.pending.as_mut() {
                    if continues(p, blank, &text) {
                        add_line(p, &text);
                        blank = false;
                        continue;
                    }
                }
                b.flush_pending();
                // A paragraph indented deeper than the open list's items
                // belongs to the last item; otherwise the lists end.
                let inside = match b.lists.last() {
                    Some(l) if indent > l.indent => true,
                    _ => {
                        b.close_lists(if indent == 0 { None } else { Some(indent - 1) });
                        !b.lists.is_empty()
                    }
                };
                let mut p = Pending { kind: Kind::Para(inside), text: String::new(), last_line: String::new(), lines: 0 };
                add_line(&mut p, &text);
                b.pending = Some(p);
            }
        }
        blank = false;
    }
    b.flush_pending();
    b.flush_table();
    b.close_lists(None);
    let mut intro = b.intro;
    let mut title_found = false;
    let mut title = default_title(lang).to_string();
    if let Some(Block::Paragraph(spans)) = intro.first() {
        let plain: String = spans.iter().map(|s| s.text.as_str()).collect();
        let all_strong = spans.iter().all(|s| s.strong);
        if plain.chars().count() <= 150
            && !plain.trim_end().ends_with(['.', ';', ':', ','])
            && (is_upper(&plain) || all_strong)
        {
            title = plain;
            title_found = true;
            intro.remove(0);
        }
    }
    Parsed {
        text: Text { title, intro, sections: b.sections },
        title_found,
        lines: b.lines,
    }
}

fn add_line(p: &mut Pending, line: &str) {
    let line = line.trim();
    join(&mut p.text, line);
    if !line.is_empty() {
        p.last_line = line.to_string();
        p.lines += 1;
    }
}

/// Collapses runs of whitespace to one space and trims.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text without `**` markers.
pub fn strip_markup(s: &str) -> String {
    s.replace("**", "")
}

/// Splits a paragraph into spans: `**bold**` runs are strong (an unmatched
/// `**` stays as written), then links are cut out of each run.
pub fn spans(text: &str, links: bool) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let pieces: Vec<&str> = text.split("**").collect();
    // Pieces at odd positions are inside a `**` pair; a trailing unmatched
    // marker (an even number of pieces) leaves the last piece plain, with its `**`.
    let paired = if pieces.len() % 2 == 0 { pieces.len() - 1 } else { pieces.len() };
    for (i, piece) in pieces.iter().enumerate() {
        let strong = i % 2 == 1 && i < paired;
        let piece = if i == paired { format!("**{piece}") } else { piece.to_string() };
        if piece.is_empty() {
            continue;
        }
        if links {
            for (t, href) in cut_links(&piece) {
                push_span(&mut out, Span { text: t, strong, href });
            }
        } else {
            push_span(&mut out, Span { text: piece, strong, href: None });
        }
    }
    // Spaces at the edges of a paragraph add nothing.
    if let Some(first) = out.first_mut() {
        if first.href.is_none() {
            first.text = first.text.trim_start().to_string();
        }
    }
    if let Some(last) = out.last_mut() {
        if last.href.is_none() {
            last.text = last.text.trim_end().to_string();
        }
    }
    out.retain(|s| !s.text.is_empty());
    out
}

fn push_span(out: &mut Vec<Span>, s: Span) {
    if s.text.is_empty() {
        return;
    }
    if let Some(last) = out.last_mut() {
        if last.strong == s.strong && last.href.is_none() && s.href.is_none() {
            last.text.push_str(&s.text);
            return;
        }
    }
    out.push(s);
}

/// Characters that end a bare URL or address when they come last.
const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', ')', '»', '"', '\'', '”'];

/// Cuts `<url>` autolinks, bare `http(s)://` URLs and e-mail addresses out of
/// a run of text: (text, href) pairs in order. The angle brackets of an
/// autolink are dropped (they are Markdown syntax); everything else is kept.
pub fn cut_links(s: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let tokens = split_keep_space(s);
    for tok in tokens {
        if tok.trim().is_empty() {
            plain.push_str(tok);
            continue;
        }
        // <https://...> autolink.
        if let Some(inner) = tok.strip_prefix('<').and_then(|t| {
            let end = t.find('>')?;
            Some((&t[..end], &t[end + 1..]))
        }) {
            let (url, after) = inner;
            if is_url(url) || is_email(url) {
                flush_plain(&mut out, &mut plain);
                out.push((url.to_string(), Some(href_for(url))));
                plain.push_str(after);
                continue;
            }
        }
        // Leading punctuation stays plain.
        let lead_len = tok.len() - tok.trim_start_matches(['(', '«', '"', '“', '\'']).len();
        let (lead, rest) = tok.split_at(lead_len);
        let core = rest.trim_end_matches(TRAILING);
        let trail = &rest[core.len()..];
        if !core.is_empty() && (is_url(core) || is_email(core)) {
            plain.push_str(lead);
            flush_plain(&mut out, &mut plain);
            out.push((core.to_string(), Some(href_for(core))));
            plain.push_str(trail);
        } else {
            plain.push_str(tok);
        }
    }
    flush_plain(&mut out, &mut plain);
    out
}

fn flush_plain(out: &mut Vec<(String, Option<String>)>, plain: &mut String) {
    if !plain.is_empty() {
        out.push((std::mem::take(plain), None));
    }
}

fn split_keep_space(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in s.char_indices() {
        let sp = c.is_whitespace();
        if in_space.is_some_and(|was| was != sp) {
            out.push(&s[start..i]);
            start = i;
        }
        in_space = Some(sp);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| r.contains('.') && !r.starts_with('.') && !s.contains(['<', '>', '"', '«', '»']))
}

fn is_email(s: &str) -> bool {
    let Some((user, host)) = s.split_once('@') else { return false };
    let ok = |c: char| c.is_ascii_alphanumeric() || "._+-".contains(c);
    !user.is_empty()
        && user.chars().all(ok)
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn href_for(s: &str) -> String {
    if is_email(s) {
        format!("mailto:{s}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelisim_core::policy::clauses;

    fn plain(spans: &[Span]) -> String {
        spans.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn clause_numbers() {
        assert_eq!(clause_prefix("1. ЖАЛПЫ"), Some(("1.", "1", "ЖАЛПЫ")));
        assert_eq!(clause_prefix("3.4.1. мәтін"), Some(("3.4.1.", "3.4.1", "мәтін")));
        assert_eq!(clause_prefix("3.4 мәтін"), Some(("3.4", "3.4", "мәтін")));
        assert_eq!(clause_prefix("6."), Some(("6.", "6", "")));
        assert_eq!(clause_prefix("1.10.  x"), Some(("1.10.", "1.10", "x")));
        for no in ["2020 жылғы", "26.03.2019 ж.", "1)", "1.x", "8-727-311 51 83.", "1.1.1.1.1.1.1 x", "12345. x", "3.4.мәтін"] {
            assert_eq!(clause_prefix(no), None, "{no}");
        }
    }

    #[test]
    fn line_kinds() {
        assert!(matches!(classify("- 2.1. Мәтін"), Line::Clause { ref clause, .. } if clause == "2.1"));
        assert_eq!(
            classify("- 1) **Саясат** – мәтін"),
            Line::Item { indent: 0, marker: Some("1)".into()), text: "**Саясат** – мәтін".into() }
        );
        assert_eq!(classify("   • мәтін"), Line::Item { indent: 3, marker: None, text: "мәтін".into() });
        assert_eq!(classify(" - ✓ банктер"), Line::Item { indent: 1, marker: None, text: "банктер".into() });
        assert_eq!(classify("а) бірінші"), Line::Item { indent: 0, marker: Some("а)".into()), text: "бірінші".into() });
        assert_eq!(classify("Атауы\tМерзімі"), Line::Row(vec!["Атауы".into(), "Мерзімі".into()]));
        assert_eq!(classify("Құжат\t"), Line::Row(vec!["Құжат".into(), "".into()]));
        assert_eq!(classify("**ҚАРАЙ**"), Line::Text { indent: 0, text: "**ҚАРАЙ**".into() });
        assert_eq!(classify("  \r"), Line::Blank);
    }

    #[test]
    fn hard_breaks_and_stray_blank_lines_are_reflowed() {
        let src = "1. ЖАЛПЫ ЕРЕЖЕЛЕР\n\n1.1. Бұл мәтін бірнеше жолға\n\nбөлінген, бірақ бір сөйлем. \nЕкінші сөйлем де осы\nабзацта.\n\nЖаңа абзац.\n1.2. Бэк-\nофис сөзі бөлінген.\n";
        let p = parse(src, Lang::Kk, true);
        let one = &p.text.sections[0];
        assert_eq!(plain(one.heading.as_ref().unwrap()), "ЖАЛПЫ ЕРЕЖЕЛЕР");
        let s11 = &one.sections[0];
        assert_eq!(s11.blocks.len(), 3);
        let Block::Paragraph(a) = &s11.blocks[0] else { panic!() };
        assert_eq!(plain(a), "Бұл мәтін бірнеше жолға бөлінген, бірақ бір сөйлем.");
        let Block::Paragraph(b) = &s11.blocks[1] else { panic!() };
        assert_eq!(plain(b), "Екінші сөйлем де осы абзацта.");
        let Block::Paragraph(c) = &one.sections[1].blocks[0] else { panic!() };
        assert_eq!(plain(c), "Бэк-офис сөзі бөлінген.");
        assert_eq!(p.lines, vec![1, 3, 10]);
    }

    #[test]
    fn headings_span_lines_in_capitals_only() {
        let p = parse("3. ДЕРЕКТЕРДІ ЖИНАУ\n\nМАҚСАТТАРЫ\n3.1. Мәтін.\n", Lang::Kk, false);
        assert_eq!(plain(p.text.sections[0].heading.as_ref().unwrap()), "ДЕРЕКТЕРДІ ЖИНАУ МАҚСАТТАРЫ");
        let p = parse("1. Терминдер\n\nБіз мұнда түсіндіреміз.\n", Lang::Kk, false);
        let s = &p.text.sections[0];
        assert_eq!(plain(s.heading.as_ref().unwrap()), "Терминдер");
        assert_eq!(s.blocks.len(), 1);
    }

    #[test]
    fn sub_items_lists_and_nesting() {
        let src = "2.1. Мақсаттар:\n1) бірінші;\n2) екінші,\nжалғасы;\n\n3) үшінші.\nКейінгі абзац.\n - ✓ белгі\n";
        let p = parse(src, Lang::Kk, false);
        let s = &p.text.sections[0];
        let Block::List { ordered, items } = &s.blocks[1] else { panic!("{:?}", s.blocks) };
        assert!(*ordered);
        let markers: Vec<_> = items.iter().map(|i| i.marker.clone().unwrap()).collect();
        assert_eq!(markers, ["1)", "2)", "3)"]);
        let Block::Paragraph(second) = &items[1].blocks[0] else { panic!() };
        assert_eq!(plain(second), "екінші, жалғасы;");
        assert!(matches!(&s.blocks[2], Block::Paragraph(_)));
        assert!(matches!(&s.blocks[3], Block::List { ordered: false, .. }));

        let src = " • БІРІНШІ\n  • ішкі\n   • ең ішкі\n  • тағы ішкі\n • ЕКІНШІ\n";
        let p = parse(src, Lang::Kk, false);
        let Block::List { items, .. } = &p.text.intro[0] else { panic!("{:?}", p.text.intro) };
        assert_eq!(items.len(), 2);
        let Block::List { items: inner, .. } = &items[0].blocks[1] else { panic!() };
        assert_eq!(inner.len(), 2);
        assert!(matches!(&inner[0].blocks[1], Block::List { .. }));
    }

    #[test]
    fn clauses_nest_under_the_nearest_open_ancestor() {
        let src = "1. А\n1.1. а.\n3.4. б.\n3.4. в.\n3.4.1. г.\n4.1.1. д.\n2. Е\n";
        let p = parse(src, Lang::Kk, false);
        assert_eq!(clauses(&p.text), ["1", "1.1", "3.4", "3.4", "3.4.1", "4.1.1", "2"]);
        assert_eq!(p.text.sections[2].sections[0].clause, "3.4.1");
    }

    #[test]
    fn tables() {
        let src = "Атауы\tМерзімі\n_ym_uid\t1 жыл\n\nКейін.\n";
        let p = parse(src, Lang::Kk, false);
        let Block::Table { header, rows } = &p.text.intro[0] else { panic!() };
        assert!(*header);
        assert_eq!(rows.len(), 2);
        assert_eq!(plain(&rows[1][1]), "1 жыл");
    }

    #[test]
    fn titles() {
        let p = parse("ҚҰПИЯЛЫЛЫҚ САЯСАТЫ\n\nКіріспе.\n1. А\n", Lang::Kk, false);
        assert!(p.title_found);
        assert_eq!(p.text.title, "ҚҰПИЯЛЫЛЫҚ САЯСАТЫ");
        let p = parse("**Политика конфиденциальности**\n1. А\n", Lang::Ru, false);
        assert_eq!((p.title_found, p.text.title.as_str()), (true, "Политика конфиденциальности"));
        let p = parse("1. А\n", Lang::Ru, false);
        assert_eq!((p.title_found, p.text.title.as_str()), (false, "Политика конфиденциальности"));
    }

    #[test]
    fn inline_markup_and_links() {
        let s = spans("**Сайт** – https://sapar.example.kz/privacy, пошта: info@sapar.example.kz.", true);
        assert_eq!(s.len(), 6, "{s:?}");
        assert!(s[0].strong && s[0].text == "Сайт");
        assert_eq!(s[2].href.as_deref(), Some("https://sapar.example.kz/privacy"));
        assert_eq!(s[3].text, ", пошта: ");
        assert_eq!(s[4].href.as_deref(), Some("mailto:info@sapar.example.kz"));
        assert_eq!(plain(&spans("мекенжайы <http://ibusiness.asia> бойынша", true)), "мекенжайы http://ibusiness.asia бойынша");
        assert_eq!(spans("a ** b", false), vec![Span::plain("a ** b")]);
        assert_eq!(plain(&spans("http/www.pbo.kz адресі", true)), "http/www.pbo.kz адресі");
        assert!(spans("http/www.pbo.kz", true)[0].href.is_none());
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::{text_words, words};
    use proptest::prelude::*;

    /// A word of Kazakh letters, sometimes capitalised, sometimes followed by punctuation.
    fn word() -> impl Strategy<Value = String> {
        let letters: Vec<char> = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі".chars().collect();
        (
            proptest::collection::vec(proptest::sample::select(letters), 1..9),
            any::<bool>(),
            proptest::sample::select(vec!["", "", "", ".", ",", ";", ":"]),
        )
            .prop_map(|(cs, cap, punct)| {
                let mut w: String = cs.into_iter().collect();
                if cap {
                    let mut it = w.chars();
                    let first = it.next().unwrap().to_uppercase().collect::<String>();
                    w = first + it.as_str();
                }
                w + punct
            })
    }

    proptest! {
        /// Whatever the hard line breaks, blank lines and runs of spaces between
        /// them, the words come out all there and in order.
        #[test]
        fn reflow_never_loses_or_reorders_words(
            ws in proptest::collection::vec((word(), proptest::sample::select(vec![" ", " ", " ", "  ", "\n", " \n", "\n\n", "\n \n\n"])), 1..80),
        ) {
            let mut src = String::new();
            for (w, sep) in &ws {
                src.push_str(w);
                src.push_str(sep);
            }
            let p = parse(&src, Lang::Kk, false);
            let mut got = text_words(&p.text);
            if !p.title_found {
                got.drain(..words(default_title(Lang::Kk)).len());
            }
            prop_assert_eq!(got, words(&src));
        }
    }
}
