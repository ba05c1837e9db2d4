//! Language codes: whatlang's languages as ISO 639-3 and 639-1, and parsing
//! of the codes people and crawlers write (`en`, `eng`, `pt-BR`, `zh_Hans`).

use whatlang::Lang;

/// Codes that mean a whatlang language but are not whatlang's own code:
/// macrolanguage codes and ISO 639-2/B codes crawlers commonly send.
const ALIASES: &[(&str, Lang)] = &[
    ("fas", Lang::Pes),
    ("per", Lang::Pes),
    ("zho", Lang::Cmn),
    ("chi", Lang::Cmn),
    ("ger", Lang::Deu),
    ("fre", Lang::Fra),
    ("dut", Lang::Nld),
    ("msa", Lang::Ind),
    ("nor", Lang::Nob),
    ("no", Lang::Nob),
    ("iw", Lang::Heb),
    ("in", Lang::Ind),
];

/// Parses a language code as written in config, `lang_hint` or an HTML
/// `lang` attribute: ISO 639-1 or 639-3, any case, with or without a region
/// or script subtag (`pt-BR`, `zh_Hant`). `None` for codes whatlang does not
/// know (and for `und`, `mul`, empty strings).
pub fn parse_lang(code: &str) -> Option<Lang> {
    let primary = code
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if let Some((_, lang)) = ALIASES.iter().find(|(alias, _)| *alias == primary) {
        return Some(*lang);
    }
    match primary.len() {
        2 => Lang::all()
            .iter()
            .copied()
            .find(|lang| iso639_1(*lang) == Some(primary.as_str())),
        3 => Lang::from_code(primary),
        _ => None,
    }
}

/// ISO 639-1 code of a whatlang language, where one exists.
pub fn iso639_1(lang: Lang) -> Option<&'static str> {
    use Lang::*;
    Some(match lang {
        Epo => "eo",
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
        Cym => "cy",
        // whatlang may add languages in a minor release; they simply get no
        // two-letter code until this table learns them.
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_whatlang_language_has_a_two_letter_code() {
        for lang in Lang::all() {
            assert!(iso639_1(*lang).is_some(), "{lang:?}");
        }
    }

    #[test]
    fn parses_two_and_three_letter_codes_with_subtags_and_aliases() {
        for (code, lang) in [
            ("en", Lang::Eng),
            ("EN-us", Lang::Eng),
            ("eng", Lang::Eng),
            ("pt_BR", Lang::Por),
            ("zh-Hant", Lang::Cmn),
            ("zho", Lang::Cmn),
            ("fa", Lang::Pes),
            ("fas", Lang::Pes),
            ("pes", Lang::Pes),
            ("ja", Lang::Jpn),
            (" uk ", Lang::Ukr),
        ] {
            assert_eq!(parse_lang(code), Some(lang), "{code:?}");
        }
    }

    #[test]
    fn unknown_or_empty_codes_are_none() {
        for code in ["", "und", "mul", "xx", "english", "-", "q"] {
            assert_eq!(parse_lang(code), None, "{code:?}");
        }
    }
}
