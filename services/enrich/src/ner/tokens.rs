//! Words and punctuation of a sentence, split the way the news NER corpora
//! the tagger learns from are tokenized (CoNLL style): punctuation apart,
//! `U.S.` and `Mr.` whole, English `'s` and French elisions (`l'`, `d'`)
//! apart, hyphenated words whole.

use newsflow_core::chars;
use newsflow_core::text::white_space_len;

/// One token: byte offsets into the text it was cut from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
}

/// Punctuation that opens a word (split off its front).
fn opens(c: char) -> bool {
    matches!(
        c,
        '"' | '“' | '„' | '«' | '‘' | '\'' | '(' | '[' | '{' | '¿' | '¡' | '‹' | '‚' | '<'
    )
}

/// Punctuation that closes a word (split off its end).
fn closes(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | ')'
            | ']'
            | '}'
            | '"'
            | '”'
            | '»'
            | '’'
            | '\''
            | '…'
            | '،'
            | '؛'
            | '؟'
            | '›'
            | '>'
            | '“'
    )
}

/// Words whose final period belongs to them.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "sgt", "gov", "sen", "rep", "prof", "jr",
    "sr", "inc", "ltd", "co", "corp", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "mme", "mlle", "hr", "fr", "sra", "av", "gral", "dña", "ing",
    "mgr", "sta", "gen", "adm", "capt", "maj", "cpl", "bros", "dept", "univ", "bzw", "ca",
];

/// French and Italian elided articles and pronouns, split after the apostrophe.
const ELISIONS: &[&str] = &[
    "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "dell", "all",
    "nell", "sull", "dall", "un",
];

/// The tokens of `text`.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    tokenize_into(text, 0, &mut out);
    out
}

/// Appends the tokens of `text`, their offsets moved by `offset` (where
/// `text` starts in the document), to `out`.
pub fn tokenize_into(text: &str, offset: usize, out: &mut Vec<Token>) {
    let first = out.len();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let white = white_space_len(&bytes[i..]);
        if white > 0 {
            i += white;
            continue;
        }
        // A word runs to the next white space, found byte by byte: a byte
        // inside a multi-byte character never starts one, so characters
        // need not be decoded (most of a French or Arabic text's are not
        // ASCII).
        let start = i;
        i += 1;
        while i < bytes.len() && white_space_len(&bytes[i..]) == 0 {
            i += 1;
        }
        split_chunk(text, start, i, out);
    }
    if offset > 0 {
        for token in &mut out[first..] {
            token.start += offset;
            token.end += offset;
        }
    }
}

/// Whether a word starting with byte `b` may start with opening
/// punctuation ([`opens`]; the non-ASCII ones start with 0xC2 or 0xE2).
fn may_open(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'(' | b'[' | b'{' | b'<' | 0xC2 | 0xE2)
}

/// Whether a word ending with byte `b` may end with closing punctuation
/// ([`closes`]): an ASCII byte is the whole last character.
fn may_close(b: u8) -> bool {
    !b.is_ascii() || closes(char::from(b))
}

fn split_chunk(text: &str, mut start: usize, end: usize, out: &mut Vec<Token>) {
    let bytes = text.as_bytes();
    // Opening punctuation, one token each.
    while start < end && may_open(bytes[start]) {
        let c = text[start..end].chars().next().expect("not at the end");
        if !opens(c) || start + c.len_utf8() == end {
            break;
        }
        out.push(Token {
            start,
            end: start + c.len_utf8(),
        });
        start += c.len_utf8();
    }
    // Closing punctuation: found from the end, pushed after the core.
    let mut core_end = end;
    while core_end > start && may_close(bytes[core_end - 1]) {
        let c = text[start..core_end]
            .chars()
            .next_back()
            .expect("not at the start");
        if !closes(c) || core_end - c.len_utf8() == start {
            break;
        }
        if c == '.' && keeps_period(&text[start..core_end - 1]) {
            break;
        }
        core_end -= c.len_utf8();
    }
    split_core(text, start, core_end, out);
    // One token each, but a run of periods (`...`) is one token.
    let mut at = core_end;
    while at < end {
        let c = text[at..end].chars().next().expect("not at the end");
        let len = if c == '.' {
            text[at..end].len() - text[at..end].trim_start_matches('.').len()
        } else {
            c.len_utf8()
        };
        out.push(Token {
            start: at,
            end: at + len,
        });
        at += len;
    }
}

/// Splits English `'s` and Romance elisions off a word.
fn split_core(text: &str, start: usize, end: usize, out: &mut Vec<Token>) {
    let word = &text[start..end];
    if let Some(apostrophe) = find_apostrophe(word) {
        let after = apostrophe + word[apostrophe..].chars().next().map_or(1, char::len_utf8);
        let before = &word[..apostrophe];
        let rest = &word[after..];
        if !rest.is_empty()
            && rest.chars().next().is_some_and(chars::is_alphabetic)
            && is_elision(before)
        {
            out.push(Token {
                start,
                end: start + after,
            });
            split_core(text, start + after, end, out);
            return;
        }
        if (rest == "s" || rest == "S") && before.chars().count() >= 2 {
            out.push(Token {
                start,
                end: start + apostrophe,
            });
            out.push(Token {
                start: start + apostrophe,
                end,
            });
            return;
        }
    }
    if start < end {
        out.push(Token { start, end });
    }
}

/// Whether `word` is one of the [`ELISIONS`] in any case; an ASCII word
/// (nearly all) is compared without lower-casing it into a new string.
fn is_elision(word: &str) -> bool {
    if word.is_ascii() {
        ELISIONS
            .iter()
            .any(|elision| elision.eq_ignore_ascii_case(word))
    } else {
        ELISIONS.contains(&word.to_lowercase().as_str())
    }
}

/// Where the first `'` or `’` of `word` is, found by its bytes.
fn find_apostrophe(word: &str) -> Option<usize> {
    let bytes = word.as_bytes();
    // The dearer test only where `’`'s first byte is.
    (0..bytes.len()).find(|&i| {
        bytes[i] == b'\'' || (bytes[i] == 0xE2 && bytes[i..].starts_with("’".as_bytes()))
    })
}

/// Whether `word` (without its final period) is an abbreviation that keeps it:
/// `U.S`, a single letter (`J`), or a listed title (`Mr`).
fn keeps_period(word: &str) -> bool {
    // None, one, or more: the letters need not all be counted.
    let letters = word
        .chars()
        .filter(|&c| chars::is_alphabetic(c))
        .take(2)
        .count();
    if letters == 0 || word.ends_with('.') {
        return false;
    }
    if word.contains('.') && word.chars().all(|c| chars::is_alphabetic(c) || c == '.') {
        return true;
    }
    if letters == 1 && word.chars().count() == 1 && word.chars().all(chars::is_uppercase) {
        return true;
    }
    ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        tokenize(text)
            .into_iter()
            .map(|t| &text[t.start..t.end])
            .collect()
    }

    #[test]
    fn punctuation_is_split_off_and_abbreviations_stay_whole() {
        assert_eq!(
            words("Mr. Smith (of the U.S.) said: \"No.\" J. Doe's car..."),
            [
                "Mr.", "Smith", "(", "of", "the", "U.S.", ")", "said", ":", "\"", "No", ".", "\"",
                "J.", "Doe", "'s", "car", "..."
            ]
        );
    }

    #[test]
    fn elisions_and_arabic_punctuation() {
        assert_eq!(
            words("l'Élysée d’Emmanuel, «Paris»"),
            ["l'", "Élysée", "d’", "Emmanuel", ",", "«", "Paris", "»"]
        );
        assert_eq!(
            words("قال الرئيس، لبنان؟"),
            ["قال", "الرئيس", "،", "لبنان", "؟"]
        );
    }

    #[test]
    fn every_white_space_separates_words() {
        assert_eq!(
            words("a\u{0B}b\u{A0}c\u{2009}d\r\ne\u{3000}f"),
            ["a", "b", "c", "d", "e", "f"]
        );
        assert_eq!(words("\u{85}x\u{1F}y "), ["x\u{1F}y"]);
    }

    #[test]
    fn the_byte_tests_let_through_every_opening_and_closing_character() {
        let mut buffer = [0u8; 4];
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let encoded = c.encode_utf8(&mut buffer).as_bytes();
            if opens(c) {
                assert!(may_open(encoded[0]), "{c:?}");
            }
            if closes(c) {
                assert!(may_close(encoded[encoded.len() - 1]), "{c:?}");
            }
        }
    }

    #[test]
    fn lone_punctuation_is_one_token() {
        assert_eq!(words("a - b . \" x"), ["a", "-", "b", ".", "\"", "x"]);
    }
}
