//! Text helpers shared by the stages: plain text out of HTML, and the
//! normalization that decides whether two texts are "the same".

use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// Elements whose content is never article text.
const SKIPPED_ELEMENTS: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "form", "button",
    "iframe", "select",
];

/// Words in a `class` or `id` that mark page furniture rather than the article.
const BOILERPLATE_MARKERS: &[&str] = &[
    "cookie",
    "cookies",
    "consent",
    "banner",
    "newsletter",
    "subscribe",
    "promo",
    "advert",
    "ad",
    "ads",
    "related",
    "share",
    "sharing",
    "social",
    "comments",
    "sidebar",
    "breadcrumb",
    "breadcrumbs",
    "menu",
    "popup",
    "modal",
    "paywall",
];

/// Elements that end a line of text.
const BLOCK_ELEMENTS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "blockquote",
    "header",
    "main",
    "figure",
    "figcaption",
    "pre",
    "hr",
];

/// What a quick pass over an HTML page yields.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct HtmlText {
    /// Visible text, one block per line.
    pub text: String,
    /// Content of `<title>`, if any.
    pub title: Option<String>,
    /// The `lang` attribute of `<html>`, if any.
    pub lang: Option<String>,
}

/// Extracts visible text, the `<title>` and the `lang` attribute from HTML.
///
/// A single linear pass: no DOM is built. Content of scripts, styles and page
/// chrome (`nav`, `footer`, `aside`, forms) is dropped; block elements become
/// line breaks; character references are decoded.
pub fn html_to_text(html: &str) -> HtmlText {
    let mut out = HtmlText::default();
    let mut text = String::with_capacity(html.len() / 2);
    // The element being skipped, and how deeply it is nested in itself.
    let mut skipping: Option<(String, usize)> = None;
    let mut in_title = false;
    let mut title = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let chunk = &rest[..lt];
        if skipping.is_none() {
            if in_title {
                title.push_str(chunk);
            } else {
                push_decoded(&mut text, chunk);
            }
        }
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |end| &rest[end + 3..]);
            continue;
        }
        let Some(gt) = rest.find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let closing = tag.starts_with('/');
        let self_closing = tag.ends_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if let Some((skipped, depth)) = &mut skipping {
            if *skipped == name && !self_closing {
                if closing {
                    *depth -= 1;
                } else {
                    *depth += 1;
                }
                if *depth == 0 {
                    skipping = None;
                }
            }
            continue;
        }
        if closing {
            if name == "title" {
                in_title = false;
            }
        } else if name == "html" {
            out.lang = attribute(tag, "lang");
        } else if name == "title" {
            in_title = true;
            continue;
        } else if !self_closing
            && (SKIPPED_ELEMENTS.contains(&name.as_str()) || marks_boilerplate(tag))
            && !VOID_ELEMENTS.contains(&name.as_str())
        {
            skipping = Some((name, 1));
            continue;
        }
        if BLOCK_ELEMENTS.contains(&name.as_str()) {
            text.push('\n');
        }
    }
    if skipping.is_none() {
        push_decoded(&mut text, rest);
    }
    out.text = tidy_lines(&text);
    let title = collapse_whitespace(&decode_entities(&title));
    out.title = (!title.is_empty()).then_some(title);
    out
}

/// Elements that never have content or a closing tag.
const VOID_ELEMENTS: &[&str] = &[
    "br", "hr", "img", "input", "meta", "link", "source", "area", "base", "col", "embed", "wbr",
];

fn marks_boilerplate(tag: &str) -> bool {
    ["class", "id"].iter().any(|name| {
        attribute(tag, name).is_some_and(|value| {
            value
                .to_ascii_lowercase()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| BOILERPLATE_MARKERS.contains(&word))
        })
    })
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let needle = format!(" {name}=");
    let start = lower.find(&needle)? + needle.len();
    let value = &tag[start..];
    let value = match value.chars().next()? {
        q @ ('"' | '\'') => value[1..].split(q).next()?,
        _ => value
            .split(|c: char| c.is_whitespace() || c == '>')
            .next()?,
    };
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

fn push_decoded(out: &mut String, chunk: &str) {
    if chunk.contains('&') {
        out.push_str(&decode_entities(chunk));
    } else {
        out.push_str(chunk);
    }
}

/// Decodes the character references that occur in news pages.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[..rest.len().min(12)].find(';');
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let ch = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                "mdash" => Some('—'),
                "ndash" => Some('–'),
                "laquo" => Some('«'),
                "raquo" => Some('»'),
                "hellip" => Some('…'),
                "rsquo" => Some('’'),
                "lsquo" => Some('‘'),
                "ldquo" => Some('“'),
                "rdquo" => Some('”'),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            ch.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Collapses runs of white space to one space and trims the ends.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Collapses white space inside lines and drops empty lines, written
/// straight into one string.
pub fn tidy_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else {
            continue;
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(first);
        for word in words {
            out.push(' ');
            out.push_str(word);
        }
    }
    out
}

/// The form under which two texts count as the same copy: Unicode NFKC,
/// lower case, all white space folded to single spaces.
pub fn normalize_for_identity(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Most text is already NFKC; the quick check lets it skip the normalizer.
    if unicode_normalization::is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        fold_case_and_space(s.chars(), &mut out);
    } else {
        fold_case_and_space(s.nfkc(), &mut out);
    }
    out
}

fn fold_case_and_space(chars: impl Iterator<Item = char>, out: &mut String) {
    let mut pending_space = false;
    for c in chars {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// Number of words: runs of letters or digits, counting each CJK character
/// as one word since those scripts do not separate words with spaces. Uses
/// the table of [`crate::chars`]: `char::is_alphanumeric` searches the
/// Unicode tables for every letter beyond ASCII.
pub fn word_count(s: &str) -> usize {
    count_words(s, crate::chars::is_alphanumeric)
}

fn count_words(s: &str, is_alphanumeric: fn(char) -> bool) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in s.chars() {
        if is_unspaced_script(c) {
            count += 1;
            in_word = false;
        } else if is_alphanumeric(c) {
            if !in_word {
                count += 1;
                in_word = true;
            }
        } else if !(in_word && (c == '\'' || c == '’' || c == '-' || is_mark(c))) {
            in_word = false;
        }
    }
    count
}

fn is_mark(c: char) -> bool {
    // Combining marks (Arabic harakat, Devanagari vowel signs) stay inside words.
    matches!(c as u32, 0x0300..=0x036F | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x0900..=0x0903 | 0x093A..=0x094F)
}

fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0x0E00..=0x0E7F // Thai
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_to_text_keeps_body_text_and_drops_chrome() {
        let html = r#"<!doctype html><html lang="fr"><head><title>Le titre &amp; plus</title>
            <style>p{color:red}</style><script>var x = "<p>no</p>";</script></head>
            <body><nav><a href="/">Accueil</a></nav><h1>Titre</h1>
            <p>Premier&nbsp;paragraphe.</p><!-- <p>comment</p> --><p>Deuxième &#233;l&#xE9;ment</p>
            <div class="cookie-banner"><div>Nous utilisons des cookies</div></div>
            <img src="x.png" class="ad"><p>Dernier</p>
            <footer>© Journal</footer></body></html>"#;
        let out = html_to_text(html);
        assert_eq!(
            out.text,
            "Titre\nPremier paragraphe.\nDeuxième élément\nDernier"
        );
        assert_eq!(out.title.as_deref(), Some("Le titre & plus"));
        assert_eq!(out.lang.as_deref(), Some("fr"));
    }

    #[test]
    fn html_to_text_survives_broken_markup() {
        assert_eq!(html_to_text("text <b>bold").text, "text bold");
        assert_eq!(html_to_text("a <unclosed").text, "a");
        assert_eq!(html_to_text("<script>never closed").text, "");
    }

    #[test]
    fn identity_normalization_folds_case_width_and_spaces() {
        assert_eq!(normalize_for_identity("  Hello\n\tWORLD "), "hello world");
        assert_eq!(normalize_for_identity("ﬁne ＡＢＣ"), "fine abc");
        assert_eq!(normalize_for_identity("ﻻ"), "لا");
        assert_eq!(normalize_for_identity("Cafe\u{301} ÉTÉ"), "café été");
    }

    /// Texts for the table-based functions: the project's samples, mixed
    /// scripts, and every character (after a letter and alone) in the ranges
    /// the character table covers and beyond.
    fn varied_texts() -> Vec<String> {
        let samples =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/local/samples");
        let mut texts: Vec<String> = std::fs::read_dir(samples)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        texts.push("l'État-major’s co-op: ١٣٠ قتيلاً بِسْمِ 東京タワー ไทย नमस्ते Ⅻ ½ x_y".into());
        texts.extend(
            [
                "",
                "\n\n",
                "  a  b \t c \r\n\r\n d\u{00A0}\u{2003}e\u{3000}f \n",
                "\u{85}x\u{2028}y\r\r\nz",
                " one\n\n  \n two  ",
            ]
            .map(String::from),
        );
        let chars: String = (0..0x3200)
            .chain(0x4E00..0x4E10)
            .filter_map(char::from_u32)
            .flat_map(|c| ['a', c, ' ', c])
            .collect();
        texts.push(chars);
        texts
    }

    #[test]
    fn word_count_agrees_with_the_unicode_definition() {
        for text in varied_texts() {
            assert_eq!(
                word_count(&text),
                count_words(&text, char::is_alphanumeric),
                "{text}"
            );
        }
    }

    #[test]
    fn tidy_lines_collapses_each_line_and_drops_empty_ones() {
        for text in varied_texts() {
            let reference = text
                .lines()
                .map(collapse_whitespace)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(tidy_lines(&text), reference, "{text:?}");
        }
    }

    #[test]
    fn word_count_handles_scripts_with_and_without_spaces() {
        assert_eq!(word_count("It's a well-known fact, 2024."), 5);
        assert_eq!(word_count("قال كلابر إن"), 3);
        assert_eq!(word_count("東京都"), 3);
        assert_eq!(word_count(""), 0);
    }
}
