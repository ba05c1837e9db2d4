//! Character properties by table lookup.
//!
//! `char::is_alphabetic` and its kin answer ASCII at once but search Unicode
//! tables for every other character, which made Arabic and Cyrillic texts
//! several times slower to tokenize than English. These functions give the
//! same answers from one table of the scripts news is written in (everything
//! below U+3100: Latin, Greek, Cyrillic, Hebrew, Arabic, Indic scripts,
//! punctuation, kana), built on first use, and ask `char` for the rest.
//! [`to_lowercase`] skips the case mapping of text already in lower case.

use std::borrow::Cow;
use std::sync::LazyLock;

/// Characters below this are answered from the table.
const TABLE_END: u32 = 0x3100;

const ALPHABETIC: u8 = 1;
const NUMERIC: u8 = 1 << 1;
const WHITESPACE: u8 = 1 << 2;
const UPPERCASE: u8 = 1 << 3;
const LOWERCASE: u8 = 1 << 4;
/// `char::to_lowercase` gives the character itself.
const OWN_LOWERCASE: u8 = 1 << 5;

fn flags_of(c: char) -> u8 {
    let mut flags = 0;
    for (has, flag) in [
        (c.is_alphabetic(), ALPHABETIC),
        (c.is_numeric(), NUMERIC),
        (c.is_whitespace(), WHITESPACE),
        (c.is_uppercase(), UPPERCASE),
        (c.is_lowercase(), LOWERCASE),
        (c.to_lowercase().eq([c]), OWN_LOWERCASE),
    ] {
        if has {
            flags |= flag;
        }
    }
    flags
}

#[inline]
fn table() -> &'static [u8] {
    static TABLE: LazyLock<Box<[u8]>> = LazyLock::new(|| {
        (0..TABLE_END)
            .map(|u| char::from_u32(u).map_or(0, flags_of))
            .collect()
    });
    &TABLE
}

/// `flag` of a character beyond ASCII, or `slow` beyond the table.
#[inline]
fn lookup(c: char, flag: u8, slow: fn(char) -> bool) -> bool {
    match table().get(c as usize) {
        Some(flags) => flags & flag != 0,
        None => slow(c),
    }
}

/// Builds the table now rather than on first use.
pub fn warm_up() {
    table();
}

/// What the table holds of a character, read once for several questions
/// (a tokenizer asks whether it is white space, a letter, a capital).
#[derive(Debug, Clone, Copy)]
pub struct Flags(u8);

impl Flags {
    /// The flags of `c`, when the table holds it (below U+3100).
    #[inline]
    pub fn of(c: char) -> Option<Self> {
        table().get(c as usize).map(|&flags| Self(flags))
    }

    /// [`char::is_alphanumeric`].
    #[inline]
    pub fn is_alphanumeric(self) -> bool {
        self.0 & (ALPHABETIC | NUMERIC) != 0
    }

    /// [`char::is_whitespace`].
    #[inline]
    pub fn is_whitespace(self) -> bool {
        self.0 & WHITESPACE != 0
    }

    /// [`char::is_uppercase`].
    #[inline]
    pub fn is_uppercase(self) -> bool {
        self.0 & UPPERCASE != 0
    }
}

/// The character of a two-byte UTF-8 sequence (`lead` in 0xC2..=0xDF, then
/// `next`), decoded directly: `str::chars` takes the general path for every
/// character, and text beyond ASCII (accented Latin, Greek, Cyrillic,
/// Hebrew, Arabic) is mostly two-byte characters.
#[inline]
pub fn two_byte_char(lead: u8, next: u8) -> char {
    let code = u32::from(lead & 0x1F) << 6 | u32::from(next & 0x3F);
    char::from_u32(code).expect("two UTF-8 bytes make a char")
}

// ASCII goes straight to `char`, whose ASCII answers need no table.

/// [`char::is_alphabetic`].
#[inline]
pub fn is_alphabetic(c: char) -> bool {
    if c.is_ascii() {
        c.is_alphabetic()
    } else {
        lookup(c, ALPHABETIC, char::is_alphabetic)
    }
}

/// [`char::is_alphanumeric`].
#[inline]
pub fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        c.is_alphanumeric()
    } else {
        lookup(c, ALPHABETIC | NUMERIC, char::is_alphanumeric)
    }
}

/// [`char::is_numeric`].
#[inline]
pub fn is_numeric(c: char) -> bool {
    if c.is_ascii() {
        c.is_numeric()
    } else {
        lookup(c, NUMERIC, char::is_numeric)
    }
}

/// [`char::is_whitespace`].
#[inline]
pub fn is_whitespace(c: char) -> bool {
    if c.is_ascii() {
        c.is_whitespace()
    } else {
        lookup(c, WHITESPACE, char::is_whitespace)
    }
}

/// [`char::is_uppercase`].
#[inline]
pub fn is_uppercase(c: char) -> bool {
    if c.is_ascii() {
        c.is_uppercase()
    } else {
        lookup(c, UPPERCASE, char::is_uppercase)
    }
}

/// [`char::is_lowercase`].
#[inline]
pub fn is_lowercase(c: char) -> bool {
    if c.is_ascii() {
        c.is_lowercase()
    } else {
        lookup(c, LOWERCASE, char::is_lowercase)
    }
}

/// `s.to_lowercase()`, borrowed when that is `s` itself: when no character
/// has another lower case (as in Arabic and most lower-case text), which the
/// table tells without the case-mapping search.
pub fn to_lowercase(s: &str) -> Cow<'_, str> {
    let own = |c: char| {
        if c.is_ascii() {
            !c.is_ascii_uppercase()
        } else {
            lookup(c, OWN_LOWERCASE, |c| c.to_lowercase().eq([c]))
        }
    };
    if s.chars().all(own) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_byte_characters_decode_as_str_does() {
        let mut buffer = [0u8; 4];
        for c in ('\u{80}'..='\u{7FF}').filter(|c| c.len_utf8() == 2) {
            let encoded = c.encode_utf8(&mut buffer).as_bytes();
            assert_eq!(two_byte_char(encoded[0], encoded[1]), c);
        }
    }

    #[test]
    fn answers_as_char_does() {
        for u in (0..0x11_0000).step_by(7).chain(0..TABLE_END + 64) {
            let Some(c) = char::from_u32(u) else {
                continue;
            };
            assert_eq!(is_alphabetic(c), c.is_alphabetic(), "{c:?}");
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
            assert_eq!(is_numeric(c), c.is_numeric(), "{c:?}");
            assert_eq!(is_whitespace(c), c.is_whitespace(), "{c:?}");
            assert_eq!(is_uppercase(c), c.is_uppercase(), "{c:?}");
            assert_eq!(is_lowercase(c), c.is_lowercase(), "{c:?}");
            if let Some(flags) = Flags::of(c) {
                assert_eq!(flags.is_alphanumeric(), c.is_alphanumeric(), "{c:?}");
                assert_eq!(flags.is_whitespace(), c.is_whitespace(), "{c:?}");
                assert_eq!(flags.is_uppercase(), c.is_uppercase(), "{c:?}");
            } else {
                assert!(u >= TABLE_END, "{c:?}");
            }
            for s in [
                c.to_string(),
                format!("{c}x"),
                format!("xΣ{c}"),
                format!("AΣ{c} b"),
            ] {
                assert_eq!(to_lowercase(&s), s.to_lowercase(), "{s:?}");
            }
        }
    }
}
