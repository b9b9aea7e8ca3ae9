//! The texts of link and OAuth disclosures and of the third-party list, in
//! Kazakh and Russian. `{}` marks where a name goes ([`fill`]).
//!
//! Terms as in [`super::texts`]: kk «құпиялылық саясаты», ru «политика
//! конфиденциальности»; kk «үшінші тараптар», ru «третьи лица».

use alloc::string::String;

use super::config::Lang;
use super::value::{cat, char_is};

/// Disclosure texts of one language.
#[derive(Debug)]
pub struct DisclosureTexts {
    /// Heading of a link disclosure.
    pub link_title: &'static str,
    /// "You are going to {}: its own privacy policy applies there."
    pub link_body: &'static str,
    /// For a site that is not a declared third party.
    pub undeclared: &'static str,
    /// Heading of an OAuth disclosure: "Log in with {}".
    pub oauth_title: &'static str,
    /// "On log-in, {} gives us these data:".
    pub oauth_body: &'static str,
    /// Which policy applies to what after an OAuth log-in.
    pub oauth_note: &'static str,
    /// Label before what a third party may collect.
    pub collects: &'static str,
    /// Label before why.
    pub purpose: &'static str,
    /// Label before the country data go to.
    pub country: &'static str,
    /// Added when that country is not Kazakhstan.
    pub abroad: &'static str,
    /// Link to a party's own policy: "Privacy policy of {}".
    pub party_policy: &'static str,
    /// The "don't ask again for {}" checkbox.
    pub remember: &'static str,
    /// Continue button.
    pub proceed: &'static str,
    /// Cancel button.
    pub cancel: &'static str,
    /// Heading of the third-party list in the preferences panel.
    pub parties_title: &'static str,
    /// Introduction of that list.
    pub parties_intro: &'static str,
    /// Heading of the OAuth provider list.
    pub logins_title: &'static str,
    /// Label before what the site receives from an OAuth provider.
    pub receives: &'static str,
}

const KK: DisclosureTexts = DisclosureTexts {
    link_title: "Сіз басқа сайтқа өтесіз",
    link_body: "Сіз «{}» сайтына өтесіз. Онда оның өз құпиялылық саясаты қолданылады.",
    undeclared: "Бұл сайт біздің үшінші тараптар тізімінде жоқ.",
    oauth_title: "{} арқылы кіру",
    oauth_body: "Кірген кезде {} бізге мына деректерді береді:",
    oauth_note: "Бұдан әрі оларға біздің құпиялылық саясатымыз, ал {} аккаунтыңызға оның өз саясаты қолданылады.",
    collects: "Не жинауы мүмкін:",
    purpose: "Не үшін:",
    country: "Деректер берілетін ел:",
    abroad: "Деректер Қазақстаннан тыс жерге беріледі.",
    party_policy: "«{}» құпиялылық саясаты",
    remember: "«{}» үшін қайта сұрамау",
    proceed: "Жалғастыру",
    cancel: "Болдырмау",
    parties_title: "Үшінші тараптар",
    parties_intro: "Бұл ұйымдар сайт арқылы деректеріңізді алуы мүмкін немесе сілтемелер соларға апарады.",
    logins_title: "Басқа сервис арқылы кіру",
    receives: "Сайт алатын деректер:",
};

const RU: DisclosureTexts = DisclosureTexts {
    link_title: "Вы переходите на другой сайт",
    link_body: "Вы переходите на сайт «{}». Там действует его собственная политика конфиденциальности.",
    undeclared: "Этого сайта нет в нашем списке третьих лиц.",
    oauth_title: "Вход через {}",
    oauth_body: "При входе {} передаст нам эти данные:",
    oauth_note: "Дальше к ним применяется наша политика конфиденциальности, а к аккаунту {} — его собственная.",
    collects: "Что может собирать:",
    purpose: "Зачем:",
    country: "Страна, куда передаются данные:",
    abroad: "Данные передаются за пределы Казахстана.",
    party_policy: "Политика конфиденциальности «{}»",
    remember: "Больше не спрашивать для «{}»",
    proceed: "Продолжить",
    cancel: "Отмена",
    parties_title: "Третьи лица",
    parties_intro: "Эти организации могут получать ваши данные через сайт, или на их сайты ведут наши ссылки.",
    logins_title: "Вход через другие сервисы",
    receives: "Данные, которые получает сайт:",
};

/// The disclosure texts for `lang`.
pub fn disclosure_texts(lang: Lang) -> &'static DisclosureTexts {
    match lang {
        Lang::Kk => &KK,
        Lang::Ru => &RU,
    }
}

/// `template` with its first `{}` replaced by `name` (the template as is when
/// it has none).
pub fn fill(template: &str, name: &str) -> String {
    match template.split_once(char_is('{')) {
        Some((before, after)) => cat(&[before, name, after.strip_prefix('}').unwrap_or(after)]),
        None => template.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(t: &DisclosureTexts) -> [&'static str; 18] {
        [
            t.link_title, t.link_body, t.undeclared, t.oauth_title, t.oauth_body, t.oauth_note,
            t.collects, t.purpose, t.country, t.abroad, t.party_policy, t.remember, t.proceed,
            t.cancel, t.parties_title, t.parties_intro, t.logins_title, t.receives,
        ]
    }

    #[test]
    fn kazakh_uses_cyrillic_letters_not_latin_lookalikes() {
        for s in all(disclosure_texts(Lang::Kk)) {
            assert!(!s.contains(['\u{0259}', '\u{018F}']), "Latin schwa in {s:?}");
            for w in s.split(|c: char| !c.is_alphabetic()) {
                let latin = w.chars().any(|c| c.is_ascii_alphabetic());
                let cyr = w.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
                assert!(!(latin && cyr), "mixed-script word {w:?} in {s:?}");
                assert!(!latin, "Latin word {w:?} in Kazakh text {s:?}");
            }
        }
        let kk = all(disclosure_texts(Lang::Kk)).concat().to_lowercase();
        for letter in ['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'і'] {
            assert!(kk.contains(letter), "Kazakh letter {letter} expected");
        }
    }

    #[test]
    fn languages_differ_nothing_is_empty_and_placeholders_match() {
        for (a, b) in all(disclosure_texts(Lang::Kk)).iter().zip(all(disclosure_texts(Lang::Ru))) {
            assert!(!a.is_empty() && !b.is_empty());
            assert_ne!(*a, b);
            assert_eq!(a.matches("{}").count(), b.matches("{}").count(), "{a:?} / {b:?}");
            assert!(a.matches("{}").count() <= 1 && !a.replace("{}", "").contains(['{', '}']));
        }
    }

    #[test]
    fn consistent_terms() {
        let kk = all(disclosure_texts(Lang::Kk)).concat();
        let ru = all(disclosure_texts(Lang::Ru)).concat();
        assert!(kk.contains("құпиялылық саясат") && kk.contains("Үшінші тараптар"));
        assert!(ru.contains("политика конфиденциальности") && ru.contains("Третьи лица"));
    }

    #[test]
    fn fill_puts_the_name_in_place() {
        assert_eq!(fill("Вход через {}", "Google"), "Вход через Google");
        assert_eq!(fill(KK.link_body, "Meta").split('.').next(), Some("Сіз «Meta» сайтына өтесіз"));
        assert_eq!(fill("no name", "x"), "no name");
        assert_eq!(fill("{}", "«}»"), "«}»");
    }
}
