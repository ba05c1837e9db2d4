//! The pure language detector: text in, [`Language`] out.

use newsflow_core::contracts::Language;
use whatlang::{Lang, Script};

/// Body text beyond this many bytes adds cost but no accuracy.
pub const MAX_SAMPLE_BYTES: usize = 2048;

/// Detects the language of an article from its title and the start of its body.
pub fn detect_article(title: Option<&str>, body: &str) -> Language {
    let mut sample = String::with_capacity(MAX_SAMPLE_BYTES + 256);
    if let Some(title) = title {
        sample.push_str(title);
        sample.push('\n');
    }
    sample.push_str(truncate_at_char(body, MAX_SAMPLE_BYTES));
    detect_text(&sample)
}

/// Detects the language of a text; `und` (unreliable) when it has no letters.
pub fn detect_text(text: &str) -> Language {
    let Some(info) = whatlang::detect(text) else {
        return undetermined(whatlang::detect_script(text));
    };
    let lang = info.lang();
    Language {
        code: lang.code().to_string(),
        iso639_1: iso639_1(lang).map(str::to_string),
        script: Some(script_name(info.script())),
        confidence: round3(info.confidence()),
        reliable: info.is_reliable(),
        method: if single_language_script(info.script()) {
            "script".into()
        } else {
            "trigram".into()
        },
    }
}

fn undetermined(script: Option<Script>) -> Language {
    Language {
        code: "und".into(),
        iso639_1: None,
        script: script.map(script_name),
        confidence: 0.0,
        reliable: false,
        method: "none".into(),
    }
}

fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Scripts whatlang maps to one language without looking at trigrams.
fn single_language_script(script: Script) -> bool {
    !matches!(
        script,
        Script::Latin | Script::Cyrillic | Script::Arabic | Script::Devanagari | Script::Hebrew
    )
}

/// English name of a script, as in the Unicode script property.
pub fn script_name(script: Script) -> String {
    script.name().to_string()
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
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_arabic_english_french() {
        let ar = detect_text(
            "حذر مدير الاستخبارات الوطنية من أن المتطرفين لديهم المزيد من الخلايا في أوروبا",
        );
        assert_eq!(
            (ar.code.as_str(), ar.iso639_1.as_deref()),
            ("ara", Some("ar"))
        );
        assert_eq!(ar.script.as_deref(), Some("Arabic"));
        let en = detect_text(
            "Security officials warned that the threat of attacks remains high across Europe this year.",
        );
        assert_eq!(en.code, "eng");
        assert!(en.reliable);
        let fr = detect_text(
            "Le directeur d'Europol a indiqué mercredi que le groupe a mis au point un réseau social.",
        );
        assert_eq!(fr.code, "fra");
        assert!((0.0..=1.0).contains(&fr.confidence));
    }

    #[test]
    fn text_without_letters_is_undetermined() {
        for text in ["", "   ", "2024-01-15 12:30 +33 1 23 45"] {
            let lang = detect_text(text);
            assert_eq!(lang.code, "und", "{text:?}");
            assert!(!lang.reliable);
            assert_eq!(lang.confidence, 0.0);
        }
    }

    #[test]
    fn the_sample_is_capped_on_a_char_boundary() {
        let body = "é".repeat(MAX_SAMPLE_BYTES);
        assert_eq!(
            truncate_at_char(&body, MAX_SAMPLE_BYTES + 1).len(),
            MAX_SAMPLE_BYTES
        );
    }

    #[test]
    fn every_whatlang_language_has_a_two_letter_code() {
        for lang in Lang::all() {
            assert!(iso639_1(*lang).is_some(), "{lang:?}");
        }
    }
}
