//! The matching form of a text, with a way back to the original characters.
//!
//! Names are matched on a folded copy of the text: lower case, Latin
//! diacritics removed, Arabic harakat and tatweel removed, alef variants → ا,
//! ى → ي, ة → ه, Arabic-Indic digits → ASCII, hyphens and apostrophes → space,
//! runs of white space → one space. Dictionary entries go through the same
//! [`fold_str`], so `Etats-Unis` meets `États-Unis` and `بـ"داعش"` meets `داعش`.
//! Every folded byte remembers the original character it came from, so
//! matches are reported as character offsets in the original text.

use std::sync::LazyLock;

/// A folded text and the offsets back to its original.
#[derive(Debug, Clone)]
pub struct Folded {
    /// The folded text.
    pub text: String,
    /// For every byte of `text` (plus one past the end), the index of the
    /// original character it came from.
    char_at: Vec<u32>,
    /// Byte offset in the original text of every original character (plus its length).
    byte_of_char: Vec<u32>,
}

impl Folded {
    /// Folds `original`.
    pub fn new(original: &str) -> Self {
        // Text mostly beyond ASCII (Arabic, Cyrillic, Greek) is written as a
        // `String` a character at a time: turning bytes into one validates
        // them all again, a sixth of folding Arabic. Mostly-ASCII text is
        // written as bytes, which validate fast and push for less. (Its
        // start tells which: the choice changes the cost, not the result.)
        let start = &original.as_bytes()[..original.len().min(512)];
        let beyond_ascii = start.iter().filter(|b| !b.is_ascii()).count();
        if beyond_ascii * 2 > start.len() {
            Self::written_into(original, String::with_capacity(original.len()))
        } else {
            Self::written_into(original, Vec::with_capacity(original.len()))
        }
    }

    fn written_into(original: &str, mut text: impl FoldedText) -> Self {
        let table = fold_table();
        let mut char_at = Vec::with_capacity(original.len() + 1);
        let mut byte_of_char = Vec::with_capacity(original.len() + 1);
        // Whether `text` is empty or ends with a space: runs of white space
        // fold to one space, and none leads.
        let mut at_space = true;
        let bytes = original.as_bytes();
        let (mut byte, mut index) = (0, 0u32);
        while let Some(&b) = bytes.get(byte) {
            byte_of_char.push(byte as u32);
            let c = if b.is_ascii() {
                // Most characters of most text: one byte in, one out.
                let folded = ASCII_FOLD[usize::from(b)];
                if folded != b' ' || !at_space {
                    at_space = folded == b' ';
                    text.push_ascii(folded);
                    char_at.push(index);
                }
                byte += 1;
                index += 1;
                continue;
            } else if b < 0xE0 {
                // Two bytes (accented Latin, Greek, Cyrillic, Hebrew,
                // Arabic), decoded here.
                let c = newsflow_core::chars::two_byte_char(b, bytes[byte + 1]);
                byte += 2;
                c
            } else {
                let c = original[byte..]
                    .chars()
                    .next()
                    .expect("a character starts here");
                byte += c.len_utf8();
                c
            };
            if let Some(folded) = fold_with(table, c)
                && (folded != ' ' || !at_space)
            {
                at_space = folded == ' ';
                text.push_char(folded);
                for _ in 0..folded.len_utf8() {
                    char_at.push(index);
                }
            }
            index += 1;
        }
        byte_of_char.push(original.len() as u32);
        char_at.push((byte_of_char.len() - 1) as u32);
        Self {
            text: text.into_string(),
            char_at,
            byte_of_char,
        }
    }

    /// Original character index of the folded byte offset `byte`.
    pub fn char_index(&self, byte: usize) -> usize {
        self.char_at[byte] as usize
    }

    /// Original character span of the folded byte span `start..end` (non-empty).
    pub fn char_span(&self, start: usize, end: usize) -> (usize, usize) {
        // The end is one past the last folded character's original.
        let last = self.text[..end]
            .chars()
            .next_back()
            .map_or(0, char::len_utf8);
        (self.char_index(start), self.char_index(end - last) + 1)
    }

    /// Byte span in the original text of a character span.
    pub fn byte_span(&self, start: usize, end: usize) -> (usize, usize) {
        (
            self.byte_of_char[start] as usize,
            self.byte_of_char[end] as usize,
        )
    }

    /// Index of the original character that starts at byte `byte` of the
    /// original text (its number of characters for its length).
    pub fn original_char_index(&self, byte: usize) -> usize {
        self.byte_of_char.partition_point(|&b| (b as usize) < byte)
    }

    /// Number of characters of the original text.
    pub fn original_chars(&self) -> usize {
        self.byte_of_char.len() - 1
    }
}

/// What [`Folded::new`] writes the folded text into.
trait FoldedText {
    /// Appends an ASCII byte.
    fn push_ascii(&mut self, byte: u8);
    /// Appends a character.
    fn push_char(&mut self, c: char);
    fn into_string(self) -> String;
}

/// UTF-8 encoded here: `String::push` encodes each character by the
/// general rule.
impl FoldedText for Vec<u8> {
    #[inline]
    fn push_ascii(&mut self, byte: u8) {
        self.push(byte);
    }

    #[inline]
    fn push_char(&mut self, c: char) {
        let code = u32::from(c);
        if code < 0x80 {
            self.push(code as u8);
        } else if code < 0x800 {
            self.push(0xC0 | (code >> 6) as u8);
            self.push(0x80 | (code & 0x3F) as u8);
        } else {
            self.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }

    fn into_string(self) -> String {
        String::from_utf8(self).expect("whole characters were encoded")
    }
}

impl FoldedText for String {
    #[inline]
    fn push_ascii(&mut self, byte: u8) {
        self.push(char::from(byte));
    }

    #[inline]
    fn push_char(&mut self, c: char) {
        self.push(c);
    }

    fn into_string(self) -> String {
        self
    }
}

/// Folds a dictionary entry the way [`Folded::new`] folds a text (trimmed).
/// Names found in an article are folded too, many per article, so this
/// builds the folded text alone, without the offsets back.
pub fn fold_str(s: &str) -> String {
    let table = fold_table();
    let mut text = String::with_capacity(s.len());
    // As in `Folded::new`: runs of white space fold to one space, none leads.
    let mut at_space = true;
    text.extend(s.chars().filter_map(|c| fold_next(table, c, &mut at_space)));
    // One space at most ends it (and `trim` would take other white space
    // too, but every white space folds to a space).
    if text.ends_with(' ') {
        text.pop();
    }
    text
}

/// What `c` adds to a folded text that ends with a space when `at_space`
/// (updated): its folded form, or none when it folds away or is a space
/// after a space. ASCII, most of a Latin-script text, folds by a table of
/// bytes; every article is folded, so this is worth it.
fn fold_next(table: &[Option<char>], c: char, at_space: &mut bool) -> Option<char> {
    let folded = if c.is_ascii() {
        char::from(ASCII_FOLD[c as usize])
    } else {
        fold_with(table, c)?
    };
    if folded == ' ' && *at_space {
        return None;
    }
    *at_space = folded == ' ';
    Some(folded)
}

/// [`fold_char`] of every ASCII character (each folds to one).
const ASCII_FOLD: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = match c {
            b'-' | b'_' | b'\'' | b'`' => b' ',
            c if c.is_ascii_whitespace() => b' ',
            c => c.to_ascii_lowercase(),
        };
        b += 1;
    }
    table
};

/// Characters below this fold by table lookup: Latin, Greek, Cyrillic,
/// Hebrew, Arabic, Indic scripts, general punctuation.
const TABLE_END: u32 = 0x2100;

/// [`fold_char`] of every character below [`TABLE_END`], built on first use.
/// Case mapping, the alphabetic property and decomposition are table
/// searches of their own; one lookup instead makes folding several times
/// faster, most of all for Arabic and Cyrillic text.
fn fold_table() -> &'static [Option<char>] {
    static TABLE: LazyLock<Box<[Option<char>]>> = LazyLock::new(|| {
        (0..TABLE_END)
            .map(|u| char::from_u32(u).and_then(fold_char))
            .collect()
    });
    &TABLE
}

/// [`fold_char`], through `table` (from [`fold_table`]) where it reaches.
fn fold_with(table: &[Option<char>], c: char) -> Option<char> {
    match table.get(c as usize) {
        Some(&folded) => folded,
        None => fold_char(c),
    }
}

/// Builds the folding table now rather than on first use.
pub fn warm_up() {
    fold_table();
}

/// The folded form of one character; `None` drops it.
pub fn fold_char(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(match c {
            '-' | '_' | '\'' | '`' => ' ',
            c if c.is_ascii_whitespace() => ' ',
            c => c.to_ascii_lowercase(),
        });
    }
    let c = match c as u32 {
        // Harakat, superscript alef, tatweel, zero-width characters, combining marks.
        0x064B..=0x065F | 0x0670 | 0x0640 | 0x200B..=0x200F | 0xFEFF | 0x0300..=0x036F => {
            return None;
        }
        0x0660..=0x0669 => char::from(b'0' + (c as u32 - 0x0660) as u8),
        0x06F0..=0x06F9 => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        _ => match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ى' | 'ی' => 'ي',
            'ة' => 'ه',
            'ک' => 'ك',
            '‐' | '‑' | '‒' | '–' | '—' | '’' | '‘' | 'ʼ' | '´' | '\u{00A0}' => ' ',
            c if c.is_whitespace() => ' ',
            c => c,
        },
    };
    if !c.is_alphabetic() {
        return Some(c);
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    if (lower as u32) < 0x0370 || matches!(lower as u32, 0x0400..=0x04FF | 0x1E00..=0x1EFF) {
        // Latin and Cyrillic letters with diacritics: keep the base letter.
        let mut base = None;
        unicode_normalization::char::decompose_canonical(lower, |d| {
            base.get_or_insert(d);
        });
        return Some(base.unwrap_or(lower));
    }
    Some(lower)
}

/// Whether `c` counts as part of a word when checking match boundaries.
pub fn is_word_char(c: char) -> bool {
    newsflow_core::chars::is_alphanumeric(c)
}

/// Whether `c` belongs to a script written without spaces between words,
/// where word boundaries cannot be checked.
pub fn is_unspaced(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0x0E00..=0x0E7F)
}

/// The one-letter conjunctions and prepositions Arabic writes joined to
/// the next word that the dictionary guards look through (`و` and, `ف`
/// then, `ب` with/in, `ل` for).
pub const ARABIC_JOINED: [char; 4] = ['و', 'ف', 'ب', 'ل'];

/// Whether `c` is an Arabic letter.
pub fn is_arabic(c: char) -> bool {
    matches!(c as u32, 0x0620..=0x064A | 0x066E..=0x06D3)
}

/// Whether `c` is a Cyrillic letter (the basic block).
pub fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_diacritics_and_hyphens() {
        assert_eq!(fold_str("États-Unis"), "etats unis");
        assert_eq!(fold_str("Etats-Unis"), "etats unis");
        assert_eq!(fold_str("  Grèce\n  Pologne "), "grece pologne");
        assert_eq!(fold_str("Москва́ Ёлка"), "москва елка");
    }

    #[test]
    fn bytes_and_a_string_fold_alike() {
        for text in [
            "",
            "États-Unis  and the  U.S.",
            "\u{200B}الأمريكيّة - بـ\"داعش\" ١٢",
            "Москва́ Ёлка 東京 🙂 x",
            "  Grèce\n  Pologne ",
        ] {
            let bytes = Folded::written_into(text, Vec::new());
            let string = Folded::written_into(text, String::new());
            assert_eq!(bytes.text, string.text, "{text:?}");
            assert_eq!(bytes.char_at, string.char_at, "{text:?}");
            assert_eq!(bytes.byte_of_char, string.byte_of_char, "{text:?}");
        }
    }

    /// [`Folded::new`] a character at a time, the plainest way: what
    /// either writer must give.
    fn folded_by_characters(original: &str) -> (String, Vec<u32>, Vec<u32>) {
        let (mut text, mut char_at, mut byte_of_char) = (String::new(), Vec::new(), Vec::new());
        let mut at_space = true;
        for (index, (byte, c)) in original.char_indices().enumerate() {
            byte_of_char.push(byte as u32);
            if let Some(folded) = fold_char(c)
                && (folded != ' ' || !at_space)
            {
                at_space = folded == ' ';
                text.push(folded);
                char_at.extend(std::iter::repeat_n(index as u32, folded.len_utf8()));
            }
        }
        byte_of_char.push(original.len() as u32);
        char_at.push((byte_of_char.len() - 1) as u32);
        (text, char_at, byte_of_char)
    }

    #[test]
    fn both_writers_fold_as_a_character_at_a_time() {
        let every: String = (0..0x2200)
            .filter_map(char::from_u32)
            .flat_map(|c| [c, 'a', c, ' ', c, c])
            .collect();
        for text in [
            "",
            " a - b -- c '' d\t\t e_ `f` ",
            "x  \u{a0} y - é -  z",
            "\u{200B}الأمريكيّة - بـ\"داعش\" ١٢ وقال  إن",
            "Москва́ Ёлка 東京 🙂 x",
            "Ünited  Státes—of ‘America’ 2024-01-15",
            every.as_str(),
        ] {
            let expected = folded_by_characters(text);
            for folded in [
                Folded::written_into(text, Vec::new()),
                Folded::written_into(text, String::new()),
            ] {
                assert_eq!(folded.text, expected.0, "{text:?}");
                assert_eq!(folded.char_at, expected.1, "{text:?}");
                assert_eq!(folded.byte_of_char, expected.2, "{text:?}");
            }
        }
    }

    #[test]
    fn the_ascii_table_folds_as_fold_char_does() {
        for b in 0..128u8 {
            assert_eq!(
                Some(char::from(ASCII_FOLD[usize::from(b)])),
                fold_char(char::from(b)),
                "{b:#x}"
            );
        }
    }

    #[test]
    fn a_folded_entry_is_the_folded_text_trimmed() {
        for text in [
            "  Grèce\n  Pologne ",
            "\u{3000}Tōkyō\u{3000}",
            "\u{200B}الأمريكيّة - ",
            "O'Neil\u{a0}\u{a0}–  Smith-",
            "",
            " \t ",
        ] {
            assert_eq!(fold_str(text), Folded::new(text).text.trim(), "{text:?}");
        }
        // Every character of one, two and three bytes the table folds
        // (`Ⱥ` folds to a three-byte `ⱥ`), between letters and spaces.
        let every: String = (0..0x2200)
            .filter_map(char::from_u32)
            .flat_map(|c| [c, 'a', c, ' '])
            .collect();
        let folded = Folded::new(&every);
        assert_eq!(fold_str(&every), folded.text.trim());
        assert_eq!(folded.original_chars(), every.chars().count());
    }

    #[test]
    fn folds_arabic_letter_variants_and_marks() {
        assert_eq!(fold_str("الأمريكيّة"), fold_str("الامريكيه"));
        assert_eq!(fold_str("بـ\"داعش\""), "ب\"داعش\"");
        assert_eq!(fold_str("فى"), "في");
        assert_eq!(fold_str("١٣٠"), "130");
    }

    #[test]
    fn maps_folded_offsets_back_to_original_characters() {
        let text = "Le «  État » بـداعش";
        let folded = Folded::new(text);
        let start = folded.text.find("etat").unwrap();
        let (s, e) = folded.char_span(start, start + 4);
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(chars[s..e].iter().collect::<String>(), "État");
        let start = folded.text.find("داعش").unwrap();
        let (s, e) = folded.char_span(start, start + "داعش".len());
        assert_eq!(chars[s..e].iter().collect::<String>(), "داعش");
        let (bs, be) = folded.byte_span(s, e);
        assert_eq!(&text[bs..be], "داعش");
        assert_eq!(folded.original_chars(), chars.len());
    }
}
