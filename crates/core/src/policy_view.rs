//! What the policy view needs beyond the document itself: its interface texts
//! in Kazakh and Russian, unique anchors for clauses (ids may repeat in a
//! source), which text to show for a language, and which clause the reader is
//! at. Pure: the shell measures the page and passes the numbers in.

use alloc::string::String;
use alloc::vec::Vec;

use super::config::Lang;
use super::policy::{PolicyDoc, Section, Text};

/// The policy view's interface texts of one language.
#[derive(Debug)]
pub struct PolicyTexts {
    /// Accessible name and heading of the table of contents.
    pub contents: &'static str,
    /// Before the edition label ("Version 1.0").
    pub version: &'static str,
    /// Before the date the edition takes effect.
    pub effective: &'static str,
    /// Before the operator's name.
    pub controller: &'static str,
    /// Before the operator's business identification number.
    pub bin: &'static str,
    /// The notice when the Kazakh text prevails.
    pub kk_prevails: &'static str,
    /// The notice when the Russian text prevails.
    pub ru_prevails: &'static str,
    /// Heading of the list of earlier editions.
    pub previous: &'static str,
    /// Shown while the document downloads.
    pub loading: &'static str,
    /// Shown when the document cannot be loaded; a link to the policy page follows.
    pub failed: &'static str,
    /// Shown when the document has no text in this language (the other one follows).
    pub other_language: &'static str,
}

const KK: PolicyTexts = PolicyTexts {
    contents: "Мазмұны",
    version: "Нұсқа",
    effective: "Күшіне енген күні:",
    controller: "Дербес деректер операторы:",
    bin: "БСН",
    kk_prevails: "Қазақ және орыс тілдеріндегі мәтіндер арасында айырмашылық болса, қазақ тіліндегі мәтін басым болады.",
    ru_prevails: "Қазақ және орыс тілдеріндегі мәтіндер арасында айырмашылық болса, орыс тіліндегі мәтін басым болады.",
    previous: "Алдыңғы нұсқалары",
    loading: "Құпиялылық саясаты жүктеліп жатыр…",
    failed: "Құпиялылық саясатын жүктеу мүмкін болмады. Оны бөлек беттен оқуға болады:",
    other_language: "Саясаттың қазақ тіліндегі мәтіні жоқ, төменде орыс тіліндегі мәтіні берілген.",
};

const RU: PolicyTexts = PolicyTexts {
    contents: "Содержание",
    version: "Редакция",
    effective: "Действует с",
    controller: "Оператор персональных данных:",
    bin: "БИН",
    kk_prevails: "При расхождении между текстами на казахском и русском языках преимущественную силу имеет текст на казахском языке.",
    ru_prevails: "При расхождении между текстами на казахском и русском языках преимущественную силу имеет текст на русском языке.",
    previous: "Предыдущие редакции",
    loading: "Политика конфиденциальности загружается…",
    failed: "Не удалось загрузить политику конфиденциальности. Её можно прочитать на отдельной странице:",
    other_language: "Текста политики на русском языке нет, ниже приведён текст на казахском языке.",
};

/// The policy view's texts for `lang`.
pub fn policy_texts(lang: Lang) -> &'static PolicyTexts {
    match lang {
        Lang::Kk => &KK,
        Lang::Ru => &RU,
    }
}

/// The text to show for `lang` and the language it is in: the text in `lang`,
/// else the document's other text (a one-language document). `None` only for
/// a document without texts, which `decode` refuses.
pub fn text_for(doc: &PolicyDoc, lang: Lang) -> Option<(&Text, Lang)> {
    let other = match lang {
        Lang::Kk => Lang::Ru,
        Lang::Ru => Lang::Kk,
    };
    doc.text(lang).map(|t| (t, lang)).or_else(|| doc.text(other).map(|t| (t, other)))
}

/// The `id` of every section of `text`, in document order (a clause before its
/// sub-clauses, as [`super::policy::clauses`]): `prefix` and the clause with
/// dots as dashes (`kelisim-3-4`), and `_2`, `_3` ... for a clause id seen
/// before, so the ids are unique even when the source repeats a number.
pub fn anchors(text: &Text, prefix: &str) -> Vec<String> {
    fn walk(sections: &[Section], prefix: &str, seen: &mut Vec<(String, usize)>, out: &mut Vec<String>) {
        for s in sections {
            let mut id = String::from(prefix);
            for c in s.clause.chars() {
                // Clause ids are digits and dots; anything else becomes a dash too.
                id.push(if c.is_ascii_alphanumeric() { c } else { '-' });
            }
            match seen.iter_mut().find(|(base, _)| *base == id) {
                Some((_, n)) => {
                    *n += 1;
                    id.push('_');
                    super::value::push_int(&mut id, *n as i64);
                }
                None => seen.push((id.clone(), 1)),
            }
            out.push(id);
            walk(&s.sections, prefix, seen, out);
        }
    }
    let mut out = Vec::new();
    walk(&text.sections, prefix, &mut Vec::new(), &mut out);
    out
}

/// Where a rendered section is, relative to the visible area: its top and
/// bottom edges in the same coordinates as the area's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// Top edge.
    pub top: f64,
    /// Bottom edge.
    pub bottom: f64,
}

/// How far below the top edge of the visible area the line lies that decides
/// the current clause (CSS pixels): a clause brought to the top by a link
/// stops a scroll margin short of the edge.
pub const TOP_SLACK: f64 = 24.0;

/// The clause the reader is at, as an index into `sections` (document order,
/// nested sections after their parent): the one last navigated to (`marked`)
/// while any of it is still on screen, else the deepest section that spans the
/// line [`TOP_SLACK`] below the top of the visible area, else none (the reader is above the first
/// clause).
pub fn current(sections: &[Extent], marked: Option<usize>, view_top: f64, view_bottom: f64) -> Option<usize> {
    if let Some(i) = marked {
        if sections.get(i).is_some_and(|s| s.top < view_bottom && s.bottom > view_top) {
            return Some(i);
        }
    }
    // A section scrolled to the top (less its scroll margin) counts as there.
    let line = view_top + TOP_SLACK;
    sections.iter().rposition(|s| s.top <= line && s.bottom > line)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::policy::{clauses, Text};
    use proptest::prelude::*;

    fn all(t: &PolicyTexts) -> [&'static str; 11] {
        [
            t.contents, t.version, t.effective, t.controller, t.bin, t.kk_prevails, t.ru_prevails,
            t.previous, t.loading, t.failed, t.other_language,
        ]
    }

    #[test]
    fn kazakh_uses_cyrillic_letters_not_latin_lookalikes() {
        for s in all(policy_texts(Lang::Kk)).iter().chain(&all(policy_texts(Lang::Ru))) {
            assert!(!s.contains(['\u{0259}', '\u{018F}']), "Latin schwa in {s:?}");
            for w in s.split(|c: char| !c.is_alphabetic()) {
                let latin = w.chars().any(|c| c.is_ascii_alphabetic());
                let cyr = w.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
                assert!(!(latin && cyr), "mixed-script word {w:?} in {s:?}");
            }
        }
        let kk = all(policy_texts(Lang::Kk)).concat();
        for letter in ['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'і'] {
            assert!(kk.contains(letter), "Kazakh letter {letter} expected");
        }
    }

    #[test]
    fn languages_differ_terms_are_consistent_and_nothing_is_empty() {
        for (a, b) in all(policy_texts(Lang::Kk)).iter().zip(all(policy_texts(Lang::Ru))) {
            assert!(!a.is_empty() && !b.is_empty());
            assert_ne!(*a, b);
        }
        assert!(KK.failed.contains("Құпиялылық саясат") && KK.loading.contains("Құпиялылық саясат"));
        assert!(RU.failed.contains("политику конфиденциальности") && RU.loading.contains("Политика конфиденциальности"));
        assert!(KK.ru_prevails.contains("орыс тіліндегі мәтін басым") && RU.ru_prevails.ends_with("на русском языке."));
        assert!(KK.kk_prevails.contains("қазақ тіліндегі мәтін басым") && RU.kk_prevails.ends_with("на казахском языке."));
    }

    fn section(clause: &str, sections: Vec<Section>) -> Section {
        Section { clause: clause.into(), number: clause.into(), heading: None, blocks: vec![], sections }
    }

    fn text(sections: Vec<Section>) -> Text {
        Text { title: "t".into(), intro: vec![], sections }
    }

    #[test]
    fn anchors_follow_document_order_and_number_repeats() {
        let t = text(vec![
            section("1", vec![section("1.1", vec![])]),
            section("3", vec![section("3.4", vec![]), section("3.4", vec![section("3.4.1", vec![])])]),
            section("3", vec![]),
        ]);
        assert_eq!(
            anchors(&t, "kelisim-"),
            ["kelisim-1", "kelisim-1-1", "kelisim-3", "kelisim-3-4", "kelisim-3-4_2", "kelisim-3-4-1", "kelisim-3_2"]
        );
        assert_eq!(anchors(&t, "p-").len(), clauses(&t).len());
    }

    /// A section tree as numbers only; ids are made from the path when built.
    #[derive(Debug, Clone)]
    struct Node(u32, Vec<Node>);

    fn build(nodes: &[Node], parent: Option<&str>) -> Vec<Section> {
        nodes
            .iter()
            .map(|Node(n, kids)| {
                let id = match parent {
                    Some(p) => alloc::format!("{p}.{n}"),
                    None => n.to_string(),
                };
                section(&id, build(kids, Some(&id)))
            })
            .collect()
    }

    fn tree() -> impl Strategy<Value = Vec<Section>> {
        let leaf = (1u32..4).prop_map(|n| Node(n, vec![]));
        let node = leaf.prop_recursive(3, 24, 4, |inner| {
            ((1u32..4), proptest::collection::vec(inner, 0..4)).prop_map(|(n, kids)| Node(n, kids))
        });
        proptest::collection::vec(node, 0..5).prop_map(|nodes| build(&nodes, None))
    }

    proptest! {
        /// Against a naive oracle: ids are unique, one per clause in document
        /// order, and the k-th occurrence of a clause id is the base id with
        /// `_k` (none for the first).
        #[test]
        fn anchors_are_unique_and_match_a_naive_oracle(sections in tree()) {
            let t = text(sections);
            let ids = anchors(&t, "kelisim-");
            let flat = clauses(&t);
            prop_assert_eq!(ids.len(), flat.len());
            for (i, (id, clause)) in ids.iter().zip(&flat).enumerate() {
                let k = flat[..i].iter().filter(|c| *c == clause).count() + 1;
                let base = alloc::format!("kelisim-{}", clause.replace('.', "-"));
                let want = if k == 1 { base } else { alloc::format!("{base}_{k}") };
                prop_assert_eq!(id, &want);
                prop_assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            }
            let mut sorted = ids.clone();
            sorted.sort();
            sorted.dedup();
            prop_assert_eq!(sorted.len(), ids.len());
        }

        /// Against a naive oracle: a marked section that is still on screen
        /// wins; otherwise the last section in document order spanning the
        /// top line.
        #[test]
        fn current_matches_a_naive_oracle(
            raw in proptest::collection::vec((0i32..2000, 1i32..600), 0..12),
            marked in proptest::option::of(0usize..14),
            top in 0i32..2000,
        ) {
            let sections: Vec<Extent> = raw.iter().map(|&(t, h)| Extent { top: t as f64, bottom: (t + h) as f64 }).collect();
            let (vt, vb) = (top as f64, (top + 500) as f64);
            let got = current(&sections, marked, vt, vb);
            let visible = |s: &Extent| s.top < vb && s.bottom > vt;
            let spans = |s: &Extent| s.top <= vt + 24.0 && s.bottom > vt + 24.0;
            let oracle = match marked {
                Some(i) if i < sections.len() && visible(&sections[i]) => Some(i),
                _ => (0..sections.len()).rfind(|&i| spans(&sections[i])),
            };
            prop_assert_eq!(got, oracle);
        }
    }

    #[test]
    fn current_clause_cases() {
        let e = |top: f64, bottom: f64| Extent { top, bottom };
        // 1 [0, 500) containing 1.1 [100, 300); 2 [500, 900).
        let s = [e(0.0, 500.0), e(100.0, 300.0), e(500.0, 900.0)];
        assert_eq!(current(&s, None, 150.0, 650.0), Some(1), "the deepest section at the top line");
        assert_eq!(current(&s, None, 350.0, 850.0), Some(0));
        assert_eq!(current(&s, None, 90.0, 590.0), Some(1), "a clause just below the top counts");
        assert_eq!(current(&s, None, 70.0, 570.0), Some(0), "one further down does not");
        assert_eq!(current(&s, None, -50.0, 450.0), None, "above the first clause");
        assert_eq!(current(&s, Some(2), 150.0, 650.0), Some(2), "marked and visible");
        assert_eq!(current(&s, Some(2), 0.0, 400.0), Some(0), "marked but scrolled away");
        assert_eq!(current(&s, Some(9), 150.0, 650.0), Some(1));
    }

    #[test]
    fn one_language_documents_fall_back_to_their_text() {
        let t = |title: &str| Some(Text { title: title.into(), intro: vec![], sections: vec![] });
        let doc = PolicyDoc {
            controller: Default::default(),
            version: "1".into(),
            effective: None,
            prevails: None,
            previous: vec![],
            kk: None,
            ru: t("Политика"),
        };
        assert_eq!(text_for(&doc, Lang::Kk).map(|(_, l)| l), Some(Lang::Ru));
        assert_eq!(text_for(&doc, Lang::Ru).map(|(t, _)| t.title.as_str()), Some("Политика"));
        let both = PolicyDoc { kk: t("Саясат"), ..doc };
        assert_eq!(text_for(&both, Lang::Kk).map(|(t, l)| (t.title.as_str(), l)), Some(("Саясат", Lang::Kk)));
    }
}
