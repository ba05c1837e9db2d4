//! The second detector: lingua, restricted to the configured languages,
//! asked only when whatlang is unsure. Built only with the cargo feature
//! `lingua-fallback`, because its language models add about 90 MB to every
//! binary that links this crate.

use lingua::{Language as Lingua, LanguageDetector, LanguageDetectorBuilder};
use whatlang::Lang;

/// The languages lingua is built with here (the cargo features of the
/// `lingua` dependency); configured languages outside it have no fallback.
const SUPPORTED: &[(Lang, Lingua)] = &[
    (Lang::Eng, Lingua::English),
    (Lang::Fra, Lingua::French),
    (Lang::Ara, Lingua::Arabic),
    (Lang::Deu, Lingua::German),
    (Lang::Spa, Lingua::Spanish),
    (Lang::Ita, Lingua::Italian),
    (Lang::Por, Lingua::Portuguese),
    (Lang::Rus, Lingua::Russian),
    (Lang::Tur, Lingua::Turkish),
    (Lang::Pes, Lingua::Persian),
    (Lang::Urd, Lingua::Urdu),
    (Lang::Cmn, Lingua::Chinese),
    (Lang::Jpn, Lingua::Japanese),
    (Lang::Kor, Lingua::Korean),
    (Lang::Hin, Lingua::Hindi),
    (Lang::Ind, Lingua::Indonesian),
    (Lang::Nld, Lingua::Dutch),
    (Lang::Pol, Lingua::Polish),
    (Lang::Ukr, Lingua::Ukrainian),
    (Lang::Heb, Lingua::Hebrew),
];

/// lingua in high-accuracy mode over the configured languages it knows.
pub struct Fallback {
    detector: LanguageDetector,
    languages: Vec<(Lang, Lingua)>,
}

impl std::fmt::Debug for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fallback")
            .field("languages", &self.languages)
            .finish_non_exhaustive()
    }
}

impl Fallback {
    /// A fallback over the languages of `allowlist` that lingua knows, or
    /// `None` when there are fewer than two (nothing to choose between).
    pub fn new(allowlist: &[Lang]) -> Option<Self> {
        let languages: Vec<(Lang, Lingua)> = SUPPORTED
            .iter()
            .filter(|(lang, _)| allowlist.contains(lang))
            .copied()
            .collect();
        if languages.len() < 2 {
            return None;
        }
        let lingua: Vec<Lingua> = languages.iter().map(|(_, l)| *l).collect();
        // Preloading makes the first article as fast as the others; the
        // models are shared by every detector in the process.
        let detector = LanguageDetectorBuilder::from_languages(&lingua)
            .with_preloaded_language_models()
            .build();
        Some(Self {
            detector,
            languages,
        })
    }

    /// Whether the fallback can answer `lang` (and so is worth asking when
    /// whatlang's unsure answer is `lang`).
    pub fn covers(&self, lang: Lang) -> bool {
        self.languages.iter().any(|(l, _)| *l == lang)
    }

    /// The most likely language and lingua's confidence in it (0..1,
    /// relative to the other candidates).
    pub fn detect(&self, text: &str) -> Option<(Lang, f64)> {
        let values = self.detector.compute_language_confidence_values(text);
        let (best, confidence) = values.first().copied()?;
        if confidence <= 0.0 {
            return None;
        }
        let lang = self.languages.iter().find(|(_, l)| *l == best)?.0;
        Some((lang, confidence))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_restricted_to_the_allowlist() {
        let fallback = Fallback::new(&[Lang::Spa, Lang::Por, Lang::Swe]).unwrap();
        assert!(fallback.covers(Lang::Spa) && !fallback.covers(Lang::Swe));
        let (lang, confidence) = fallback.detect("os dados do governo").unwrap();
        assert_eq!(lang, Lang::Por);
        assert!((0.0..=1.0).contains(&confidence));
        assert!(Fallback::new(&[Lang::Eng]).is_none());
    }
}
