//! Text helpers shared by the stages: lines, white space, word counts, and the
//! normalization that decides whether two texts are "the same".

use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// Each line of `text` with the byte offset where it starts: the pieces
/// `text.split('\n')` gives. The line breaks are found with `memchr` over
/// the whole text, not searched for anew from each line's start.
pub fn line_ranges(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    let mut start = 0;
    ends.map(move |end| {
        let line = (start, &text[start..end]);
        start = end + 1;
        line
    })
}

/// The lines of `text` as `str::lines` gives them (a line ends with `\n`
/// or `\r\n`, and none follows a final one), found as [`line_ranges`]
/// finds them.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    line_ranges(text).filter_map(move |(start, line)| {
        if start + line.len() == text.len() {
            // The last piece: no line break ends it.
            return (!line.is_empty()).then_some(line);
        }
        Some(line.strip_suffix('\r').unwrap_or(line))
    })
}

/// Collapses runs of white space to one space and trims the ends.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Collapses white space inside lines and drops empty lines: the words of
/// `s` (runs of characters that are not white space), separated by a line
/// break where a line break lies between them and by one space elsewhere.
///
/// Most text is tidy already, so the text is copied in the longest runs that
/// need no change: one copy for a tidy text, where a copy per word cost
/// several times as much.
pub fn tidy_lines(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    // `s[..copied]` is written out already (or dropped).
    let mut copied = 0;
    let mut at = 0;
    while let Some(next) = bytes[at..]
        .iter()
        .position(|&byte| may_start_white_space(byte))
    {
        at += next;
        if white_space_len(&bytes[at..]) == 0 {
            at += 1;
            continue;
        }
        let gap_start = at;
        let mut line_break = false;
        while at < bytes.len() {
            let len = white_space_len(&bytes[at..]);
            if len == 0 {
                break;
            }
            line_break |= bytes[at] == b'\n';
            at += len;
        }
        let separator = if line_break { b'\n' } else { b' ' };
        if gap_start == 0 || at == bytes.len() {
            // White space leading or ending the text is dropped.
            out.push_str(&s[copied..gap_start]);
            copied = at;
        } else if at - gap_start != 1 || bytes[gap_start] != separator {
            out.push_str(&s[copied..gap_start]);
            out.push(char::from(separator));
            copied = at;
        }
    }
    out.push_str(&s[copied..]);
    out
}

/// Bytes that may start a white-space character: the ASCII ones and the
/// first bytes of U+0085, U+00A0 (0xC2), U+1680 (0xE1), U+2000..U+205F
/// (0xE2) and U+3000 (0xE3).
const MAY_START_WHITE_SPACE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1 | 0xE2 | 0xE3);
        b += 1;
    }
    table
};

/// Whether byte `b` may start a white-space character (a quick filter
/// before [`white_space_len`]). A byte inside a multi-byte character never
/// starts one, so text can be searched for white space byte by byte.
#[inline]
pub fn may_start_white_space(b: u8) -> bool {
    MAY_START_WHITE_SPACE[usize::from(b)]
}

/// The length in bytes of the white-space character (`char::is_whitespace`)
/// that `bytes` (a string's bytes from any byte on) start with, 0 if they do
/// not start with one. Read from the bytes: no character is decoded.
#[inline]
pub fn white_space_len(bytes: &[u8]) -> usize {
    let Some(&b) = bytes.first() else {
        return 0;
    };
    if !may_start_white_space(b) {
        return 0;
    }
    if b.is_ascii() {
        return 1;
    }
    match bytes {
        [0xC2, 0x85 | 0xA0, ..] => 2,
        [0xE1, 0x9A, 0x80, ..]
        | [0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF, ..]
        | [0xE2, 0x81, 0x9F, ..]
        | [0xE3, 0x80, 0x80, ..] => 3,
        _ => 0,
    }
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
    words_up_to(s, usize::MAX)
}

/// Whether `s` has at least `n` words as [`word_count`] counts them,
/// reading it only up to the `n`th.
pub fn has_words(s: &str, n: usize) -> bool {
    words_up_to(s, n) >= n
}

/// Words of `s` as [`word_count`] counts them, but read only up to the
/// `limit`th: at most `limit`.
pub fn words_up_to(s: &str, limit: usize) -> usize {
    // ASCII bytes, most of the text in Latin-script news, are classified
    // straight from the byte; only the others are decoded into a `char`.
    // Every stage counts the words of every article, so this is worth it.
    let bytes = s.as_bytes();
    let mut count = 0;
    let mut in_word = false;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if count >= limit {
            break;
        }
        if byte.is_ascii() {
            at += 1;
            if byte.is_ascii_alphanumeric() {
                count += usize::from(!in_word);
                in_word = true;
            } else if !(in_word && (byte == b'\'' || byte == b'-')) {
                in_word = false;
            }
            continue;
        }
        if byte < 0xE0 {
            // Two bytes (accented Latin, Greek, Cyrillic, Hebrew, Arabic:
            // most of the rest of news), decoded here; no character below
            // U+0800 is of an unspaced script, an apostrophe or a hyphen.
            let c = crate::chars::two_byte_char(byte, bytes[at + 1]);
            at += 2;
            if crate::chars::is_alphanumeric(c) {
                count += usize::from(!in_word);
                in_word = true;
            } else if !(in_word && is_mark(c)) {
                in_word = false;
            }
            continue;
        }
        let c = s[at..].chars().next().expect("`at` is on a char boundary");
        at += c.len_utf8();
        word_step(c, crate::chars::is_alphanumeric, &mut count, &mut in_word);
    }
    count
}

/// One character of the word count: every character of the reference
/// below, those beyond ASCII of [`word_count`].
#[inline]
fn word_step(c: char, is_alphanumeric: fn(char) -> bool, count: &mut usize, in_word: &mut bool) {
    if is_unspaced_script(c) {
        *count += 1;
        *in_word = false;
    } else if is_alphanumeric(c) {
        if !*in_word {
            *count += 1;
            *in_word = true;
        }
    } else if !(*in_word && (c == '\'' || c == '’' || c == '-' || is_mark(c))) {
        *in_word = false;
    }
}

/// [`word_count`] a character at a time, with the given definition of a
/// letter or digit: the reference the tests hold it to.
#[cfg(test)]
fn count_words(s: &str, is_alphanumeric: fn(char) -> bool) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in s.chars() {
        word_step(c, is_alphanumeric, &mut count, &mut in_word);
    }
    count
}

/// Whether `c` is a combining mark of the scripts news is written in
/// (Latin accents, Arabic harakat, Devanagari vowel signs): part of the word
/// it stands in.
pub fn is_mark(c: char) -> bool {
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
    fn lines_are_found_as_str_finds_them() {
        for text in [
            "",
            "\n",
            "\n\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "a\r",
            "\r\n",
            "a\rb\n\nc\r\r\n",
            "é\nد\n",
        ] {
            let pieces: Vec<&str> = line_ranges(text).map(|(_, line)| line).collect();
            assert_eq!(pieces, text.split('\n').collect::<Vec<_>>(), "{text:?}");
            for (start, line) in line_ranges(text) {
                assert_eq!(&text[start..start + line.len()], line, "{text:?}");
            }
            assert_eq!(
                lines(text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn white_space_is_found_by_its_bytes_as_char_says() {
        let mut buffer = [0u8; 4];
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let encoded = c.encode_utf8(&mut buffer).as_bytes();
            let expected = if c.is_whitespace() { encoded.len() } else { 0 };
            assert_eq!(white_space_len(encoded), expected, "{c:?}");
            // No byte after a character's first starts white space.
            for i in 1..encoded.len() {
                assert_eq!(white_space_len(&encoded[i..]), 0, "{c:?} byte {i}");
            }
        }
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

    #[test]
    fn has_words_agrees_with_word_count() {
        for text in varied_texts() {
            let words = word_count(&text);
            for n in [0, 1, words.saturating_sub(1), words, words + 1] {
                assert_eq!(has_words(&text, n), words >= n, "{n} in {text:?}");
            }
        }
    }
}
