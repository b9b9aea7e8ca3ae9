//! The importer against the five seed documents in `../shared/seeds/` (read at
//! run time; their text is not part of this project).
//!
//! "No text is lost" is checked on words: a word is a maximal run of letters
//! and digits (`kelisim_policy::words`). After the importer's own letter repairs
//! (Latin ə/Ə/I to Cyrillic) the source's words must come out exactly, in
//! order: clause numbers, headings, paragraphs, list markers and items, table
//! cells. Spacing, line breaks, bullets and `**` are not words.

use kelisim_core::config::Lang;
use kelisim_core::policy::{clauses, Block, PolicyDoc, Text};
use kelisim_policy::{import, merge, normalize, parse, text_words, words, ImportOptions, MergeOptions, Note};
use std::path::PathBuf;

fn seeds() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/seeds")
}

/// Whether the corpus is here. A clone with nothing beside it skips these tests and
/// says so on stderr; with `KELISIM_REQUIRE_SHARED=1` (CI sets it) a missing corpus is
/// a failure, so the tests never skip silently there.
fn corpus_present(test: &str) -> bool {
    let dir = seeds();
    if dir.is_dir() {
        return true;
    }
    let why = format!(
        "the seed documents are missing: expected them in {} (the shared folder beside this checkout)",
        dir.display()
    );
    if std::env::var_os("KELISIM_REQUIRE_SHARED").is_some_and(|v| v == "1") {
        panic!("{why}; KELISIM_REQUIRE_SHARED=1 requires them");
    }
    eprintln!("SKIPPED {test}: {why}");
    false
}

/// The five seeds: file name prefix and language.
const SEEDS: [(&str, Lang); 5] = [("000_", Lang::Kk), ("001_", Lang::Ru), ("002_", Lang::Kk), ("003_", Lang::Kk), ("004_", Lang::Kk)];

fn source(prefix: &str) -> (String, String) {
    let dir = seeds();
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix) && p.extension().is_some_and(|e| e == "txt"))
        .unwrap_or_else(|| panic!("no seed {prefix}*.txt in {}", dir.display()));
    let name = entry.file_name().unwrap().to_string_lossy().into_owned();
    (name, std::fs::read_to_string(&entry).unwrap())
}

fn imported(prefix: &str, lang: Lang) -> (PolicyDoc, Vec<Note>, String) {
    let (name, src) = source(prefix);
    match import(&name, &src, &ImportOptions::new(lang)) {
        Ok((doc, notes)) => (doc, notes, src),
        Err(notes) => panic!("{name} did not import: {notes:?}"),
    }
}

fn text(doc: &PolicyDoc, lang: Lang) -> &Text {
    doc.text(lang).expect("text in its language")
}

fn said(notes: &[Note]) -> Vec<String> {
    notes.iter().map(ToString::to_string).collect()
}

#[test]
fn every_seed_imports_without_losing_or_reordering_a_word() {
    if !corpus_present("every_seed_imports_without_losing_or_reordering_a_word") {
        return;
    }
    for (prefix, lang) in SEEDS {
        let (doc, _, src) = imported(prefix, lang);
        let t = text(&doc, lang);
        let (fixed, _) = normalize::normalize(&src, lang);
        let want = words(&fixed);
        let mut got = text_words(t);
        if t.title == parse::default_title(lang) && !words(&fixed).starts_with(&words(&t.title)) {
            got.drain(..words(&t.title).len());
        }
        assert!(want.len() > 1000, "{prefix}: only {} words", want.len());
        if got != want {
            let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
            panic!(
                "{prefix}: words differ at {at}: got {:?}, want {:?}",
                &got[at.saturating_sub(3)..(at + 5).min(got.len())],
                &want[at.saturating_sub(3)..(at + 5).min(want.len())]
            );
        }
    }
}

fn top(t: &Text) -> Vec<&str> {
    t.sections.iter().map(|s| s.clause.as_str()).collect()
}

#[test]
fn clause_trees_follow_the_numbering() {
    if !corpus_present("clause_trees_follow_the_numbering") {
        return;
    }
    let (kk, notes, _) = imported("000_", Lang::Kk);
    let kk = text(&kk, Lang::Kk);
    assert_eq!(top(kk), ["1", "2", "3", "4", "5", "6"]);
    let three = &kk.sections[2];
    let subs: Vec<&str> = three.sections.iter().map(|s| s.clause.as_str()).collect();
    assert_eq!(subs, ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7"]);
    assert_eq!(three.sections[4].sections.len(), 4, "3.5.1 to 3.5.4 inside 3.5");
    assert!(three.heading.is_some() && three.sections[0].heading.is_none());
    // 1.1's terms are an ordered list with their markers, not sections.
    let Block::List { ordered: true, items } = &kk.sections[0].sections[0].blocks[1] else {
        panic!("1.1 has no ordered list: {:?}", kk.sections[0].sections[0].blocks)
    };
    let markers: Vec<_> = items.iter().map(|i| i.marker.as_deref().unwrap()).collect();
    assert_eq!(markers, ["1)", "2)", "3)", "4)", "5)"]);
    assert!(said(&notes).iter().any(|n| n.ends_with("warning: clause 4.1.2 is missing (4.1.1 is followed by 4.1.3)")));

    let (ru, notes, _) = imported("001_", Lang::Ru);
    let ru = text(&ru, Lang::Ru);
    assert_eq!(top(ru), ["1", "2", "3", "4", "5", "6"]);
    let all = clauses(ru);
    assert_eq!(all.iter().filter(|c| **c == "3.4").count(), 2);
    assert!(!all.contains(&"4.1.2") && all.contains(&"4.1.3"));
    let told = said(&notes);
    assert!(told.iter().any(|n| n.contains(":68: warning: clause 3.4 is numbered twice (first at line 66)")), "{told:?}");
    assert!(told.iter().any(|n| n.contains(":86: warning: clause 4.1.2 is missing")), "{told:?}");
    // The tab-separated document information is a table.
    assert!(ru.intro.iter().any(|b| matches!(b, Block::Table { rows, .. } if rows.len() == 3)));

    let (doc, _, _) = imported("002_", Lang::Kk);
    assert_eq!(top(text(&doc, Lang::Kk)), ["1", "2", "3", "4", "5", "6", "7", "8"]);
    let (doc, notes, _) = imported("003_", Lang::Kk);
    let t = text(&doc, Lang::Kk);
    assert_eq!(top(t), ["1", "2", "3", "4", "5", "6", "7"]);
    assert_eq!(t.title, "ҚҰПИЯЛЫЛЫҚ САЯСАТЫ");
    assert!(said(&notes).iter().any(|n| n.ends_with("warning: clause 3.3 is missing (3.2 is followed by 3.4)")));
}

#[test]
fn operators_and_bins_are_found() {
    if !corpus_present("operators_and_bins_are_found") {
        return;
    }
    let cases = [
        ("000_", Lang::Kk, "«Просто Бэк-офис» ЖШС", None),
        ("001_", Lang::Ru, "ТОО «Просто Бэк-офис»", Some("180940010420")),
        ("003_", Lang::Kk, "«iBusiness (Зияткерлік Бизнес)» ЖШС", Some("220440001087")),
        ("004_", Lang::Kk, "«PaymTech» ЖШС", Some("210840004064")),
    ];
    for (prefix, lang, name, bin) in cases {
        let (doc, _, _) = imported(prefix, lang);
        let got = match lang {
            Lang::Kk => &doc.controller.name.kk,
            Lang::Ru => &doc.controller.name.ru,
        };
        assert_eq!(got, name, "{prefix}");
        assert_eq!(doc.controller.bin.as_deref(), bin, "{prefix}");
    }
}

#[test]
fn latin_lookalikes_are_repaired_and_counted() {
    if !corpus_present("latin_lookalikes_are_repaired_and_counted") {
        return;
    }
    let (doc, notes, src) = imported("004_", Lang::Kk);
    assert!(src.contains('\u{0259}'));
    assert!(said(&notes).iter().any(|n| n.ends_with("note: replaced 100 Latin ə/Ə with Cyrillic ә/Ә")), "{:?}", said(&notes));
    let json = kelisim_policy::write_doc(&doc);
    assert!(!json.contains(['\u{0259}', '\u{018F}']));
    // No numbered clauses in this one: the bullets stay nested lists.
    let t = text(&doc, Lang::Kk);
    assert!(t.sections.is_empty());
    assert!(said(&notes).iter().any(|n| n.ends_with("warning: no numbered clauses found: the whole text is the introduction")));
    let Some(Block::List { items, .. }) = t.intro.iter().find(|b| matches!(b, Block::List { .. })) else { panic!() };
    assert!(items.len() >= 9, "top-level bullets: {}", items.len());
    assert!(items[0].blocks.iter().any(|b| matches!(b, Block::List { .. })));
}

#[test]
fn a_seed_in_the_other_language_is_refused() {
    if !corpus_present("a_seed_in_the_other_language_is_refused") {
        return;
    }
    let (name, src) = source("001_");
    let notes = import(&name, &src, &ImportOptions::new(Lang::Kk)).unwrap_err();
    assert!(said(&notes).last().unwrap().contains("error: the text looks Russian"), "{:?}", said(&notes));
    let (name, src) = source("000_");
    let notes = import(&name, &src, &ImportOptions::new(Lang::Ru)).unwrap_err();
    assert!(said(&notes).last().unwrap().contains("error: the text looks Kazakh"));
}

#[test]
fn merging_000_and_001_reports_what_only_kazakh_has() {
    if !corpus_present("merging_000_and_001_reports_what_only_kazakh_has") {
        return;
    }
    let (kk, _, _) = imported("000_", Lang::Kk);
    let (ru, _, _) = imported("001_", Lang::Ru);
    let (doc, notes) = merge("000.json", kk, "001.json", ru, &MergeOptions::default()).unwrap();
    let said = said(&notes);
    for c in ["3.7", "6.5"] {
        let want = format!("000.json: warning: clause {c} is only in the Kazakh text");
        assert!(said.contains(&want), "{want} not in {said:?}");
    }
    assert!(said.contains(&"001.json: warning: clause 3.4.1 is only in the Russian text".to_string()));
    assert!(said.contains(&"000.json: warning: clause 3.4 is used 1 time(s) in the Kazakh text and 2 in the Russian text".to_string()));
    assert!(said.contains(&"001.json: warning: clause 3.4 is numbered twice".to_string()));
    assert!(!said.iter().any(|n| n.contains("clause 2.") && n.contains("only in")), "{said:?}");
    assert!(doc.kk.is_some() && doc.ru.is_some());
}
