//! Script repairs and language detection.
//!
//! Text extracted from Kazakh PDFs often carries Latin letters where Kazakh
//! Cyrillic ones are meant: the Latin schwa `ə`/`Ə` (U+0259/U+018F) for `ә`/`Ә`
//! (U+04D9/U+04D8), and Latin `I` for `І` inside Cyrillic words. Other Latin
//! lookalikes (`a`, `e`, `o`, `p`, `c` ...) inside a mostly Cyrillic word are
//! the same defect. [`normalize`] repairs them and counts what it changed.

use kelisim_core::config::Lang;

/// How many characters [`normalize`] replaced, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Repairs {
    /// Latin `ə`/`Ə` made Cyrillic `ә`/`Ә`.
    pub schwa: usize,
    /// Latin `I` inside a Cyrillic word made Kazakh `І` (Kazakh texts only).
    pub latin_i: usize,
    /// Other Latin lookalikes inside a mostly Cyrillic word.
    pub lookalikes: usize,
}

impl Repairs {
    /// Total number of replaced characters.
    pub fn total(&self) -> usize {
        self.schwa + self.latin_i + self.lookalikes
    }
}

/// Whether `c` is a Cyrillic letter (the basic block and its supplement).
pub fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{052F}')
}

/// The Cyrillic letter a Latin letter stands in for, when they look alike.
fn cyrillic_twin(c: char) -> Option<char> {
    Some(match c {
        'a' => 'а',
        'e' => 'е',
        'o' => 'о',
        'p' => 'р',
        'c' => 'с',
        'x' => 'х',
        'y' => 'у',
        'A' => 'А',
        'B' => 'В',
        'E' => 'Е',
        'K' => 'К',
        'M' => 'М',
        'H' => 'Н',
        'O' => 'О',
        'P' => 'Р',
        'C' => 'С',
        'T' => 'Т',
        'X' => 'Х',
        _ => return None,
    })
}

/// Repairs Latin lookalikes (see the module docs). Only letters change, so
/// the text keeps its words, spaces and line breaks.
pub fn normalize(text: &str, lang: Lang) -> (String, Repairs) {
    let mut repairs = Repairs::default();
    let mut out = String::with_capacity(text.len());
    let mut word: Vec<char> = Vec::new();
    let flush = |word: &mut Vec<char>, out: &mut String, repairs: &mut Repairs| {
        let cyr = word.iter().filter(|c| is_cyrillic(**c)).count();
        let latin = word.iter().filter(|c| c.is_ascii_alphabetic()).count();
        for c in word.drain(..) {
            let fixed = if cyr > 0 && latin > 0 && cyr >= latin {
                if c == 'I' && lang == Lang::Kk {
                    repairs.latin_i += 1;
                    'І'
                } else if let Some(t) = cyrillic_twin(c) {
                    repairs.lookalikes += 1;
                    t
                } else {
                    c
                }
            } else {
                c
            };
            out.push(fixed);
        }
    };
    for c in text.chars() {
        let c = match c {
            '\u{0259}' => {
                repairs.schwa += 1;
                'ә'
            }
            '\u{018F}' => {
                repairs.schwa += 1;
                'Ә'
            }
            c => c,
        };
        if c.is_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out, &mut repairs);
            out.push(c);
        }
    }
    flush(&mut word, &mut out, &mut repairs);
    (out, repairs)
}

/// Letters only Kazakh Cyrillic has (lower and upper case).
pub const KAZAKH_LETTERS: &str = "әғқңөұүһіӘҒҚҢӨҰҮҺІ";

/// The share of Kazakh-only letters among a text's Cyrillic letters, and the
/// number of Cyrillic letters it was measured on.
pub fn kazakh_share(text: &str) -> (f64, usize) {
    let mut cyr = 0usize;
    let mut kk = 0usize;
    for c in text.chars() {
        if is_cyrillic(c) {
            cyr += 1;
            if KAZAKH_LETTERS.contains(c) {
                kk += 1;
            }
        }
    }
    if cyr == 0 {
        (0.0, 0)
    } else {
        (kk as f64 / cyr as f64, cyr)
    }
}

/// Fewer Cyrillic letters than this and the language is not judged.
pub const MIN_LETTERS: usize = 200;

/// The language a text is written in, judged by its Kazakh-only letters:
/// Kazakh prose has several in every hundred letters, Russian none. `None`
/// when the text is too short or in between.
pub fn detect(text: &str) -> Option<Lang> {
    let (share, letters) = kazakh_share(text);
    if letters < MIN_LETTERS {
        None
    } else if share >= 0.015 {
        Some(Lang::Kk)
    } else if share <= 0.002 {
        Some(Lang::Ru)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schwa_and_latin_i_are_repaired_and_counted() {
        let (s, r) = normalize("жəне Əль-Фараби, Iскерлік IP-мекенжай", Lang::Kk);
        assert_eq!(s, "және Әль-Фараби, Іскерлік IP-мекенжай");
        assert_eq!(r, Repairs { schwa: 2, latin_i: 1, lookalikes: 0 });
    }

    #[test]
    fn lookalikes_only_inside_mostly_cyrillic_words() {
        let (s, r) = normalize("сaйт Cookies PaymTechтің кoмпания", Lang::Ru);
        assert_eq!(s, "сайт Cookies PaymTechтің компания");
        assert_eq!(r.lookalikes, 2);
        // Russian has no І: a Latin I is left for a person to judge.
        let (s, r) = normalize("Iнформация", Lang::Ru);
        assert_eq!((s.as_str(), r.total()), ("Iнформация", 0));
    }

    #[test]
    fn languages_are_told_apart() {
        let kk = "Біз сіздің дербес деректеріңізді қорғаймыз және оларды үшінші тұлғаларға бермейміз. ".repeat(5);
        let ru = "Мы защищаем ваши персональные данные и не передаём их третьим лицам без согласия. ".repeat(5);
        assert_eq!(detect(&kk), Some(Lang::Kk));
        assert_eq!(detect(&ru), Some(Lang::Ru));
        assert_eq!(detect("қысқа"), None);
    }
}
