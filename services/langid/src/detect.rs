//! The pure language detector: an article's text and language hints in,
//! [`Language`] out. No I/O; the service and `newsflow detect` both call
//! [`Detector::detect`].
//!
//! Decision order, cheapest first:
//! 1. no letters in the sample: `und`, method `none`;
//! 2. a script only one language uses (Hangul, Greek, kana, ...): `script`;
//! 3. whatlang over the allowlist on the first `sample_bytes`; a reliable
//!    answer (whatlang's own `is_reliable`, 99.8 % right on our test sets)
//!    is `trigram`. If unsure and the text was capped, once more on
//!    `max_sample_bytes`;
//! 4. still unsure: a crawler or HTML hint whose language is written in the
//!    text's script decides (`hint`);
//! 5. still unsure: lingua over the allowlist, when built in (`fallback`);
//! 6. otherwise whatlang's unsure answer, `reliable: false`.

use newsflow_core::contracts::Language;
use whatlang::{Info, Lang, Script};

use crate::codes::{iso639_1, parse_lang};
use crate::config::LangidConfig;
use crate::sample;

/// Confidence at or above which an answer is called reliable: whatlang's own
/// `is_reliable` threshold, applied to the fallback's confidence too.
#[cfg(feature = "lingua-fallback")]
const RELIABLE_CONFIDENCE: f64 = 0.9;

/// Confidence reported when a hint decided: the text did not contradict it
/// and its script agrees, but nothing measured it.
const HINT_CONFIDENCE: f64 = 0.9;

/// What a detection is made from.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArticleText<'a> {
    /// Headline, if any; read before the body.
    pub title: Option<&'a str>,
    /// Plain-text body.
    pub body: &'a str,
    /// The crawler's `lang_hint` (ISO 639-1 or 639-3, subtags allowed).
    pub lang_hint: Option<&'a str>,
    /// The HTML `lang` attribute.
    pub html_lang: Option<&'a str>,
}

impl<'a> ArticleText<'a> {
    /// Just a text, no title or hints.
    pub fn text(body: &'a str) -> Self {
        Self {
            body,
            ..Self::default()
        }
    }
}

/// A detection and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The language fields of the record.
    pub language: Language,
    /// Whether the second detector was asked (whatever it answered).
    pub fallback_ran: bool,
}

/// Errors in the `[langid]` settings.
#[derive(Debug, thiserror::Error)]
pub enum DetectorError {
    #[error(
        "[langid] allowlist: unknown language code {code:?} (use ISO 639-1 or 639-3, e.g. \"en\" or \"eng\")"
    )]
    UnknownLanguage { code: String },
    #[error("[langid] allowlist is empty: list at least one language")]
    EmptyAllowlist,
    #[error(
        "[langid] sample_bytes ({sample_bytes}) must be at least 16 and at most max_sample_bytes ({max_sample_bytes})"
    )]
    SampleBytes {
        sample_bytes: usize,
        max_sample_bytes: usize,
    },
    #[error("[langid] mixed_script_min_share ({share}) must be within 0..=1")]
    MixedScriptShare { share: f64 },
}

/// The configured detector. Cheap to share: build it once per process.
#[derive(Debug)]
pub struct Detector {
    allowlist: Vec<Lang>,
    whatlang: whatlang::Detector,
    sample_bytes: usize,
    max_sample_bytes: usize,
    use_hints: bool,
    mixed_script_min_share: f64,
    #[cfg(feature = "lingua-fallback")]
    fallback: Option<crate::fallback::Fallback>,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new(&LangidConfig::default()).expect("the default [langid] settings are valid")
    }
}

impl Detector {
    /// Builds the detector from the `[langid]` settings.
    ///
    /// # Errors
    /// When a language code is unknown, the allowlist is empty, or a size or
    /// share is out of range.
    pub fn new(config: &LangidConfig) -> Result<Self, DetectorError> {
        let mut allowlist = Vec::with_capacity(config.allowlist.len());
        for code in &config.allowlist {
            let lang = parse_lang(code)
                .ok_or_else(|| DetectorError::UnknownLanguage { code: code.clone() })?;
            if !allowlist.contains(&lang) {
                allowlist.push(lang);
            }
        }
        if allowlist.is_empty() {
            return Err(DetectorError::EmptyAllowlist);
        }
        if config.sample_bytes < 16 || config.sample_bytes > config.max_sample_bytes {
            return Err(DetectorError::SampleBytes {
                sample_bytes: config.sample_bytes,
                max_sample_bytes: config.max_sample_bytes,
            });
        }
        if !(0.0..=1.0).contains(&config.mixed_script_min_share) {
            return Err(DetectorError::MixedScriptShare {
                share: config.mixed_script_min_share,
            });
        }
        Ok(Self {
            whatlang: whatlang::Detector::with_allowlist(allowlist.clone()),
            #[cfg(feature = "lingua-fallback")]
            fallback: if config.fallback {
                crate::fallback::Fallback::new(&allowlist)
            } else {
                None
            },
            allowlist,
            sample_bytes: config.sample_bytes,
            max_sample_bytes: config.max_sample_bytes,
            use_hints: config.use_hints,
            mixed_script_min_share: config.mixed_script_min_share,
        })
    }

    /// The configured languages, deduplicated, in config order.
    pub fn allowlist(&self) -> &[Lang] {
        &self.allowlist
    }

    /// Whether this build has the second detector and it is switched on.
    pub fn has_fallback(&self) -> bool {
        #[cfg(feature = "lingua-fallback")]
        return self.fallback.is_some();
        #[cfg(not(feature = "lingua-fallback"))]
        return false;
    }

    /// Detects the language of a plain text without title or hints.
    pub fn detect_text(&self, text: &str) -> Detection {
        self.detect(&ArticleText::text(text))
    }

    /// Detects the language of an article (see the module doc for the order
    /// in which the evidence is used).
    pub fn detect(&self, input: &ArticleText<'_>) -> Detection {
        let mut cap = self.sample_bytes;
        let mut first = self.sample(input, cap);
        if first.letters == 0 && first.truncated {
            // Only numbers or addresses up front (a table, a list of links):
            // read on before giving up.
            cap = self.max_sample_bytes;
            first = self.sample(input, cap);
        }
        if first.letters == 0 {
            return done(undetermined(whatlang::detect_script(&first.text)));
        }
        let Some(mut info) = self.whatlang.detect(&first.text) else {
            // Every language of the text's script is outside the allowlist
            // (Bulgarian with no Cyrillic language listed): say what it is,
            // unconstrained.
            return done(match whatlang::detect(&first.text) {
                Some(info) => from_info(&info),
                None => undetermined(whatlang::detect_script(&first.text)),
            });
        };
        if one_language_script(info.script()) {
            return done(from_info(&info));
        }
        let hints = self.hints(input);
        if info.is_reliable() && !kanji_only_with_japanese_hint(&info, &hints) {
            return done(from_info(&info));
        }
        let mut text = first.text;
        if first.truncated && self.max_sample_bytes > cap {
            let more = self.sample(input, self.max_sample_bytes);
            if let Some(more_info) = self.whatlang.detect(&more.text) {
                if more_info.is_reliable() && !kanji_only_with_japanese_hint(&more_info, &hints) {
                    return done(from_info(&more_info));
                }
                info = more_info;
                text = more.text;
            }
        }
        if let Some(hint) = hints.iter().find(|hint| written_in_script(**hint, &text)) {
            let confidence = if *hint == info.lang() {
                info.confidence().max(HINT_CONFIDENCE)
            } else {
                HINT_CONFIDENCE
            };
            return done(language(*hint, info.script(), confidence, true, "hint"));
        }
        self.fall_back(&info, prefix_of(&text, self.sample_bytes))
    }

    #[cfg(feature = "lingua-fallback")]
    fn fall_back(&self, info: &Info, text: &str) -> Detection {
        let Some(fallback) = self
            .fallback
            .as_ref()
            .filter(|fallback| fallback.covers(info.lang()))
        else {
            return done(from_info(info));
        };
        let language = match fallback.detect(text) {
            Some((lang, confidence)) => language(
                lang,
                info.script(),
                confidence,
                confidence >= RELIABLE_CONFIDENCE,
                "fallback",
            ),
            None => from_info(info),
        };
        Detection {
            language,
            fallback_ran: true,
        }
    }

    #[cfg(not(feature = "lingua-fallback"))]
    fn fall_back(&self, info: &Info, _text: &str) -> Detection {
        done(from_info(info))
    }

    fn sample(&self, input: &ArticleText<'_>, max_bytes: usize) -> sample::Sample {
        sample::build(
            input.title,
            input.body,
            max_bytes,
            self.mixed_script_min_share,
        )
    }

    /// The hints that name a language whatlang knows, crawler's first.
    fn hints(&self, input: &ArticleText<'_>) -> Vec<Lang> {
        if !self.use_hints {
            return Vec::new();
        }
        let mut hints = Vec::with_capacity(2);
        for lang in [input.lang_hint, input.html_lang]
            .into_iter()
            .flatten()
            .filter_map(parse_lang)
        {
            if !hints.contains(&lang) {
                hints.push(lang);
            }
        }
        hints
    }
}

fn done(language: Language) -> Detection {
    Detection {
        language,
        fallback_ran: false,
    }
}

/// whatlang's fixed answer for kanji-only text is Mandarin (its kana rule
/// cannot see Japanese without kana); a Japanese hint outweighs it.
fn kanji_only_with_japanese_hint(info: &Info, hints: &[Lang]) -> bool {
    info.script() == Script::Mandarin && info.lang() == Lang::Cmn && hints.contains(&Lang::Jpn)
}

/// Whether `lang` is written in the script of `text`, by asking whatlang to
/// choose among `lang` alone: it answers `lang` only if the script allows it.
fn written_in_script(lang: Lang, text: &str) -> bool {
    whatlang::Detector::with_allowlist(vec![lang])
        .detect_lang(text)
        .is_some_and(|detected| detected == lang)
}

/// Scripts whatlang maps to one language without looking at trigrams.
fn one_language_script(script: Script) -> bool {
    !matches!(
        script,
        Script::Latin
            | Script::Cyrillic
            | Script::Arabic
            | Script::Devanagari
            | Script::Hebrew
            | Script::Mandarin
    )
}

fn from_info(info: &Info) -> Language {
    let method = if one_language_script(info.script()) || info.script() == Script::Mandarin {
        "script"
    } else {
        "trigram"
    };
    language(
        info.lang(),
        info.script(),
        info.confidence(),
        info.is_reliable(),
        method,
    )
}

fn language(lang: Lang, script: Script, confidence: f64, reliable: bool, method: &str) -> Language {
    Language {
        code: lang.code().to_string(),
        iso639_1: iso639_1(lang).map(str::to_string),
        script: Some(script_name(script)),
        confidence: round3(confidence.clamp(0.0, 1.0)),
        reliable,
        method: method.into(),
    }
}

fn undetermined(script: Option<Script>) -> Language {
    Language::undetermined(script.map(script_name))
}

fn prefix_of(text: &str, max: usize) -> &str {
    sample::prefix(text, max)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// English name of a script, as whatlang names it (`Latin`, `Cyrillic`,
/// `Mandarin` for Han).
pub fn script_name(script: Script) -> String {
    script.name().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(detection: &Detection) -> &str {
        &detection.language.code
    }

    fn without_fallback(config: LangidConfig) -> Detector {
        Detector::new(&LangidConfig {
            fallback: false,
            ..config
        })
        .unwrap()
    }

    #[test]
    fn detects_arabic_english_french() {
        let detector = Detector::default();
        let ar = detector.detect_text(
            "حذر مدير الاستخبارات الوطنية من أن المتطرفين لديهم المزيد من الخلايا في أوروبا",
        );
        let ar = ar.language;
        assert_eq!(
            (ar.code.as_str(), ar.iso639_1.as_deref()),
            ("ara", Some("ar"))
        );
        assert_eq!(ar.script.as_deref(), Some("Arabic"));
        let en = detector
            .detect_text(
                "Security officials warned that the threat of attacks remains high across Europe this year.",
            )
            .language;
        assert_eq!(en.code, "eng");
        assert!(en.reliable);
        assert_eq!(en.method, "trigram");
        let fr = detector.detect_text(
            "Le directeur d'Europol a indiqué mercredi que le groupe a mis au point un réseau social.",
        );
        assert_eq!(code(&fr), "fra");
        assert!((0.0..=1.0).contains(&fr.language.confidence));
    }

    #[test]
    fn text_without_letters_is_undetermined() {
        let detector = Detector::default();
        for text in [
            "",
            "   ",
            "2024-01-15 12:30 +33 1 23 45",
            "https://example.org/",
        ] {
            let lang = detector.detect_text(text).language;
            assert_eq!(lang.code, "und", "{text:?}");
            assert_eq!(lang.method, "none");
            assert!(!lang.reliable);
            assert_eq!(lang.confidence, 0.0);
            assert_eq!(lang.iso639_1, None);
        }
    }

    #[test]
    fn the_allowlist_restricts_the_candidates() {
        // Unrestricted whatlang calls this Dutch headline Afrikaans.
        let text = "Kabinet wil meer geld voor de zorg";
        let nl = without_fallback(LangidConfig {
            allowlist: vec!["nl".into(), "de".into(), "en".into()],
            ..LangidConfig::default()
        });
        assert_eq!(code(&nl.detect_text(text)), "nld");
        let only_german = without_fallback(LangidConfig {
            allowlist: vec!["deu".into()],
            ..LangidConfig::default()
        });
        assert_eq!(code(&only_german.detect_text(text)), "deu");
    }

    #[test]
    fn one_language_scripts_are_reported_even_outside_the_allowlist() {
        let greek = Detector::default()
            .detect_text("Η κυβέρνηση ανακοίνωσε νέα μέτρα")
            .language;
        assert_eq!(
            (greek.code.as_str(), greek.method.as_str()),
            ("ell", "script")
        );
        assert!(greek.reliable);
    }

    #[test]
    fn a_script_with_no_listed_language_gets_its_unconstrained_answer() {
        let detector = without_fallback(LangidConfig {
            allowlist: vec!["eng".into()],
            ..LangidConfig::default()
        });
        let lang = detector
            .detect_text("Правительство объявило новые меры поддержки экономики страны")
            .language;
        assert_eq!(lang.script.as_deref(), Some("Cyrillic"));
        assert_ne!(lang.code, "eng");
    }

    #[test]
    fn latin_brand_names_do_not_decide_a_cyrillic_headline() {
        let lang = Detector::default()
            .detect_text("Apple представила новый iPhone 16 Pro Max")
            .language;
        assert_eq!(lang.code, "rus");
        assert_eq!(lang.script.as_deref(), Some("Cyrillic"));
    }

    #[test]
    fn a_hint_decides_what_the_text_leaves_open() {
        let detector = without_fallback(LangidConfig::default());
        let text = "Macron à Berlin";
        let hinted = detector.detect(&ArticleText {
            title: Some(text),
            lang_hint: Some("fr-FR"),
            ..ArticleText::default()
        });
        assert_eq!(code(&hinted), "fra");
        assert_eq!(hinted.language.method, "hint");
        assert!(hinted.language.reliable);
        let from_html = detector.detect(&ArticleText {
            title: Some("Zelensky meets Biden in Washington"),
            html_lang: Some("en"),
            ..ArticleText::default()
        });
        assert_eq!(code(&from_html), "eng");
    }

    #[test]
    fn a_hint_in_another_script_or_against_clear_text_is_ignored() {
        let detector = without_fallback(LangidConfig::default());
        let arabic_hint_on_latin = detector.detect(&ArticleText {
            title: Some("Macron à Berlin"),
            lang_hint: Some("ar"),
            ..ArticleText::default()
        });
        assert_eq!(
            arabic_hint_on_latin.language.script.as_deref(),
            Some("Latin")
        );
        assert_ne!(arabic_hint_on_latin.language.method, "hint");
        let clear = detector.detect(&ArticleText {
            body: "Die Bundesregierung hat am Mittwoch ein neues Gesetz zur Förderung der erneuerbaren Energien beschlossen.",
            lang_hint: Some("en"),
            ..ArticleText::default()
        });
        assert_eq!(code(&clear), "deu");
        assert_eq!(clear.language.method, "trigram");
    }

    #[test]
    fn hints_can_be_switched_off() {
        let detector = without_fallback(LangidConfig {
            use_hints: false,
            ..LangidConfig::default()
        });
        let detection = detector.detect(&ArticleText {
            title: Some("Macron à Berlin"),
            lang_hint: Some("fr"),
            ..ArticleText::default()
        });
        assert_ne!(detection.language.method, "hint");
    }

    #[test]
    fn kanji_only_japanese_needs_the_hint() {
        let detector = Detector::default();
        let kanji = "関西国際空港";
        assert_eq!(code(&detector.detect_text(kanji)), "cmn");
        let hinted = detector.detect(&ArticleText {
            title: Some(kanji),
            lang_hint: Some("ja"),
            ..ArticleText::default()
        });
        assert_eq!(code(&hinted), "jpn");
        assert_eq!(hinted.language.method, "hint");
        // Also when the body is longer than the first sample.
        let long = kanji.repeat(200);
        let hinted = detector.detect(&ArticleText {
            body: &long,
            lang_hint: Some("ja"),
            ..ArticleText::default()
        });
        assert_eq!(code(&hinted), "jpn");
        assert_eq!(
            code(&detector.detect_text("東京株式市場で日経平均が反発")),
            "jpn"
        );
    }

    #[test]
    fn the_cost_is_capped_and_a_second_pass_reads_more() {
        // The first sample holds only boilerplate numbers, the second the text.
        let body = format!(
            "{} Die Bundesregierung hat am Mittwoch ein neues Gesetz zur Förderung der erneuerbaren Energien beschlossen.",
            "12:30 ".repeat(20)
        );
        let detector = without_fallback(LangidConfig {
            sample_bytes: 64,
            max_sample_bytes: 1024,
            ..LangidConfig::default()
        });
        let detection = detector.detect(&ArticleText::text(&body));
        assert_eq!(code(&detection), "deu");
        let capped = without_fallback(LangidConfig {
            sample_bytes: 64,
            max_sample_bytes: 64,
            ..LangidConfig::default()
        });
        assert_eq!(code(&capped.detect(&ArticleText::text(&body))), "und");
    }

    #[test]
    fn bad_settings_are_rejected_with_the_value() {
        let err = Detector::new(&LangidConfig {
            allowlist: vec!["en".into(), "klingon".into()],
            ..LangidConfig::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("\"klingon\""), "{err}");
        assert!(matches!(
            Detector::new(&LangidConfig {
                allowlist: vec![],
                ..LangidConfig::default()
            }),
            Err(DetectorError::EmptyAllowlist)
        ));
        assert!(
            Detector::new(&LangidConfig {
                sample_bytes: 4096,
                ..LangidConfig::default()
            })
            .is_err()
        );
        assert!(
            Detector::new(&LangidConfig {
                mixed_script_min_share: 1.5,
                ..LangidConfig::default()
            })
            .is_err()
        );
    }

    #[cfg(feature = "lingua-fallback")]
    #[test]
    fn the_fallback_decides_short_text_whatlang_is_unsure_of() {
        let detector = Detector::default();
        assert!(detector.has_fallback());
        let detection = detector.detect_text("Zelensky meets Biden in Washington");
        assert!(detection.fallback_ran);
        assert_eq!(detection.language.method, "fallback");
        assert_eq!(code(&detection), "eng");
        let off = without_fallback(LangidConfig::default());
        assert!(!off.has_fallback());
        assert!(
            !off.detect_text("Zelensky meets Biden in Washington")
                .fallback_ran
        );
    }
}
