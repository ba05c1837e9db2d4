//! The `[langid]` config section: which languages to expect, how much text
//! to read, and which evidence and fallback to use.

use serde::Deserialize;

/// The 20 major news languages the detector expects by default (ISO 639-3,
/// as whatlang spells them: Persian is `pes`, Mandarin `cmn`).
pub const DEFAULT_ALLOWLIST: &[&str] = &[
    "eng", "fra", "ara", "deu", "spa", "ita", "por", "rus", "tur", "pes", "urd", "cmn", "jpn",
    "kor", "hin", "ind", "nld", "pol", "ukr", "heb",
];

/// Settings of the langid service, read from `[langid]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LangidConfig {
    /// Languages the detector chooses between for scripts that several
    /// languages share (Latin, Cyrillic, Arabic, Devanagari, Hebrew), as ISO
    /// 639-1 or 639-3 codes. Restricting the candidates is both more accurate
    /// and faster. Text in a script that only one language uses (Greek,
    /// Hangul, Thai, ...) is reported as that language even when it is not
    /// listed. These are also the metric labels; others count as `other`.
    pub allowlist: Vec<String>,
    /// Bytes of title plus body read first. Well-formed article text is
    /// decided from this alone, which keeps the cost per article constant.
    pub sample_bytes: usize,
    /// Bytes of title plus body read on a second pass when the first sample
    /// is not conclusive (short lead, boilerplate at the top).
    pub max_sample_bytes: usize,
    /// Use the crawler's `lang_hint` and the HTML `lang` attribute to decide
    /// text the detector is unsure about (only when the hint's language is
    /// written in the text's script).
    pub use_hints: bool,
    /// When at least this share of the letters is in one non-Latin script,
    /// Latin-only words (brand names, acronyms, romanised names) are left
    /// out of the sample, so `Apple представила новый iPhone` is Russian.
    pub mixed_script_min_share: f64,
    /// Ask the second detector (lingua, restricted to the allowlist) when
    /// whatlang is unsure. Only has an effect in builds with the cargo
    /// feature `lingua-fallback`; otherwise the service logs a warning.
    pub fallback: bool,
}

impl Default for LangidConfig {
    fn default() -> Self {
        Self {
            allowlist: DEFAULT_ALLOWLIST
                .iter()
                .map(|code| (*code).into())
                .collect(),
            sample_bytes: default_sample_bytes(),
            max_sample_bytes: default_max_sample_bytes(),
            use_hints: true,
            mixed_script_min_share: default_mixed_script_min_share(),
            fallback: true,
        }
    }
}

/// Two or three sentences. Measured with `newsflow detect` (README,
/// "Benchmark"), 256 bytes gave the same answers as 512 on the 8,411
/// labelled news articles (8,408 right with either) and the lingua-rs word
/// pairs, one sentence of 19,141 fewer right, with 23 % fewer instructions
/// per detection (whatlang's cost per candidate language does not shrink
/// with the text); an unsure answer still reads `max_sample_bytes`.
const fn default_sample_bytes() -> usize {
    256
}

const fn default_max_sample_bytes() -> usize {
    2048
}

/// A non-Latin script this common is the text's own, not a quotation: Latin
/// inside Cyrillic or Arabic news is routine, the reverse is rare.
const fn default_mixed_script_min_share() -> f64 {
    0.2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_section_gives_the_defaults() {
        let config: LangidConfig = toml::from_str("").unwrap();
        assert_eq!(config, LangidConfig::default());
        assert_eq!(config.allowlist.len(), 20);
    }

    #[test]
    fn the_documented_example_section_parses() {
        let config: LangidConfig = toml::from_str(
            r#"
            allowlist = ["en", "fr", "ara"]
            sample_bytes = 256
            max_sample_bytes = 1024
            use_hints = false
            mixed_script_min_share = 0.3
            fallback = false
            "#,
        )
        .unwrap();
        assert_eq!(config.allowlist, ["en", "fr", "ara"]);
        assert_eq!(config.sample_bytes, 256);
        assert!(!config.use_hints && !config.fallback);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<LangidConfig>("allow_list = []").unwrap_err();
        assert!(err.to_string().contains("allow_list"), "{err}");
    }
}
