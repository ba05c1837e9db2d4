//! The text the detector reads: title and body joined, capped at a byte
//! budget so the cost per article is constant, without URLs, e-mail
//! addresses and @handles, and, in mixed-script text, without the
//! Latin-only words (brand names, acronyms) that would otherwise make a
//! Cyrillic or Arabic headline look Latin-script, and with presentation
//! forms folded to the letters the detectors know.

use unicode_normalization::UnicodeNormalization as _;

/// Input read per output byte at most: skipped tokens (URLs) cost scanning
/// too, and this keeps that scanning bounded as well.
const SCAN_FACTOR: usize = 4;

/// A capped, cleaned sample of an article's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Words of the sample, separated by single spaces.
    pub text: String,
    /// Whether the input had more text than the budget allowed.
    pub truncated: bool,
    /// Letters in `text` (any script); zero means nothing can be detected.
    pub letters: usize,
}

/// One kept word and what its letters are.
struct Word<'a> {
    text: &'a str,
    latin: usize,
    other: usize,
}

/// Builds the sample of `title` then `body`, at most `max_bytes` long.
///
/// `mixed_min_share` is the share of letters a non-Latin script needs for
/// Latin-only words to be dropped (see [`crate::config::LangidConfig`]).
pub fn build(title: Option<&str>, body: &str, max_bytes: usize, mixed_min_share: f64) -> Sample {
    let mut words = Vec::new();
    let mut used = 0;
    let mut truncated = false;
    'parts: for part in [title.unwrap_or_default(), body] {
        let mut scanned = prefix(part, max_bytes.saturating_mul(SCAN_FACTOR));
        if scanned.len() < part.len() {
            truncated = true;
            // The cut may split a URL into a word-like stub; drop the last,
            // partial token (unless it is everything, as in unspaced CJK).
            if let Some(end) = scanned.rfind(char::is_whitespace) {
                scanned = &scanned[..end];
            }
        }
        for token in scanned.split_whitespace() {
            if is_address(token) {
                continue;
            }
            let room = max_bytes.saturating_sub(used + usize::from(used > 0));
            if room == 0 {
                truncated = true;
                break 'parts;
            }
            let text = prefix(token, room);
            truncated |= text.len() < token.len();
            if text.is_empty() {
                break 'parts;
            }
            used += text.len() + usize::from(used > 0);
            words.push(classify(text));
        }
    }
    let latin: usize = words.iter().map(|w| w.latin).sum();
    let other: usize = words.iter().map(|w| w.other).sum();
    let mixed = latin > 0 && other > 0 && other as f64 >= mixed_min_share * (latin + other) as f64;
    let mut text = String::with_capacity(used);
    let mut letters = 0;
    for word in &words {
        // A word with any non-Latin letter stays: `ב-Journal`, `iPhone16を`.
        if mixed && word.other == 0 && word.latin > 0 {
            continue;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(word.text);
        letters += word.latin + word.other;
    }
    if text.chars().any(is_presentation_form) {
        text = text.nfkc().collect();
    }
    Sample {
        text,
        truncated,
        letters,
    }
}

/// Arabic and Hebrew presentation forms and Latin ligatures (U+FB00-U+FDFF,
/// U+FE70-U+FEFF): legacy-encoded pages and PDF copies use them, and the
/// detectors' models only know the base letters they fold to under NFKC.
fn is_presentation_form(c: char) -> bool {
    ('\u{FB00}'..='\u{FDFF}').contains(&c) || ('\u{FE70}'..='\u{FEFF}').contains(&c)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char
/// boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// URLs, e-mail addresses and @handles: they say nothing about the language
/// of the text and are mostly Latin letters whatever the language.
fn is_address(token: &str) -> bool {
    let token = token.trim_start_matches(['(', '[', '<', '"', '\'', '«', '“']);
    token.contains("://")
        || token.starts_with('@')
        || token
            .get(..4)
            .is_some_and(|start| start.eq_ignore_ascii_case("www."))
        || (token.contains('@') && token.contains('.'))
}

fn classify(text: &str) -> Word<'_> {
    let (mut latin, mut other) = (0, 0);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        if is_latin(c) {
            latin += 1;
        } else {
            other += 1;
        }
    }
    Word { text, latin, other }
}

/// Basic Latin, Latin-1 Supplement, Latin Extended-A/B and Additional.
fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic()
        || ('\u{00C0}'..='\u{024F}').contains(&c)
        || ('\u{1E00}'..='\u{1EFF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(title: Option<&str>, body: &str) -> Sample {
        build(title, body, 512, 0.2)
    }

    #[test]
    fn joins_title_and_body() {
        let s = sample(Some("Macron à Berlin"), "Le président est arrivé.");
        assert_eq!(s.text, "Macron à Berlin Le président est arrivé.");
        assert!(!s.truncated);
        assert_eq!(s.letters, 33);
    }

    #[test]
    fn drops_urls_emails_and_handles() {
        let s = sample(
            None,
            "Lire https://example.org/a?b=c (www.Example.com) écrire à redaction@example.fr ou @lemonde",
        );
        assert_eq!(s.text, "Lire écrire à ou");
    }

    #[test]
    fn drops_latin_words_from_mixed_script_text() {
        let s = sample(Some("Apple представила новый iPhone 16 Pro Max"), "");
        assert_eq!(s.text, "представила новый 16");
        let s = sample(None, "شركة Microsoft تعلن عن Windows 12 الجديد");
        assert_eq!(s.text, "شركة تعلن عن 12 الجديد");
        // Words that mix scripts are the text's own and stay.
        let s = sample(None, "כולם הופיעו ב-Journal of Biological Chemistry.");
        assert_eq!(s.text, "כולם הופיעו ב-Journal");
    }

    #[test]
    fn keeps_latin_text_that_quotes_a_little_of_another_script() {
        let text = "The Kremlin said on Monday that the talks in Geneva, called «переговоры» by Moscow, would continue.";
        assert!(sample(None, text).text.contains("Kremlin"));
        let s = build(None, "Apple представила", 512, 0.9);
        assert_eq!(s.text, "Apple представила", "below the configured share");
    }

    #[test]
    fn caps_the_sample_on_a_char_boundary_and_says_so() {
        let body = "é".repeat(1000);
        let s = build(None, &body, 301, 0.2);
        assert_eq!(s.text.len(), 300);
        assert!(s.truncated);
        let words = "mot ".repeat(1000);
        let s = build(Some("Titre"), &words, 64, 0.2);
        assert!(
            s.text.len() <= 64 && s.text.starts_with("Titre mot"),
            "{}",
            s.text
        );
        assert!(s.truncated);
    }

    #[test]
    fn scanning_is_bounded_even_when_everything_is_skipped() {
        let body = "https://example.org/x ".repeat(10_000);
        let s = build(None, &body, 100, 0.2);
        assert!(s.text.is_empty() && s.truncated && s.letters == 0);
    }

    #[test]
    fn folds_presentation_forms_to_base_letters() {
        let s = sample(None, "ﻛﺸﻔﺖ ﻣﺼﺎﺩﺭ ﻣﻄﻠﻌﺔ");
        assert_eq!(s.text, "كشفت مصادر مطلعة");
    }

    #[test]
    fn text_without_letters_has_no_letters() {
        for text in ["", "   ", "2024-01-15 12:30 +33 1 23 45"] {
            assert_eq!(sample(None, text).letters, 0, "{text:?}");
        }
    }
}
