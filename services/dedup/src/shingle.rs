//! Text → normalized word tokens → hashed shingles, the input of the sketch.
//!
//! Two copies of a story differ in ways a reader ignores: Unicode forms, case,
//! Arabic spelling variants, diacritics, the script of the digits,
//! punctuation, white space, and page furniture such as a byline or "share
//! this" line. All of these are folded away here so that only wording counts.

use unicode_normalization::char::is_combining_mark;
use xxhash_rust::xxh3::xxh3_64;

/// Words per shingle. Four keeps one edited word from spoiling more than four
/// shingles while still being rare enough across unrelated texts.
pub const SHINGLE_WORDS: usize = 4;

/// Words of a text's lead, whose shingles make its second LSH key
/// ([`crate::sketch::Sketch::lead`]).
pub const LEAD_KEY_WORDS: usize = 80;

/// Lines with fewer words than this are taken for furniture (datelines,
/// bylines, "Read more", captions) and ignored, unless the text has nothing else.
pub(crate) const MIN_LINE_WORDS: usize = 5;

/// Folds one character for matching; `None` drops it.
///
/// Runs after compatibility decomposition (NFKD), which has already split
/// Arabic hamza forms (أ إ آ ؤ ئ) into a base letter plus a combining mark
/// that is dropped here.
fn fold(c: char) -> Option<char> {
    if is_combining_mark(c) {
        // Harakat, shadda, hamza above/below, Latin accents, ...
        return None;
    }
    Some(match c {
        '\u{0640}' => return None,                   // tatweel
        '\u{0671}' | '\u{0672}' | '\u{0673}' => 'ا', // alef wasla and other alef forms
        'ى' | 'ی' => 'ي',                            // alef maqsura, Persian yeh
        'ة' => 'ه',                                  // teh marbuta
        'ک' => 'ك',                                  // Persian kaf
        _ => digit_value(c).map_or(c, |d| char::from(b'0' + d)),
    })
}

/// Decomposes (NFKD, one character at a time: marks are dropped anyway, so
/// their canonical order does not matter), folds and lower-cases `c`.
/// ASCII and the Arabic letters without decompositions take a short path,
/// as they make up nearly all of the text.
fn normalize_char(c: char, mut emit: impl FnMut(char)) {
    if c.is_ascii() {
        emit(c.to_ascii_lowercase());
        return;
    }
    if is_plain_arabic(c) {
        emit(fold_plain_arabic(c));
        return;
    }
    unicode_normalization::char::decompose_compatible(c, |d| {
        if let Some(f) = fold(d) {
            for lower in f.to_lowercase() {
                emit(lower);
            }
        }
    });
}

/// Arabic letters without marks, digits or decompositions.
fn is_plain_arabic(c: char) -> bool {
    matches!(c as u32, 0x0627..=0x063A | 0x0641..=0x064A)
}

/// The two folds of [`fold`] that apply to the plain Arabic letters; the
/// result is a plain Arabic letter too.
fn fold_plain_arabic(c: char) -> char {
    match c {
        'ى' => 'ي',
        'ة' => 'ه',
        _ => c,
    }
}

/// First code point ("zero") of each run of decimal digits in Unicode
/// (general category Nd comes in contiguous runs of ten, in order).
const DIGIT_ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
];

/// The value of a decimal digit of any script other than ASCII.
fn digit_value(c: char) -> Option<u8> {
    let cp = c as u32;
    // The last run starting at or below `cp`, if `cp` falls inside it.
    let at = DIGIT_ZEROS
        .partition_point(|&zero| zero <= cp)
        .checked_sub(1)?;
    let zero = DIGIT_ZEROS[at];
    (cp < zero + 10).then(|| (cp - zero) as u8)
}

/// Scripts written without spaces between words: each character is a token.
fn is_unspaced(c: char) -> bool {
    // Latin and Arabic, nearly all of the text, come before all of them.
    (c as u32) >= 0x0E00
        && matches!(c as u32,
            0x3040..=0x30FF   // Hiragana, Katakana
            | 0x3400..=0x4DBF // CJK extension A
            | 0x4E00..=0x9FFF // CJK unified ideographs
            | 0xF900..=0xFAFF // CJK compatibility ideographs
            | 0x0E00..=0x0E7F // Thai
            | 0x0E80..=0x0EFF // Lao
            | 0x1000..=0x109F // Myanmar
            | 0x1780..=0x17FF // Khmer
        )
}

/// Whether a (folded) character belongs to a word. ASCII and the Arabic
/// letters take a short path: the general Unicode lookup is slow.
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    matches!(c as u32, 0x0621..=0x063A | 0x0641..=0x064A) || c.is_alphanumeric()
}

/// What one normalized character does to the word being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// Belongs to the word.
    Letter(char),
    /// A token of its own (a script written without spaces): ends the
    /// word before it and is a word by itself.
    Alone(char),
    /// Ends the word (punctuation, space, symbol).
    Break,
}

/// The general path: `c` decomposed, folded and lower-cased
/// ([`normalize_char`]), each resulting character classified.
fn pieces_of(c: char, mut emit: impl FnMut(Piece)) {
    normalize_char(c, |n| {
        emit(if is_unspaced(n) {
            Piece::Alone(n)
        } else if is_word_char(n) {
            Piece::Letter(n)
        } else {
            Piece::Break
        });
    });
}

/// Most pieces one character of the table's ranges gives (NFKD can give
/// more, as in U+FDFA; those take the general path).
const MOST_PIECES: usize = 3;

/// The pieces of one character, as the general path gives them.
#[derive(Debug, Clone, Copy)]
struct Pieces {
    len: u8,
    pieces: [Piece; MOST_PIECES],
}

/// Ranges whose characters are looked up in a table made by the general
/// path: Latin-1 Supplement, Latin Extended, IPA, Greek, Cyrillic,
/// Armenian, Hebrew, the rest of Arabic (marks, digits, punctuation), and
/// General Punctuation (quotes, dashes, spaces of news text). Together with
/// ASCII and the plain Arabic letters, nearly all of the text in the
/// languages the pipeline sees.
const TABLE_RANGES: [std::ops::Range<u32>; 2] = [0x0080..0x0800, 0x2000..0x2070];

/// The table of [`TABLE_RANGES`], in their order: `None` where a character
/// gives more than [`MOST_PIECES`] pieces.
fn table() -> &'static [Option<Pieces>] {
    static TABLE: std::sync::OnceLock<Vec<Option<Pieces>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        TABLE_RANGES
            .iter()
            .flat_map(|range| range.clone())
            .map(|cp| {
                let mut entry = Pieces {
                    len: 0,
                    pieces: [Piece::Break; MOST_PIECES],
                };
                let mut fits = true;
                // Not a character (a surrogate) gives nothing: never looked up.
                if let Some(c) = char::from_u32(cp) {
                    pieces_of(c, |piece| {
                        match entry.pieces.get_mut(usize::from(entry.len)) {
                            Some(slot) => {
                                *slot = piece;
                                entry.len += 1;
                            }
                            None => fits = false,
                        }
                    });
                }
                fits.then_some(entry)
            })
            .collect()
    })
}

/// The table's pieces of `c`, when `c` is in its ranges and fits.
fn table_pieces(c: char) -> Option<&'static Pieces> {
    let cp = c as u32;
    let mut offset = 0;
    for range in &TABLE_RANGES {
        if range.contains(&cp) {
            return table()[offset + (cp - range.start) as usize].as_ref();
        }
        offset += range.len();
    }
    None
}

/// CJK unified ideographs: no decomposition, no case, each a word of its
/// own (checked against the general path by a test).
fn is_cjk_unified(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF)
}

/// What the tokenizer's short path does with one byte of UTF-8.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ByteClass {
    /// A lower-case ASCII letter or a digit: normalized, it is itself.
    Kept,
    /// Other ASCII but the upper-case letters: ends the word.
    Break,
    /// An upper-case ASCII letter.
    Upper,
    /// 0xC2..=0xDF, the first byte of a character of U+0080..U+07FF,
    /// which [`TwoByteFolds`] tells.
    TwoByte,
    /// Any other byte: the character takes the general path.
    Other,
}

/// [`ByteClass`] of every byte.
static BYTE_CLASSES: [ByteClass; 256] = {
    let mut classes = [ByteClass::Other; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        classes[byte] = if b.is_ascii_lowercase() || b.is_ascii_digit() {
            ByteClass::Kept
        } else if b.is_ascii_uppercase() {
            ByteClass::Upper
        } else if b.is_ascii() {
            ByteClass::Break
        } else if b >= 0xC2 && b <= 0xDF {
            ByteClass::TwoByte
        } else {
            ByteClass::Other
        };
        byte += 1;
    }
    classes
};

/// The characters of U+0080..U+07FF (two bytes of UTF-8) whose pieces in
/// the table are one letter: the plain Arabic and most Cyrillic, Greek and
/// Hebrew letters, which normalization leaves as they are, and the Latin
/// letters with accents and Arabic letter variants it folds into another.
struct TwoByteFolds {
    /// For each first byte (its low five bits), the characters that stay
    /// as they are, as bits of their second byte's low six bits.
    kept: [u64; 32],
    /// The letter each character folds into, by code point from U+0080.
    letter: Vec<Option<char>>,
}

fn two_byte_folds() -> &'static TwoByteFolds {
    static FOLDS: std::sync::OnceLock<TwoByteFolds> = std::sync::OnceLock::new();
    FOLDS.get_or_init(|| {
        let mut folds = TwoByteFolds {
            kept: [0; 32],
            letter: vec![None; 0x800 - 0x80],
        };
        for c in (0x80..0x800).filter_map(char::from_u32) {
            let code = c as usize;
            if let Some(entry) = table_pieces(c)
                && entry.len == 1
                && let Piece::Letter(letter) = entry.pieces[0]
            {
                folds.letter[code - 0x80] = Some(letter);
                if letter == c {
                    folds.kept[code >> 6] |= 1 << (code & 0x3F);
                }
            }
        }
        folds
    })
}

/// Reads words: the word being read when it is not a run of the line's
/// own bytes (its normalized UTF-8), and the words of the line so far
/// (hash, and whether a number), both reused from line to line.
#[derive(Default)]
struct WordReader {
    word: Vec<u8>,
    words: Vec<(u64, bool)>,
}

impl WordReader {
    fn flush(&mut self) {
        if !self.word.is_empty() {
            self.words.push(word_entry(&self.word));
            self.word.clear();
        }
    }

    /// Ends the word made of what `word` holds and then `run`, bytes of the
    /// line that normalization leaves as they are: hashed where they lie
    /// when they are all of it.
    fn end_word(&mut self, run: &[u8]) {
        if self.word.is_empty() {
            if !run.is_empty() {
                self.words.push(word_entry(run));
            }
        } else {
            self.word.extend_from_slice(run);
            self.flush();
        }
    }

    fn push_char(&mut self, c: char) {
        self.word
            .extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }

    fn take(&mut self, piece: Piece) {
        match piece {
            Piece::Letter(c) => self.push_char(c),
            Piece::Alone(c) => {
                self.flush();
                self.push_char(c);
                self.flush();
            }
            Piece::Break => self.flush(),
        }
    }

    /// The general path for the character at `at`: decomposed, folded and
    /// classified, from the table when it is in its ranges. Returns where
    /// the next character starts.
    fn general(&mut self, line: &str, at: usize) -> usize {
        let c = line[at..]
            .chars()
            .next()
            .expect("`at` is on a char boundary");
        if let Some(entry) = table_pieces(c) {
            for &piece in &entry.pieces[..usize::from(entry.len)] {
                self.take(piece);
            }
        } else if is_cjk_unified(c) {
            self.take(Piece::Alone(c));
        } else {
            pieces_of(c, |piece| self.take(piece));
        }
        at + c.len_utf8()
    }

    /// A character of three or four bytes at `at`, after the run of the
    /// word from `run`. Returns where the next character starts. Kept out
    /// of [`WordReader::line`]'s loop, which it made slower for the text
    /// that has none.
    #[inline(never)]
    fn other(&mut self, line: &str, run: usize, at: usize) -> usize {
        let bytes = line.as_bytes();
        if let Some(ideograph) = cjk_unified_at(bytes, at) {
            // A word of its own, as the general path makes it.
            self.end_word(&bytes[run..at]);
            self.words.push(word_entry(ideograph));
            at + ideograph.len()
        } else {
            self.word.extend_from_slice(&bytes[run..at]);
            self.general(line, at)
        }
    }

    /// Reads one line into `words` (cleared first); the word open at its
    /// end is finished.
    fn line(&mut self, line: &str) {
        self.words.clear();
        let bytes = line.as_bytes();
        let folds = two_byte_folds();
        // Most words are their own normalized form (lower-case ASCII
        // letters and digits, plain Arabic letters, lower-case Cyrillic
        // ...): read byte by byte and hashed where they lie, from `run` to
        // `at`. Decoding each character into a `char` and encoding it into
        // a word again cost more than the rest of the tokenizer. Any other
        // character first moves the run into `word`.
        let mut run = 0;
        let mut at = 0;
        while let Some(&byte) = bytes.get(at) {
            match BYTE_CLASSES[usize::from(byte)] {
                ByteClass::Kept => at += 1,
                ByteClass::Break => {
                    self.end_word(&bytes[run..at]);
                    at += 1;
                    run = at;
                }
                ByteClass::TwoByte => {
                    // A first byte of valid UTF-8 is followed by a continuation byte.
                    let next = bytes.get(at + 1).copied().unwrap_or_default();
                    if folds.kept[usize::from(byte & 0x1F)] >> (next & 0x3F) & 1 == 1 {
                        at += 2;
                        continue;
                    }
                    self.word.extend_from_slice(&bytes[run..at]);
                    let code = usize::from(byte & 0x1F) << 6 | usize::from(next & 0x3F);
                    at = match folds.letter[code - 0x80] {
                        Some(letter) => {
                            self.push_char(letter);
                            at + 2
                        }
                        None => self.general(line, at),
                    };
                    run = at;
                }
                ByteClass::Upper => {
                    self.word.extend_from_slice(&bytes[run..at]);
                    self.word.push(byte.to_ascii_lowercase());
                    at += 1;
                    run = at;
                }
                ByteClass::Other => {
                    at = self.other(line, run, at);
                    run = at;
                }
            }
        }
        self.end_word(&bytes[run..]);
    }
}

/// The UTF-8 of the CJK unified ideograph ([`is_cjk_unified`]) at `at`, if
/// one starts there: three bytes, the first 0xE0..=0xEF.
fn cjk_unified_at(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let utf8 = bytes.get(at..at + 3)?;
    let code = u32::from(utf8[0] & 0x0F) << 12
        | u32::from(utf8[1] & 0x3F) << 6
        | u32::from(utf8[2] & 0x3F);
    let ideograph = utf8[0] & 0xF0 == 0xE0 && char::from_u32(code).is_some_and(is_cjk_unified);
    ideograph.then_some(utf8)
}

/// A word's entry: its hash, and whether it is a number.
fn word_entry(word: &[u8]) -> (u64, bool) {
    (xxh3_64(word), word.iter().all(u8::is_ascii_digit))
}

/// Calls `emit` with the hash of each normalized word of one line and
/// whether the word is a number (only digits once folded).
pub(crate) fn for_each_word(line: &str, mut emit: impl FnMut(u64, bool)) {
    let mut reader = WordReader::default();
    reader.line(line);
    for &(hash, numeric) in &reader.words {
        emit(hash, numeric);
    }
}

/// Whether a line is page furniture rather than article text: a link, an
/// e-mail address or a copyright notice (length is checked by the caller).
pub(crate) fn is_furniture(line: &str) -> bool {
    // Each test below needs a ':' (of "://"), an '@', a 0xC2 (the first
    // byte of '©') or "www.": a line with none of them, nearly every line,
    // is told in two fast scans instead of four.
    static WWW: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("www."));
    let bytes = line.as_bytes();
    if memchr::memchr3(b':', b'@', 0xC2, bytes).is_none() && WWW.find(bytes).is_none() {
        return false;
    }
    // One scan for "://" spares most lines the two scans for the links.
    (line.contains("://") && (line.contains("http://") || line.contains("https://")))
        || line.contains("www.")
        || line.contains('©')
        || (line.contains('@')
            && line.split_whitespace().any(|w| {
                w.contains('@') && w.contains('.') && !w.starts_with('@') && !w.ends_with('@')
            }))
}

/// The normalized words of a text, as the sketch and the verifier read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Words {
    /// Hash of every normalized word in order, furniture lines included.
    pub all: Vec<u64>,
    /// The words compared, in order: furniture lines (shorter than
    /// `MIN_LINE_WORDS` words, links, addresses, copyright) left out,
    /// unless that leaves less than half of the text.
    pub compared: Vec<u64>,
    /// The numbers among the compared words (digits of every script folded).
    pub numbers: Vec<u64>,
}

/// Normalizes and tokenizes a text once, for the exact key, the shingles
/// and the verifier alike.
pub fn words(text: &str) -> Words {
    // About one word in six bytes of news text (fewer in Arabic).
    let mut all = Vec::with_capacity(text.len() / 6);
    let mut kept = Vec::with_capacity(text.len() / 6);
    let mut all_numbers = Vec::new();
    let mut kept_numbers = Vec::new();
    let mut reader = WordReader::default();
    for text_line in text.lines() {
        reader.line(text_line);
        let line = &reader.words;
        let keep = line.len() >= MIN_LINE_WORDS && !is_furniture(text_line);
        for &(hash, numeric) in line {
            all.push(hash);
            if numeric {
                all_numbers.push(hash);
            }
            if keep {
                kept.push(hash);
                if numeric {
                    kept_numbers.push(hash);
                }
            }
        }
    }
    // A short text made only of short lines is all furniture by the rule
    // above; then its words are all there is to compare.
    let (compared, numbers) = if kept.len() < all.len() / 2 {
        (all.clone(), all_numbers)
    } else {
        (kept, kept_numbers)
    };
    Words {
        all,
        compared,
        numbers,
    }
}

/// What the stage compares of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// Hash of every normalized word in order, furniture lines included:
    /// equal for texts that differ only in case, Unicode form, Arabic letter
    /// variants, diacritics, digit script, punctuation and white space.
    pub exact: u64,
    /// The distinct shingle hashes, sorted (see [`shingles`]).
    pub shingles: Vec<u64>,
    /// The words the shingles are made of, kept for the verifier
    /// ([`crate::verify::Text::from_words`]) so a text is tokenized once.
    pub words: Words,
}

/// Normalizes and tokenizes a text once, for both the exact key and the shingles.
pub fn analyze(text: &str) -> Analysis {
    let words = words(text);
    let mut hasher = blake3::Hasher::new();
    if words.all.is_empty() {
        // No words at all (symbols, emoji): the text itself tells copies apart.
        hasher.update(newsflow_core::text::normalize_for_identity(text).as_bytes());
    }
    // The tokens' bytes in one update (the same hash as one update per
    // token, which cost about 20 times as much).
    let bytes: Vec<u8> = words.all.iter().flat_map(|t| t.to_le_bytes()).collect();
    hasher.update(&bytes);
    // 64 bits: among the 7 million texts of a week at a million a day, the
    // chance that two different texts share a key is about one in a million.
    let exact = u64::from_le_bytes(
        hasher.finalize().as_bytes()[..8]
            .try_into()
            .expect("8 bytes"),
    );
    Analysis {
        exact,
        shingles: shingles_of(&words.compared),
        words,
    }
}

/// The distinct shingle hashes of a run of word hashes, sorted.
fn shingles_of(tokens: &[u64]) -> Vec<u64> {
    let mut shingles: Vec<u64> = if tokens.is_empty() {
        Vec::new()
    } else if tokens.len() < SHINGLE_WORDS {
        vec![combine(tokens)]
    } else {
        tokens.windows(SHINGLE_WORDS).map(combine).collect()
    };
    sort_distinct(&mut shingles);
    shingles
}

/// Sorts uniformly spread hashes and drops repeats, as `sort_unstable` and
/// `dedup` would. Spread first into buckets by their top bits (about two
/// hashes a bucket), each bucket is then only a few hashes to sort: about
/// half the instructions of sorting a news article's few hundred shingles
/// at once, which was 6-7 % of the stage's work.
fn sort_distinct(hashes: &mut Vec<u64>) {
    // Below this, the buckets' setup costs more than it saves.
    const LEAST_FOR_BUCKETS: usize = 64;
    if hashes.len() < LEAST_FOR_BUCKETS {
        hashes.sort_unstable();
        hashes.dedup();
        return;
    }
    let bits = (hashes.len() / 2).ilog2().min(16);
    let bucket = |hash: u64| (hash >> (64 - bits)) as usize;
    // starts[b]..starts[b + 1] is bucket b's place in the sorted order.
    let mut starts = vec![0usize; (1 << bits) + 1];
    for &hash in hashes.iter() {
        starts[bucket(hash) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut sorted = vec![0u64; hashes.len()];
    let mut next = starts.clone();
    for &hash in hashes.iter() {
        let at = &mut next[bucket(hash)];
        sorted[*at] = hash;
        *at += 1;
    }
    for range in starts.windows(2) {
        sorted[range[0]..range[1]].sort_unstable();
    }
    sorted.dedup();
    *hashes = sorted;
}

impl Analysis {
    /// The shingle hashes of the first [`LEAD_KEY_WORDS`] words compared,
    /// in text order with any repeats (a sketch's minima do not mind
    /// them); `None` for a text no longer than that, which is its own lead.
    pub fn lead_shingles(&self) -> Option<impl Iterator<Item = u64> + '_> {
        let tokens = &self.words.compared;
        (tokens.len() > LEAD_KEY_WORDS)
            .then(|| tokens[..LEAD_KEY_WORDS].windows(SHINGLE_WORDS).map(combine))
    }
}

/// The distinct shingle hashes of a text, sorted: every run of
/// [`SHINGLE_WORDS`] consecutive normalized words (furniture lines left out),
/// or the whole text when shorter.
pub fn shingles(text: &str) -> Vec<u64> {
    analyze(text).shingles
}

/// One hash for a run of token hashes; order matters.
pub(crate) fn combine(run: &[u64]) -> u64 {
    run.iter().fold(0x9E37_79B9_7F4A_7C15, |h, &t| {
        (h.rotate_left(23) ^ t).wrapping_mul(0xFF51_AFD7_ED55_8CCD)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<u64> {
        let mut out = Vec::new();
        for_each_word(text, |hash, _| out.push(hash));
        out
    }

    #[test]
    fn the_exact_key_hashes_the_word_hashes_in_order() {
        // Keys are stored and compared across versions: blake3 over the
        // little-endian word hashes, first 8 bytes.
        let text = "Markets rose.\nThe central bank raised its rate by half a point, 2 percent.";
        let mut hasher = blake3::Hasher::new();
        for token in super::words(text).all {
            hasher.update(&token.to_le_bytes());
        }
        let expected = u64::from_le_bytes(hasher.finalize().as_bytes()[..8].try_into().unwrap());
        assert_eq!(analyze(text).exact, expected);
    }

    #[test]
    fn arabic_spelling_variants_fold_together() {
        // alef forms, alef maqsura, teh marbuta, tatweel, harakat.
        assert_eq!(
            words("أحمد إلى مدرسةٍ سوريــا"),
            words("احمد الي مدرسه سوريا")
        );
        assert_eq!(words("آمن ٱلله"), words("امن الله"));
        assert_eq!(words("مُؤتَمَر"), words("موتمر"));
    }

    #[test]
    fn the_plain_arabic_letters_fold_as_every_other_character() {
        for c in (0x0627..=0x063A)
            .chain(0x0641..=0x064A)
            .filter_map(char::from_u32)
        {
            let mut fast = Vec::new();
            normalize_char(c, |n| fast.push(n));
            let mut slow = Vec::new();
            unicode_normalization::char::decompose_compatible(c, |d| slow.extend(fold(d)));
            assert_eq!(fast, slow, "{c}");
        }
    }

    /// Word hashes by the general path alone (every character decomposed,
    /// folded and lower-cased), to check the short paths of
    /// `for_each_word` against.
    fn words_by_the_general_path(line: &str) -> Vec<u64> {
        let mut out = Vec::new();
        let mut word = String::new();
        let mut flush = |word: &mut String| {
            if !word.is_empty() {
                out.push(xxh3_64(word.as_bytes()));
                word.clear();
            }
        };
        for c in line.chars() {
            unicode_normalization::char::decompose_compatible(c, |d| {
                for n in fold(d).into_iter().flat_map(char::to_lowercase) {
                    if is_unspaced(n) {
                        flush(&mut word);
                        word.push(n);
                        flush(&mut word);
                    } else if is_word_char(n) {
                        word.push(n);
                    } else {
                        flush(&mut word);
                    }
                }
            });
        }
        flush(&mut word);
        out
    }

    #[test]
    fn ascii_and_plain_arabic_take_a_short_path_to_the_same_words() {
        let chars = (0..0x80u32)
            .chain(0x0627..=0x063A)
            .chain(0x0641..=0x064A)
            .filter_map(char::from_u32);
        for c in chars {
            for text in [
                format!("a{c}b"),
                format!("ب{c}ت"),
                format!("{c}"),
                format!("x {c}{c} ٢"),
            ] {
                assert_eq!(words(&text), words_by_the_general_path(&text), "{c:?}");
            }
        }
        let mixed = "Le Président a dit: «مرحبا بكم» ١٢ km/h — ﻻ 東京 OK, مدرسةٌ إلى. Ǆ🔥x 𠀋字";
        assert_eq!(words(mixed), words_by_the_general_path(mixed));
    }

    #[test]
    fn the_table_and_cjk_paths_give_the_general_paths_words() {
        let chars = TABLE_RANGES
            .iter()
            .flat_map(|range| range.clone())
            .chain(0x4E00..=0x9FFF)
            .filter_map(char::from_u32);
        for c in chars {
            for text in [format!("a{c}b"), format!("{c}"), format!("ж{c}{c} ١ 東")] {
                assert_eq!(words(&text), words_by_the_general_path(&text), "{c:?}");
            }
        }
    }

    #[test]
    fn digits_of_every_script_case_and_punctuation_fold() {
        assert_eq!(words("٢٠١٥ ۲۰۱۵ २०१५"), words("2015 2015 2015"));
        assert_eq!(words("ＡＢＣ, STRASSE!"), words("abc strasse"));
        assert_eq!(words("Élysée — «café»"), words("elysee cafe"));
    }

    #[test]
    fn scripts_without_spaces_are_split_into_characters() {
        assert_eq!(words("東京都").len(), 3);
        assert_eq!(words("สวัสดีครับ").len(), words("สวัสดีครับ").len());
        assert!(words("สวัสดี").len() > 1);
    }

    #[test]
    fn furniture_lines_are_ignored() {
        let body = "The minister said on Monday that the new budget would cut spending.\n\
                    Officials expect the plan to pass the council before the summer.";
        let dressed = format!(
            "By Jane Doe\nLONDON (Reuters)\n{body}\nRead more at https://example.com/x\n© 2024 Example News"
        );
        assert_eq!(shingles(body), shingles(&dressed));
    }

    #[test]
    fn the_quick_furniture_scan_agrees_with_the_tests_it_guards() {
        // The tests alone, without the scan in front of them.
        let by_tests = |line: &str| {
            (line.contains("://") && (line.contains("http://") || line.contains("https://")))
                || line.contains("www.")
                || line.contains('©')
                || (line.contains('@')
                    && line.split_whitespace().any(|w| {
                        w.contains('@')
                            && w.contains('.')
                            && !w.starts_with('@')
                            && !w.ends_with('@')
                    }))
        };
        let lines = [
            "The minister said on Monday that the new budget would cut spending.",
            "Read more at https://example.com/x and http://example.org",
            "Follow us at www.example.com for the latest news",
            "© 2024 Example News, all rights reserved",
            "Write to jane.doe@example.com with your questions",
            "Reply to @newsdesk on the network: time 10:30",
            "Prices rose 3 % « selon » the café, with a non\u{a0}breaking space",
            "قالت الوزارة في بيان إن المحادثات ستستمر الأسبوع المقبل",
            "mailto:someone and ftp://files.example.com/a",
            "wwwx. www .www. ww.w",
        ];
        for line in lines {
            assert_eq!(is_furniture(line), by_tests(line), "{line}");
        }
        assert!(is_furniture(lines[1]) && is_furniture(lines[2]) && is_furniture(lines[3]));
        assert!(is_furniture(lines[4]) && !is_furniture(lines[5]) && !is_furniture(lines[0]));
    }

    #[test]
    fn the_exact_key_ignores_form_but_not_words() {
        let key = |t: &str| analyze(t).exact;
        assert_eq!(
            key("Same story, told twice."),
            key("SAME  story — told twice!")
        );
        assert_eq!(key("قال الوزير ٢٠١٥"), key("قَالَ الوزير 2015"));
        assert_ne!(key("Same story told twice"), key("Same story told thrice"));
        assert_ne!(key("🔥"), key("🌊"));
    }

    #[test]
    fn sort_distinct_sorts_and_drops_repeats_as_sort_and_dedup() {
        // Uniform hashes, with repeats, of sizes around the bucket cut-off;
        // and skewed ones (all in one bucket, or only two values).
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            xxh3_64(&state.to_le_bytes())
        };
        let mut inputs: Vec<Vec<u64>> = [0, 1, 63, 64, 65, 700, 5000]
            .into_iter()
            .map(|n| (0..n).map(|_| next()).collect())
            .collect();
        let with_repeats: Vec<u64> = inputs[5].iter().chain(&inputs[5][..300]).copied().collect();
        inputs.push(with_repeats);
        inputs.push((0..1000).map(|_| next() >> 20).collect());
        inputs.push((0..1000).map(|i| [3, u64::MAX][i % 2]).collect());
        for input in inputs {
            let mut expected = input.clone();
            expected.sort_unstable();
            expected.dedup();
            let mut sorted = input.clone();
            sort_distinct(&mut sorted);
            assert_eq!(sorted, expected, "{} hashes", input.len());
        }
    }

    #[test]
    fn short_texts_still_have_shingles() {
        assert_eq!(shingles("Breaking news").len(), 1);
        assert!(shingles("").is_empty());
        assert!(shingles(" ... ").is_empty());
    }
}
