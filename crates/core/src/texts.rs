//! Every string the banner and the preferences panel show, in Kazakh and Russian.
//!
//! Terms are used consistently: kk «келісім», «cookie файлдары», «құпиялылық
//! саясаты»; ru «согласие», «файлы cookie», «политика конфиденциальности».

use super::config::Lang;

/// The interface texts of one language.
#[derive(Debug)]
pub struct Texts {
    /// Banner heading.
    pub title: &'static str,
    /// Banner body.
    pub body: &'static str,
    /// Link to the privacy policy.
    pub policy: &'static str,
    /// "Accept all" button.
    pub accept_all: &'static str,
    /// "Reject all" button.
    pub reject_all: &'static str,
    /// Opens the preferences panel.
    pub preferences: &'static str,
    /// Preferences panel heading.
    pub preferences_title: &'static str,
    /// Preferences panel introduction.
    pub preferences_body: &'static str,
    /// Saves the preferences.
    pub save: &'static str,
    /// Closes the panel.
    pub close: &'static str,
    /// The small button that reopens the panel after a decision.
    pub reopen: &'static str,
    /// Shown next to a required category's switch.
    pub always_on: &'static str,
    /// Heading of a category's service list (followed by a count).
    pub services: &'static str,
    /// Label before a list of cookie names.
    pub cookies: &'static str,
    /// Accessible name of the language switch.
    pub language: &'static str,
    /// Name of this language in itself.
    pub own_name: &'static str,
    /// Before the date until which the consent holds.
    pub valid_until: &'static str,
    /// Explains the reopen button and withdrawal.
    pub withdraw_hint: &'static str,
}

const KK: Texts = Texts {
    title: "Біз cookie файлдарын пайдаланамыз",
    body: "Сайттың жұмысына қажетті cookie файлдары әрдайым қосулы. Талдау, баптауларды есте сақтау және жарнама үшін қосымша cookie файлдарын тек сіздің келісіміңізбен қолданамыз. Таңдауыңызды кез келген уақытта өзгертуге немесе келісіміңізді кері қайтарып алуға болады.",
    policy: "Құпиялылық саясаты",
    accept_all: "Барлығын қабылдау",
    reject_all: "Барлығынан бас тарту",
    preferences: "Баптаулар",
    preferences_title: "Cookie файлдарының баптаулары",
    preferences_body: "Қай санаттағы cookie файлдарына келісім беретініңізді таңдаңыз. Міндетті санатты өшіру мүмкін емес: онсыз сайт жұмыс істемейді.",
    save: "Таңдауды сақтау",
    close: "Жабу",
    reopen: "Cookie баптаулары",
    always_on: "Әрдайым қосулы",
    services: "Қызметтер",
    cookies: "Cookie файлдары:",
    language: "Тіл",
    own_name: "Қазақша",
    valid_until: "Келісім мына күнге дейін жарамды:",
    withdraw_hint: "Келісімді кері қайтарып алу үшін барлық қосымша санаттарды өшіріп, таңдауды сақтаңыз.",
};

const RU: Texts = Texts {
    title: "Мы используем файлы cookie",
    body: "Файлы cookie, необходимые для работы сайта, включены всегда. Дополнительные файлы cookie для аналитики, запоминания настроек и рекламы мы используем только с вашего согласия. Вы можете изменить свой выбор или отозвать согласие в любое время.",
    policy: "Политика конфиденциальности",
    accept_all: "Принять все",
    reject_all: "Отклонить все",
    preferences: "Настройки",
    preferences_title: "Настройки файлов cookie",
    preferences_body: "Выберите, на какие категории файлов cookie вы даёте согласие. Обязательную категорию отключить нельзя: без неё сайт не работает.",
    save: "Сохранить выбор",
    close: "Закрыть",
    reopen: "Настройки cookie",
    always_on: "Всегда включены",
    services: "Сервисы",
    cookies: "Файлы cookie:",
    language: "Язык",
    own_name: "Русский",
    valid_until: "Согласие действует до:",
    withdraw_hint: "Чтобы отозвать согласие, отключите все дополнительные категории и сохраните выбор.",
};

/// The texts for `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Kk => &KK,
        Lang::Ru => &RU,
    }
}

/// Texts of gated embeds and the Global Privacy Control notice.
#[derive(Debug)]
pub struct GateTexts {
    /// The notice in the banner and panel when a GPC signal is honoured.
    pub gpc_notice: &'static str,
    /// A blocked embed's placeholder, after the service's name.
    pub placeholder: &'static str,
    /// Loads this one embed, this time only.
    pub allow_once: &'static str,
    /// Accepts the embed's service (or category) and loads it.
    pub allow_always: &'static str,
}

const KK_GATE: GateTexts = GateTexts {
    gpc_notice: "Браузеріңіз деректерді сатуға және беруге қарсы сигнал жіберді (Global Privacy Control). Біз оны ескердік: жарнама өшірулі.",
    placeholder: "Мазмұнды үшінші тарап береді, ол cookie файлдарын орнатуы мүмкін. Көру үшін келісіміңіз қажет.",
    allow_once: "Бір рет рұқсат ету",
    allow_always: "Әрдайым рұқсат ету",
};

const RU_GATE: GateTexts = GateTexts {
    gpc_notice: "Ваш браузер передал сигнал против продажи и передачи данных (Global Privacy Control). Мы его учли: реклама выключена.",
    placeholder: "Материал загружается со стороннего сервиса, который может ставить файлы cookie. Для просмотра нужно ваше согласие.",
    allow_once: "Разрешить один раз",
    allow_always: "Разрешать всегда",
};

/// The gate texts for `lang`.
pub fn gate_texts(lang: Lang) -> &'static GateTexts {
    match lang {
        Lang::Kk => &KK_GATE,
        Lang::Ru => &RU_GATE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(t: &Texts) -> [&'static str; 18] {
        [
            t.title, t.body, t.policy, t.accept_all, t.reject_all, t.preferences,
            t.preferences_title, t.preferences_body, t.save, t.close, t.reopen, t.always_on,
            t.services, t.cookies, t.language, t.own_name, t.valid_until, t.withdraw_hint,
        ]
    }

    fn all_gate(t: &GateTexts) -> [&'static str; 4] {
        [t.gpc_notice, t.placeholder, t.allow_once, t.allow_always]
    }

    /// Every string of a language: the interface's and the gate's.
    fn every(lang: Lang) -> Vec<&'static str> {
        let mut v = all(texts(lang)).to_vec();
        v.extend(all_gate(gate_texts(lang)));
        v
    }

    #[test]
    fn kazakh_uses_cyrillic_letters_not_latin_lookalikes() {
        for s in every(Lang::Kk) {
            assert!(!s.contains(['\u{0259}', '\u{018F}']), "Latin schwa in {s:?}");
            for w in s.split(|c: char| !c.is_alphabetic()) {
                let latin = w.chars().any(|c| c.is_ascii_alphabetic());
                let cyr = w.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
                assert!(!(latin && cyr), "mixed-script word {w:?} in {s:?}");
            }
        }
        let kk = all(texts(Lang::Kk)).concat();
        assert!(kk.contains('ә') && kk.contains('і') && kk.contains('қ'), "Kazakh letters expected");
    }

    #[test]
    fn languages_differ_and_nothing_is_empty() {
        for (a, b) in every(Lang::Kk).iter().zip(every(Lang::Ru)) {
            assert!(!a.is_empty() && !b.is_empty());
            assert_ne!(*a, b);
        }
    }

    #[test]
    fn consistent_terms() {
        let kk = every(Lang::Kk).concat();
        let ru = every(Lang::Ru).concat();
        assert!(kk.contains("келісім") && kk.contains("cookie файлдар") && kk.contains("Құпиялылық саясаты"));
        assert!(ru.contains("согласи") && ru.contains("файлы cookie") && ru.contains("Политика конфиденциальности"));
    }

    #[test]
    fn gate_texts_use_the_terms() {
        let (kk, ru) = (gate_texts(Lang::Kk), gate_texts(Lang::Ru));
        assert!(kk.placeholder.contains("келісім") && kk.placeholder.contains("cookie файлдар"));
        assert!(ru.placeholder.contains("согласие") && ru.placeholder.contains("файлы cookie"));
        assert!(kk.gpc_notice.contains("Global Privacy Control") && ru.gpc_notice.contains("Global Privacy Control"));
    }
}
