//! A greedy, left-to-right averaged-perceptron tagger over hashed features,
//! and its training.
//!
//! Each token gets one of nine IOB2 labels (`O`, `B-PER`, `I-PER`, …,
//! `I-MISC`). The score of a label is the sum of the weights of the token's
//! features: the word, its lower case, shape, prefixes and suffixes, the
//! words and shapes around it, and the labels already given to the two
//! tokens before it; for models trained so, also the kind of name the same
//! word was tagged earlier in the document, and whether the word and the
//! words beside it are known first names or surnames ([`NAME_LIST`]). Features are 64-bit hashes
//! (xxh3 of the string, mixed with the template number), so a model is a
//! table from hash to nine small integer weights. Decoding is greedy, with the one IOB2 constraint that
//! `I-X` follows `B-X` or `I-X`: one pass, no lattice, which keeps the
//! tagger at a few hundred nanoseconds a token.

use std::borrow::Cow;
use std::sync::LazyLock;

use newsflow_core::chars::two_byte_char;
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_64;

/// The labels, in the order of a model's weight rows.
pub const LABELS: [&str; 9] = [
    "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC",
];
const N: usize = LABELS.len();

/// The kinds of name, by [`kind_of`] number.
pub const KINDS: [&str; 5] = ["O", "PER", "ORG", "LOC", "MISC"];

/// Kind of a label: 0 outside a name, 1 PER, 2 ORG, 3 LOC, 4 MISC.
pub fn kind_of(label: usize) -> usize {
    label.div_ceil(2)
}

/// Whether a label continues a name (`I-X`).
pub fn is_inside(label: usize) -> bool {
    label > 0 && label.is_multiple_of(2)
}

/// The label with this name (`B-PER`), if it is one.
pub fn label_index(name: &str) -> Option<usize> {
    LABELS.iter().position(|l| *l == name)
}

/// Mixes a template number and a value into a feature key.
fn mix(a: u64, b: u64) -> u64 {
    (a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b)
        .rotate_left(27)
        .wrapping_mul(0xFF51_AFD7_ED55_8CCD)
}

/// The hashed forms of one token.
#[derive(Debug, Clone, Copy)]
struct Word {
    word: u64,
    lower: u64,
    shape: u64,
    prefix: [u64; 3],
    suffix: [u64; 4],
    /// The word without Arabic clitics (`وبالرئيس` → `رئيس`); the lower case otherwise.
    stem: u64,
    /// The word's class in [`NAME_LIST`] (1 first name, 2 surname, 3 both),
    /// for models trained with it; 0 otherwise.
    listed: u8,
    /// The first and the last character of the lower case (the one-character
    /// prefix and suffix, whose weights a model keeps by character: see
    /// `Model::by_first_char`); none for an empty word and the boundaries.
    ends: Option<(char, char)>,
    /// The first two and the last two characters of the lower case, when
    /// they are two letters of one of the [`ALPHABETS`], as
    /// [`letter_pair_number`]s (the two-character prefix and suffix, which
    /// a model keeps by them too).
    first_two: Option<usize>,
    last_two: Option<usize>,
}

const BOUNDARY_BEFORE: Word = Word::sentinel(1);
const BOUNDARY_AFTER: Word = Word::sentinel(2);

impl Word {
    const fn sentinel(n: u64) -> Self {
        Word {
            word: n,
            lower: n,
            shape: n,
            prefix: [n; 3],
            suffix: [n; 4],
            stem: n,
            listed: 0,
            ends: None,
            first_two: None,
            last_two: None,
        }
    }

    fn new(text: &str, lower_buffer: &mut String) -> Self {
        Self::with_hash(text, xxh3_64(text.as_bytes()), lower_buffer)
    }

    /// [`Word::new`] with the word's hash (`xxh3_64` of `text`) already
    /// known. A form equal to one hashed before (the lower case of a word
    /// written in lower case, the prefix of a short word) takes that hash
    /// rather than hashing the same bytes again: a document's new word
    /// types are a good part of its tagging.
    fn with_hash(text: &str, word: u64, lower_buffer: &mut String) -> Self {
        Self::with_hashes(text, word, shape_hash(text), lower_buffer)
    }

    /// [`Word::with_hash`] with the hash of the word's shape known too.
    fn with_hashes(text: &str, word: u64, shape: u64, lower_buffer: &mut String) -> Self {
        let ascii = text.is_ascii();
        // Most words are their own lower case (every Arabic one): found
        // so without writing it out.
        let own_lower_case = if ascii {
            !text.bytes().any(|b| b.is_ascii_uppercase())
        } else {
            text.chars().all(lower_case_is_itself)
        };
        let (lower, lower_hash) = if own_lower_case {
            (text, word)
        } else {
            lower_case_into(text, lower_buffer);
            let lower: &str = lower_buffer;
            let hash = if lower == text {
                word
            } else {
                xxh3_64(lower.as_bytes())
            };
            (lower, hash)
        };
        let bytes = lower.as_bytes();
        let hash_of = |range: std::ops::Range<usize>| {
            if range.len() == bytes.len() {
                lower_hash
            } else {
                xxh3_64(&bytes[range])
            }
        };
        // Where the first three and the last four characters end and start.
        let (mut heads, mut tails) = ([bytes.len(); 3], [0; 4]);
        let ends = if ascii {
            match (bytes.first(), bytes.last()) {
                (Some(&first), Some(&last)) => Some((char::from(first), char::from(last))),
                _ => None,
            }
        } else {
            lower.chars().next().zip(lower.chars().next_back())
        };
        if ascii {
            for (n, head) in heads.iter_mut().enumerate() {
                *head = (n + 1).min(bytes.len());
            }
            for (n, tail) in tails.iter_mut().enumerate() {
                *tail = bytes.len().saturating_sub(n + 1);
            }
        } else {
            for (head, (b, _)) in heads.iter_mut().zip(lower.char_indices().skip(1)) {
                *head = b;
            }
            for (tail, (b, _)) in tails.iter_mut().zip(lower.char_indices().rev()) {
                *tail = b;
            }
        }
        // Only Arabic words have clitics to peel (the stem is the lower case otherwise).
        let stem = if ascii {
            lower_hash
        } else {
            let stem = strip_arabic_clitics(lower);
            if stem.len() == lower.len() {
                lower_hash
            } else {
                xxh3_64(stem.as_bytes())
            }
        };
        // A one-character prefix or suffix is a character, and a
        // two-character one often two letters, whose hash is in a table.
        let (first, last) = match ends {
            Some((first, last)) => (char_hash(first), char_hash(last)),
            None => (lower_hash, lower_hash),
        };
        let first_two = first_letter_pair(bytes);
        let last_two = last_letter_pair(bytes);
        let prefix_2 = first_two.map_or_else(|| hash_of(0..heads[1]), letter_pair_hash);
        let suffix_2 = last_two.map_or_else(|| hash_of(tails[1]..bytes.len()), letter_pair_hash);
        Word {
            word,
            lower: lower_hash,
            shape,
            prefix: [first, prefix_2, hash_of(0..heads[2])],
            suffix: [
                last,
                suffix_2,
                hash_of(tails[2]..bytes.len()),
                hash_of(tails[3]..bytes.len()),
            ],
            stem,
            listed: 0,
            ends,
            first_two,
            last_two,
        }
    }
}

/// Writes `text` in lower case into `buffer` (emptied first), character by
/// character as the models were trained (no final-sigma rule).
fn lower_case_into(text: &str, buffer: &mut String) {
    buffer.clear();
    if text.is_ascii() {
        // Most words of most news: no Unicode tables needed.
        buffer.push_str(text);
        buffer.make_ascii_lowercase();
    } else {
        for c in text.chars() {
            if lower_case_is_itself(c) {
                buffer.push(c);
            } else {
                buffer.extend(c.to_lowercase());
            }
        }
    }
}

/// Whether `c` is its own lower case, through a table built on first use
/// below [`SHAPE_TABLE_END`]: the Unicode case tables searched for every
/// letter of an Arabic word (which has no case) cost more than the rest
/// of its lower-casing.
fn lower_case_is_itself(c: char) -> bool {
    static TABLE: LazyLock<Box<[bool]>> = LazyLock::new(|| {
        (0..SHAPE_TABLE_END)
            .map(|u| char::from_u32(u).is_some_and(is_own_lower_case))
            .collect()
    });
    match TABLE.get(c as usize) {
        Some(&itself) => itself,
        None => is_own_lower_case(c),
    }
}

fn is_own_lower_case(c: char) -> bool {
    c.to_lowercase().eq(std::iter::once(c))
}

/// Characters below this have their hash in a table ([`char_hash`]), and
/// their weights as a one-character prefix or suffix in each model's
/// tables (`Model::by_first_char`): ASCII, Latin, Greek, Cyrillic, Arabic.
const ONE_CHAR_TABLE_END: u32 = 0x800;

/// `xxh3_64` of a character's UTF-8 bytes, through a table built on first
/// use where it reaches: every word type has a one-character prefix and
/// suffix, and hashing them cost more than looking them up.
fn char_hash(c: char) -> u64 {
    static TABLE: LazyLock<Box<[u64]>> = LazyLock::new(|| {
        (0..ONE_CHAR_TABLE_END)
            .map(|u| char::from_u32(u).map_or(0, hash_of_char))
            .collect()
    });
    match TABLE.get(c as usize) {
        Some(&hash) => hash,
        None => hash_of_char(c),
    }
}

fn hash_of_char(c: char) -> u64 {
    xxh3_64(c.encode_utf8(&mut [0; 4]).as_bytes())
}

/// The alphabets of the letter pairs that each model keeps the
/// two-character prefixes and suffixes of by the pair (see
/// `Model::by_first_two`), by their first letter and size: `a` to `z`,
/// the Arabic letters (`ء` to `ي`), the small Cyrillic letters (`а` to `я`).
const ALPHABETS: [(u32, usize); 3] = [(0x61, 26), (0x621, 42), (0x430, 32)];

/// How many [`letter_pair_number`]s there are (the pairs of each alphabet).
const LETTER_PAIRS: usize = 26 * 26 + 42 * 42 + 32 * 32;

/// The number of two letters of one alphabet ([`ALPHABETS`]): the pairs of
/// the first alphabet (`aa` 0, `ab` 1, … `zz` 675), then the second's, ….
fn letter_pair_number(first: u32, second: u32) -> Option<usize> {
    let mut pairs_before = 0;
    for (start, size) in ALPHABETS {
        let (a, b) = (
            first.wrapping_sub(start) as usize,
            second.wrapping_sub(start) as usize,
        );
        if a < size && b < size {
            return Some(pairs_before + a * size + b);
        }
        pairs_before += size * size;
    }
    None
}

/// The two letters numbered `number` ([`letter_pair_number`]).
fn letter_pair(number: usize) -> [char; 2] {
    let mut rest = number;
    for (start, size) in ALPHABETS {
        if rest < size * size {
            return [rest / size, rest % size]
                .map(|k| char::from_u32(start + k as u32).expect("a letter"));
        }
        rest -= size * size;
    }
    panic!("no letter pair numbered {number}")
}

/// Whether `byte` starts a two-byte character.
fn starts_two_bytes(byte: u8) -> bool {
    (0xC2..=0xDF).contains(&byte)
}

/// The [`letter_pair_number`] of the first two characters of `bytes` (a
/// word), if they are a pair of letters of one alphabet.
fn first_letter_pair(bytes: &[u8]) -> Option<usize> {
    bytes
        .get(..2)
        .and_then(letter_pair_of)
        .or_else(|| bytes.get(..4).and_then(letter_pair_of))
}

/// The [`letter_pair_number`] of the last two characters of `bytes` (a
/// word), if they are a pair of letters of one alphabet.
fn last_letter_pair(bytes: &[u8]) -> Option<usize> {
    let tail = |n: usize| bytes.len().checked_sub(n).map(|start| &bytes[start..]);
    tail(2)
        .and_then(letter_pair_of)
        .or_else(|| tail(4).and_then(letter_pair_of))
}

/// The [`letter_pair_number`] of two characters written as `pair`: two
/// ASCII bytes or two two-byte characters.
fn letter_pair_of(pair: &[u8]) -> Option<usize> {
    match *pair {
        [a, b] if a.is_ascii() && b.is_ascii() => letter_pair_number(a.into(), b.into()),
        [a, a_next, b, b_next] if starts_two_bytes(a) && starts_two_bytes(b) => {
            let [a, b] = [(a, a_next), (b, b_next)].map(|(lead, next)| two_byte_char(lead, next));
            letter_pair_number(a.into(), b.into())
        }
        _ => None,
    }
}

/// `xxh3_64` of the two letters numbered `number` ([`letter_pair_number`]),
/// through a table built on first use: most words start and end with two
/// letters of one alphabet.
fn letter_pair_hash(number: usize) -> u64 {
    static TABLE: LazyLock<Box<[u64]>> = LazyLock::new(|| {
        (0..LETTER_PAIRS)
            .map(|n| xxh3_64(letter_pair(n).iter().collect::<String>().as_bytes()))
            .collect()
    });
    TABLE[number]
}

/// `Xxx` for `Smith`, `XX` for `NATO`, `dd,dd` for `12,500`, `a` for Arabic.
fn shape_hash(text: &str) -> u64 {
    xxh3_64(shape_of(text).classes())
}

/// The shape of a word, not yet hashed ([`shape_hash`]).
fn shape_of(text: &str) -> Shape {
    let mut shape = Shape::default();
    if text.is_ascii() {
        // Most words of most news: no characters to decode.
        for &b in text.as_bytes() {
            if !shape.push(ASCII_SHAPE_CLASSES[usize::from(b)]) {
                break;
            }
        }
    } else {
        for c in text.chars() {
            let class = if c.is_ascii() {
                shape_class(c)
            } else {
                shape_class_by_table(c)
            };
            if !shape.push(class) {
                break;
            }
        }
    }
    shape
}

/// A word's shape being written: its characters' classes, no more than
/// two alike in a row, at most 16.
#[derive(Default)]
struct Shape {
    classes: [u8; 16],
    len: usize,
    /// Whether the last two classes are the same.
    doubled: bool,
}

impl Shape {
    /// Adds a character's class; false when the shape is full.
    fn push(&mut self, class: u8) -> bool {
        let repeats = self.len > 0 && self.classes[self.len - 1] == class;
        if repeats && self.doubled {
            return true;
        }
        if self.len == self.classes.len() {
            return false;
        }
        self.classes[self.len] = class;
        self.len += 1;
        self.doubled = repeats;
        true
    }

    fn classes(&self) -> &[u8] {
        &self.classes[..self.len]
    }

    /// The shape as a map key: the classes (zero past the last one) and
    /// their number.
    fn key(&self) -> (u128, usize) {
        (u128::from_le_bytes(self.classes), self.len)
    }
}

/// [`shape_class`] of the ASCII characters, by their byte.
static ASCII_SHAPE_CLASSES: [u8; 128] = {
    let mut table = [0; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = match b as u8 {
            b'A'..=b'Z' => b'X',
            b'a'..=b'z' => b'x',
            b'0'..=b'9' => b'd',
            other => other,
        };
        b += 1;
    }
    table
};

/// What a character is in a word's shape: `X` upper case, `x` lower case,
/// `d` a digit, `a` another letter (Arabic), ASCII punctuation itself, `*`
/// the rest.
fn shape_class(c: char) -> u8 {
    if c.is_ascii() {
        match c {
            'A'..='Z' => b'X',
            'a'..='z' => b'x',
            '0'..='9' => b'd',
            _ => c as u8,
        }
    } else if c.is_uppercase() {
        b'X'
    } else if c.is_lowercase() {
        b'x'
    } else if c.is_numeric() {
        b'd'
    } else if c.is_alphabetic() {
        b'a'
    } else {
        b'*'
    }
}

/// Characters below this have their [`shape_class`] in a table: Latin,
/// Greek, Cyrillic, Arabic, Indic scripts, general punctuation.
const SHAPE_TABLE_END: u32 = 0x2100;

/// [`shape_class`], through a table built on first use where it reaches:
/// an Arabic letter is neither upper nor lower case nor a digit, and the
/// four Unicode tables searched to find that cost more than the rest of
/// the word's features.
fn shape_class_by_table(c: char) -> u8 {
    static TABLE: LazyLock<Box<[u8]>> = LazyLock::new(|| {
        (0..SHAPE_TABLE_END)
            .map(|u| char::from_u32(u).map_or(b'*', shape_class))
            .collect()
    });
    match TABLE.get(c as usize) {
        Some(&class) => class,
        None => shape_class(c),
    }
}

/// Builds now what the tagger otherwise builds on its first non-ASCII word.
pub fn warm_up() {
    char_hash('é');
    letter_pair_hash(0);
    shape_class_by_table('é');
    lower_case_is_itself('é');
}

/// Arabic proclitics (conjunction, preposition, article) peeled off a word.
pub fn strip_arabic_clitics(word: &str) -> &str {
    let long_enough = |s: &str| s.chars().count() >= 3;
    let strip = |rest: &str, prefixes: &[&str]| -> Option<usize> {
        prefixes
            .iter()
            .find(|p| rest.strip_prefix(**p).is_some_and(long_enough))
            .map(|p| p.len())
    };
    let mut rest = word;
    if let Some(n) = strip(rest, &["و", "ف"]) {
        rest = &rest[n..];
    }
    // `لل` is `ل` + `ال` with the alef dropped.
    if let Some(n) = strip(rest, &["لل"]) {
        return &rest[n..];
    }
    if let Some(n) = strip(rest, &["ب", "ل", "ك"]) {
        rest = &rest[n..];
    }
    if let Some(n) = strip(rest, &["ال"]) {
        rest = &rest[n..];
    }
    rest
}

/// A feature that a token does not have (a template that does not apply
/// to it): never given weights, so models trained before the template
/// existed are trained and read exactly as before.
const ABSENT: u64 = 0;

/// Feature templates (the numbers mixed into the hashes; never reuse one).
mod template {
    pub const BIAS: u64 = 1;
    pub const WORD: u64 = 2;
    pub const LOWER: u64 = 3;
    pub const SHAPE: u64 = 4;
    pub const PREFIX: u64 = 5; // + 0..3
    pub const SUFFIX: u64 = 10; // + 0..4
    pub const STEM: u64 = 15;
    pub const LOWER_BEFORE: u64 = 16;
    pub const LOWER_AFTER: u64 = 17;
    pub const LOWER_BEFORE_2: u64 = 18;
    pub const LOWER_AFTER_2: u64 = 19;
    pub const SHAPE_BEFORE: u64 = 20;
    pub const SHAPE_AFTER: u64 = 21;
    pub const SHAPES_AROUND: u64 = 22;
    pub const BIGRAM_BEFORE: u64 = 23;
    pub const BIGRAM_AFTER: u64 = 24;
    pub const FIRST_SHAPE: u64 = 25;
    pub const STEM_BEFORE: u64 = 26;
    pub const STEM_AFTER: u64 = 27;
    pub const SUFFIX3_BEFORE: u64 = 28;
    pub const SEEN_CAPITALIZED: u64 = 29;
    // 30 to 34 were affixes of Arabic stems (tried, not kept).
    pub const DOCUMENT_KIND: u64 = 35;
    pub const DOCUMENT_KIND_LABEL_BEFORE: u64 = 36;
    pub const NAME_LIST: u64 = 37;
    pub const NAME_LIST_BEFORE: u64 = 38;
    pub const NAME_LIST_AFTER: u64 = 39;
    pub const LABEL_BEFORE: u64 = 40;
    pub const LABELS_BEFORE: u64 = 41;
    pub const LABEL_BEFORE_LOWER: u64 = 42;
    pub const LABEL_BEFORE_SHAPE: u64 = 43;
}

/// Features of a token's own word, but for [`seen_feature`]; the bias
/// first (tagging adds it with the labels' features, see `Model::by_labels`).
fn own_features(w: &Word) -> [u64; 12] {
    use template::*;
    [
        BIAS,
        mix(WORD, w.word),
        mix(LOWER, w.lower),
        own_shape_feature(w.shape),
        mix(PREFIX, w.prefix[0]),
        mix(PREFIX + 1, w.prefix[1]),
        mix(PREFIX + 2, w.prefix[2]),
        mix(SUFFIX, w.suffix[0]),
        mix(SUFFIX + 1, w.suffix[1]),
        mix(SUFFIX + 2, w.suffix[2]),
        mix(SUFFIX + 3, w.suffix[3]),
        mix(STEM, w.stem),
    ]
}

/// Features of the kind of name (1 PER … 4 MISC) the token's word was
/// tagged earlier in its document, alone and with the label before: a
/// surname repeated after the full name, a name first seen after a title.
/// Absent when the word was not tagged a name before.
fn memory_features(kind_seen: Option<usize>, before: usize) -> [u64; 2] {
    use template::*;
    match kind_seen {
        Some(kind) => [
            mix(DOCUMENT_KIND, kind as u64),
            mix(DOCUMENT_KIND_LABEL_BEFORE, mix(kind as u64, before as u64)),
        ],
        None => [ABSENT; 2],
    }
}

/// Whether the token's word is written with a capital elsewhere in its
/// document, with its shape (the document decides this one, not the word).
fn seen_feature(shape: u64, seen: bool) -> u64 {
    mix(template::SEEN_CAPITALIZED, mix(u64::from(seen), shape))
}

/// Known first names and surnames (`data/person_names.tsv`, generated by
/// `tools/gen_person_names.py`), by the hash of their lower case: class 1 a
/// first name, 2 a surname, 3 both. A surname alone (`Kolb war seit 1986`)
/// looks like any capitalized noun to the other features.
static NAME_LIST: LazyLock<FxHashMap<u64, u8>> = LazyLock::new(|| {
    let mut buffer = String::new();
    include_str!("../../data/person_names.tsv")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (name, class) = line.split_once('\t')?;
            let class = match class {
                "first" => 1,
                "surname" => 2,
                "both" => 3,
                _ => return None,
            };
            lower_case_into(name, &mut buffer);
            Some((xxh3_64(buffer.as_bytes()), class))
        })
        .collect()
});

/// The class of a word's lower case in [`NAME_LIST`], 0 if not listed.
fn name_class(lower: u64) -> u8 {
    NAME_LIST.get(&lower).copied().unwrap_or(0)
}

/// Features of a listed word's class, by its place: its own (with its
/// shape: `Koch` the surname, `koch` the verb), just before the token
/// tagged and just after it (a first name before a surname). Only for a
/// word with a class (models trained without the list have none).
fn name_list_features(w: &Word) -> [u64; 3] {
    use template::*;
    let class = u64::from(w.listed);
    [
        mix(NAME_LIST, mix(class, w.shape)),
        mix(NAME_LIST_BEFORE, class),
        mix(NAME_LIST_AFTER, class),
    ]
}

/// Features of the word just before a token.
fn before_features(b1: &Word) -> [u64; 4] {
    use template::*;
    [
        mix(LOWER_BEFORE, b1.lower),
        shape_before_feature(b1.shape),
        mix(STEM_BEFORE, b1.stem),
        mix(SUFFIX3_BEFORE, b1.suffix[2]),
    ]
}

/// Features of the word just after a token.
fn after_features(a1: &Word) -> [u64; 3] {
    use template::*;
    [
        mix(LOWER_AFTER, a1.lower),
        shape_after_feature(a1.shape),
        mix(STEM_AFTER, a1.stem),
    ]
}

/// The features of a word's shape, by its place (its own, the word
/// before a token, the word after): alike for every word of a shape,
/// summed once a shape (`Model::shape_scores`).
fn own_shape_feature(shape: u64) -> u64 {
    mix(template::SHAPE, shape)
}

fn shape_before_feature(shape: u64) -> u64 {
    mix(template::SHAPE_BEFORE, shape)
}

fn shape_after_feature(shape: u64) -> u64 {
    mix(template::SHAPE_AFTER, shape)
}

fn before_2_features(b2: &Word) -> [u64; 1] {
    [mix(template::LOWER_BEFORE_2, b2.lower)]
}

fn after_2_features(a2: &Word) -> [u64; 1] {
    [mix(template::LOWER_AFTER_2, a2.lower)]
}

/// The two hashed forms of a word that features of word pairs and of labels
/// with words use (the rest only serve the scores of a word type).
#[derive(Debug, Clone, Copy)]
struct Form {
    lower: u64,
    shape: u64,
    /// The word without Arabic clitics (the lower case in other scripts).
    stem: u64,
}

impl Word {
    fn form(&self) -> Form {
        Form {
            lower: self.lower,
            shape: self.shape,
            stem: self.stem,
        }
    }
}

/// Features of a token with its neighbours together, and its position.
fn pair_features(b1: Form, w: Form, a1: Form, first: bool) -> [u64; 4] {
    let [shapes_around, first_shape] = shape_features(b1, w, a1, first);
    let [bigram_before, bigram_after] = bigram_features(b1, w, a1);
    [shapes_around, bigram_before, bigram_after, first_shape]
}

/// The [`pair_features`] of the shapes (tagging looks their sums up once a
/// document).
fn shape_features(b1: Form, w: Form, a1: Form, first: bool) -> [u64; 2] {
    use template::*;
    [
        mix(SHAPES_AROUND, mix(mix(b1.shape, w.shape), a1.shape)),
        mix(FIRST_SHAPE, mix(u64::from(first), w.shape)),
    ]
}

/// The [`pair_features`] of the words.
fn bigram_features(b1: Form, w: Form, a1: Form) -> [u64; 2] {
    use template::*;
    [
        mix(BIGRAM_BEFORE, mix(b1.lower, w.lower)),
        mix(BIGRAM_AFTER, mix(w.lower, a1.lower)),
    ]
}

/// The word `k` places from `i` in a sentence, or a boundary.
fn word_at(words: &[Word], i: usize, k: isize) -> &Word {
    let j = i as isize + k;
    if j < 0 {
        &BOUNDARY_BEFORE
    } else {
        words.get(j as usize).unwrap_or(&BOUNDARY_AFTER)
    }
}

/// Every feature that depends on the words only (not on labels given).
fn static_features(words: &[Word], i: usize, first: bool, seen: bool) -> Vec<u64> {
    let at = |k| word_at(words, i, k);
    let mut out = Vec::with_capacity(26);
    out.extend(own_features(at(0)));
    out.push(seen_feature(at(0).shape, seen));
    out.extend(before_features(at(-1)));
    out.extend(after_features(at(1)));
    out.extend(before_2_features(at(-2)));
    out.extend(after_2_features(at(2)));
    out.extend(pair_features(
        at(-1).form(),
        at(0).form(),
        at(1).form(),
        first,
    ));
    for (place, k) in [(0, 0), (1, -1), (2, 1)] {
        if at(k).listed != 0 {
            out.push(name_list_features(at(k))[place]);
        }
    }
    out
}

/// Features of the labels of the two tokens before.
fn label_features(before: usize, before_2: usize) -> [u64; 2] {
    use template::*;
    let (b, b2) = (before as u64, before_2 as u64);
    [mix(LABEL_BEFORE, b), mix(LABELS_BEFORE, mix(b2, b))]
}

/// Features of the label before with the token's word.
fn label_word_features(w: Form, before: usize) -> [u64; 2] {
    use template::*;
    let b = before as u64;
    [
        mix(LABEL_BEFORE_LOWER, mix(b, w.lower)),
        mix(LABEL_BEFORE_SHAPE, mix(b, w.shape)),
    ]
}

/// Every feature that depends on the labels given before.
fn history_features(w: &Word, before: usize, before_2: usize) -> [u64; 4] {
    let [a, b] = label_features(before, before_2);
    let [c, d] = label_word_features(w.form(), before);
    [a, b, c, d]
}

/// The hashed words of a sentence, with for each whether its lower case is
/// seen capitalized somewhere else than at a sentence start in its document
/// (a name at the start of a sentence or in an all-capital headline).
struct Sentence {
    words: Vec<Word>,
    seen: Vec<bool>,
}

impl Sentence {
    fn new(tokens: &[&str], capitalized: &rustc_hash::FxHashSet<u64>, name_list: bool) -> Self {
        let mut buffer = String::new();
        let words: Vec<Word> = tokens
            .iter()
            .map(|t| {
                let mut word = Word::new(t, &mut buffer);
                if name_list {
                    word.listed = name_class(word.lower);
                }
                word
            })
            .collect();
        let seen = words
            .iter()
            .map(|w| capitalized.contains(&w.lower))
            .collect();
        Self { words, seen }
    }
}

/// The weights of one kind of feature group of a word, summed.
type Scores = [i32; N];

/// A word type's summed weights, by the place it has relative to the token
/// being tagged: most features belong to one word, so a document's tagging
/// looks each word type up once, not once per occurrence.
#[derive(Clone, Copy)]
struct TypeScores {
    own: Scores,
    before: Scores,
    after: Scores,
    before_2: Scores,
    after_2: Scores,
}

/// The summed weights of the features of a word's shape alone, by the
/// place the word has (its own shape, the shape before and after a token),
/// with the shape's hash: a document's word types have few shapes, looked
/// up once a shape rather than once a type.
#[derive(Clone, Copy)]
struct ShapeScores {
    hash: u64,
    own: Scores,
    before: Scores,
    after: Scores,
}

/// Word types scored for earlier documents, kept by each thread (news
/// repeats its words: most of an article's types were scored before).
/// Bounded: emptied when full, so a thread holds at most
/// [`TYPE_CACHE_CAPACITY`] types (about 6 MB).
struct TypeCache {
    /// By the hash of the model's number and the word.
    entries: FxHashMap<u64, (Form, TypeScores)>,
    /// The shapes of the types, by the model's number and the shape (never
    /// more of them than of types).
    shapes: FxHashMap<(u64, (u128, usize)), ShapeScores>,
    /// Room for a word's lower case, kept between words.
    lower_buffer: String,
}

const TYPE_CACHE_CAPACITY: usize = 30_000;

thread_local! {
    static TYPE_CACHE: std::cell::RefCell<TypeCache> = std::cell::RefCell::new(TypeCache {
        entries: FxHashMap::default(),
        shapes: FxHashMap::default(),
        lower_buffer: String::new(),
    });
}

impl TypeCache {
    /// The form and scores of `token`, whose hash (`xxh3_64`) is `hash`.
    fn scores(&mut self, model: &Model, token: &str, hash: u64) -> (Form, TypeScores) {
        if self.entries.len() >= TYPE_CACHE_CAPACITY {
            self.clear();
        }
        // One search of the map for a type found and for one scored now.
        match self.entries.entry(mix(model.number, hash)) {
            std::collections::hash_map::Entry::Occupied(found) => *found.get(),
            std::collections::hash_map::Entry::Vacant(room) => {
                let shape = shape_of(token);
                let shaped = *self
                    .shapes
                    .entry((model.number, shape.key()))
                    .or_insert_with(|| model.shape_scores(xxh3_64(shape.classes())));
                let mut word = Word::with_hashes(token, hash, shaped.hash, &mut self.lower_buffer);
                if model.name_list {
                    word.listed = name_class(word.lower);
                }
                *room.insert((word.form(), model.word_scores(&word, &shaped)))
            }
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.shapes.clear();
    }
}

/// Empties this thread's cache of scored word types (benchmarks measure
/// an article's cost with and without it).
pub fn clear_type_cache() {
    TYPE_CACHE.with_borrow_mut(TypeCache::clear);
}

/// Numbers models so that cached scores of one are never taken for another's.
static MODEL_NUMBERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The lower cases of the words that start with a capital letter somewhere
/// other than at the start of a sentence, in a document of tokenized sentences.
pub fn capitalized_words(sentences: &[Vec<&str>]) -> rustc_hash::FxHashSet<u64> {
    let mut out = rustc_hash::FxHashSet::default();
    let mut buffer = String::new();
    for sentence in sentences {
        for i in 0..sentence.len() {
            if capitalized_at(sentence, i) {
                lower_case_into(sentence[i], &mut buffer);
                out.insert(xxh3_64(buffer.as_bytes()));
            }
        }
    }
    out
}

/// Whether token `i` of a sentence is written with a capital where the
/// capital says it is a name ([`capitalized_words`]): not first in the
/// sentence, not after opening punctuation, not all in capitals.
fn capitalized_at(sentence: &[&str], i: usize) -> bool {
    if i == 0 {
        return false;
    }
    let mut chars = sentence[i].chars();
    // The capital first: most words have none (no Arabic word has),
    // and the test of the word before is the dearer one.
    if !chars.next().is_some_and(char::is_uppercase) {
        return false;
    }
    let after_opening = !sentence[i - 1].chars().any(char::is_alphanumeric);
    // An all-capital word says nothing (headlines, acronyms).
    !after_opening && chars.any(char::is_lowercase)
}

/// A trained tagger: nine integer weights per feature.
#[derive(Debug)]
pub struct Model {
    weights: Weights,
    /// This model's number, unique in the process (see [`TypeCache`]).
    number: u64,
    /// The summed weights of the features of the labels alone (the label
    /// before, the two before), by label (`N` = sentence start), with the
    /// bias (every token's): looked up once when the model is read, not for
    /// every token.
    by_labels: Vec<Scores>,
    /// The summed weights of [`memory_features`], by the kind the word was
    /// tagged earlier in the document and the label before; empty for a
    /// model trained without them, which then keeps no memory at all.
    by_memory: Vec<Scores>,
    /// Whether the model was trained with [`name_list_features`] (then
    /// each word type is looked up in [`NAME_LIST`]).
    name_list: bool,
    /// The entries of the one-character prefixes, by character
    /// ([`one_char_rows`]): every word type has one, and a table spares
    /// hashing it and searching the weights for it.
    by_first_char: Box<[u32]>,
    /// The entries of the one-character suffixes, by character.
    by_last_char: Box<[u32]>,
    /// The entries of the two-character prefixes and suffixes of two
    /// letters of one alphabet, by their [`letter_pair_number`].
    by_first_two: Box<[u32]>,
    by_last_two: Box<[u32]>,
}

/// A model file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a newsflow NER model (bad magic bytes)")]
    Magic,
    #[error("model file truncated: {0} bytes, expected {1}")]
    Truncated(usize, usize),
    #[error("model entries not in increasing order of feature key: entry {0} is out of place")]
    Unsorted(usize),
}

const MAGIC: &[u8; 8] = b"NFNER\x01\x09\x00";
/// Bytes of one entry of a model file: the feature key, then one weight per label.
const ENTRY_BYTES: usize = 8 + 2 * N;

/// One entry of a model file, as its bytes.
type Entry = [u8; ENTRY_BYTES];

/// A model's weights kept as its file lays them out (entries sorted by
/// feature key) and read in place, with an index of where each range of
/// keys starts. The shipped models are compiled into the binary, so their
/// weights take no heap at all but the index: held in a hash map from key
/// to row, they took about twice their file's size in heap besides the
/// file's bytes (`examples/model_memory.rs` measures it).
#[derive(Debug)]
struct Weights {
    /// The entries, sorted by key (whole entries: a lookup steps over
    /// them without computing byte offsets or checking each one's length).
    entries: Cow<'static, [Entry]>,
    /// For each bucket of keys (keys sharing their top bits), the number
    /// of its first entry; then the number of entries.
    starts: Vec<u32>,
    /// 64 minus the number of top bits that name a key's bucket (1 to 63).
    shift: u32,
    /// Which keys may be present: two bits a key, both in one 64-bit word,
    /// about eight bits a key (see [`filter_word`]). Most features looked
    /// up are not in the model; this small table, which stays in the CPU's
    /// cache, turns away nearly all of them (about 5 % pass falsely)
    /// without reading the index and the entries, which do not.
    filter: Vec<u64>,
}

/// Where `key` sits in a [`Weights`] filter of `words` words (a power of
/// two): the word (from the key's low bits; its top bits name its bucket)
/// and the two bits set in it.
fn filter_word(key: u64, words: usize) -> (usize, u64) {
    let word = (key as usize) & (words - 1);
    let bits = (1 << ((key >> 32) & 63)) | (1 << ((key >> 38) & 63));
    (word, bits)
}

impl Weights {
    /// Indexes `entries` (whole entries, checked by the caller).
    fn new(entries: Cow<'static, [Entry]>) -> Result<Self, ModelError> {
        let count = entries.len();
        // One or two entries a bucket: a lookup compares a key or two, and
        // the index costs about two bytes an entry.
        // At least two buckets, so that the shift is below 64.
        let bits = count
            .div_ceil(2)
            .next_power_of_two()
            .trailing_zeros()
            .max(1);
        let shift = 64 - bits;
        let buckets = 1usize << bits;
        let mut starts = Vec::with_capacity(buckets + 1);
        let mut previous = None;
        for (i, entry) in entries.iter().enumerate() {
            let (key, _) = split_entry(entry);
            if previous.is_some_and(|p| p >= key) {
                return Err(ModelError::Unsorted(i));
            }
            previous = Some(key);
            let bucket = bucket_of(key, shift);
            while starts.len() <= bucket {
                starts.push(i as u32);
            }
        }
        starts.resize(buckets + 1, count as u32);
        let mut filter = vec![0u64; count.div_ceil(8).next_power_of_two()];
        for entry in entries.iter() {
            let (word, bits) = filter_word(split_entry(entry).0, filter.len());
            filter[word] |= bits;
        }
        Ok(Self {
            entries,
            starts,
            shift,
            filter,
        })
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The weights of feature `key`, as little-endian bytes, if it has any.
    fn row(&self, key: u64) -> Option<&[u8; 2 * N]> {
        let (word, bits) = filter_word(key, self.filter.len());
        if self.filter[word] & bits != bits {
            return None;
        }
        let bucket = bucket_of(key, self.shift);
        let (&from, &to) = (self.starts.get(bucket)?, self.starts.get(bucket + 1)?);
        for entry in self.entries.get(from as usize..to as usize)? {
            let (entry_key, weights) = split_entry(entry);
            // Keys are in order: past `key`, it is not there (most features
            // looked up are not).
            if entry_key >= key {
                return (entry_key == key).then_some(weights);
            }
        }
        None
    }

    /// The number of the entry of feature `key`, if it has one.
    fn position(&self, key: u64) -> Option<usize> {
        let bucket = bucket_of(key, self.shift);
        let (&from, &to) = (self.starts.get(bucket)?, self.starts.get(bucket + 1)?);
        (from as usize..to as usize).find(|&n| split_entry(&self.entries[n]).0 == key)
    }

    /// The weights of entry `n`, as little-endian bytes.
    fn row_at(&self, n: usize) -> &[u8; 2 * N] {
        split_entry(&self.entries[n]).1
    }
}

/// A model's entry numbers of the features of one template with each of
/// `values` (hashes): one more than the entry's number, 0 where the
/// feature has no weights.
fn rows_of(weights: &Weights, template: u64, values: impl Iterator<Item = u64>) -> Box<[u32]> {
    values
        .map(|value| {
            let key = mix(template, value);
            weights.position(key).map_or(0, |n| n as u32 + 1)
        })
        .collect()
}

/// [`rows_of`] the characters below [`ONE_CHAR_TABLE_END`].
fn one_char_rows(weights: &Weights, template: u64) -> Box<[u32]> {
    let chars = (0..ONE_CHAR_TABLE_END).map(|u| char::from_u32(u).map_or(0, char_hash));
    rows_of(weights, template, chars)
}

/// [`rows_of`] the [`letter_pair_number`]s.
fn letter_pair_rows(weights: &Weights, template: u64) -> Box<[u32]> {
    rows_of(weights, template, (0..LETTER_PAIRS).map(letter_pair_hash))
}

/// Adds each of `parts` to `total`. Not inlined: its own body adds the nine
/// weights as two vectors of four and one, where inlined into the tagging
/// loop they were added (and stored) one at a time.
#[inline(never)]
fn add_all(total: &mut Scores, parts: &[&Scores]) {
    for part in parts {
        for (t, p) in total.iter_mut().zip(part.iter()) {
            *t += p;
        }
    }
}

/// Adds one row of weights (little-endian bytes) to `scores`.
fn add_row(scores: &mut Scores, row: &[u8; 2 * N]) {
    for (s, w) in scores.iter_mut().zip(row.as_chunks::<2>().0) {
        *s += i32::from(i16::from_le_bytes(*w));
    }
}

/// An entry's feature key and weights.
fn split_entry(entry: &Entry) -> (u64, &[u8; 2 * N]) {
    let (key, weights) = entry.split_at(8);
    (
        u64::from_le_bytes(key.try_into().expect("8 key bytes")),
        weights.try_into().expect("the rest are the weights"),
    )
}

fn bucket_of(key: u64, shift: u32) -> usize {
    (key >> shift) as usize
}

/// The entries of a model file, after its header.
fn entries_of(bytes: &[u8]) -> Result<&[Entry], ModelError> {
    let body = bytes.strip_prefix(MAGIC).ok_or(ModelError::Magic)?;
    if body.len() < 4 {
        return Err(ModelError::Truncated(bytes.len(), MAGIC.len() + 4));
    }
    let count = u32::from_le_bytes(body[..4].try_into().expect("4 bytes")) as usize;
    let entries = &body[4..];
    if entries.len() != count * ENTRY_BYTES {
        return Err(ModelError::Truncated(
            bytes.len(),
            MAGIC.len() + 4 + count * ENTRY_BYTES,
        ));
    }
    Ok(entries.as_chunks().0)
}

impl Model {
    fn with_weights(weights: FxHashMap<u64, [i16; N]>) -> Self {
        let mut keys: Vec<u64> = weights.keys().copied().collect();
        keys.sort_unstable();
        let entries: Vec<Entry> = keys
            .into_iter()
            .map(|key| {
                let mut entry = [0; ENTRY_BYTES];
                let (key_bytes, rest) = entry.split_at_mut(8);
                key_bytes.copy_from_slice(&key.to_le_bytes());
                for (bytes, w) in rest.chunks_exact_mut(2).zip(weights[&key]) {
                    bytes.copy_from_slice(&w.to_le_bytes());
                }
                entry
            })
            .collect();
        Self::from_entries(Cow::Owned(entries)).expect("keys sorted just above")
    }

    fn from_entries(entries: Cow<'static, [Entry]>) -> Result<Self, ModelError> {
        let mut model = Self {
            weights: Weights::new(entries)?,
            number: MODEL_NUMBERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            by_labels: Vec::new(),
            by_memory: Vec::new(),
            name_list: false,
            by_first_char: Box::default(),
            by_last_char: Box::default(),
            by_first_two: Box::default(),
            by_last_two: Box::default(),
        };
        model.by_first_char = one_char_rows(&model.weights, template::PREFIX);
        model.by_last_char = one_char_rows(&model.weights, template::SUFFIX);
        model.by_first_two = letter_pair_rows(&model.weights, template::PREFIX + 1);
        model.by_last_two = letter_pair_rows(&model.weights, template::SUFFIX + 1);
        let mut by_labels = vec![[0; N]; (N + 1) * (N + 1)];
        for before_2 in 0..=N {
            for before in 0..=N {
                let scores = &mut by_labels[before_2 * (N + 1) + before];
                model.add(&[template::BIAS], scores);
                model.add(&label_features(before, before_2), scores);
            }
        }
        model.by_labels = by_labels;
        let mut by_memory = vec![[0; N]; KINDS.len() * (N + 1)];
        for kind in 0..KINDS.len() {
            for before in 0..=N {
                let scores = &mut by_memory[kind * (N + 1) + before];
                model.add(&memory_features(Some(kind), before), scores);
            }
        }
        if by_memory.iter().any(|scores| *scores != [0; N]) {
            model.by_memory = by_memory;
        }
        model.name_list = (1..=3).any(|class| {
            [template::NAME_LIST_BEFORE, template::NAME_LIST_AFTER]
                .iter()
                .any(|&place| model.weights.row(mix(place, class)).is_some())
        });
        if model.name_list {
            // Read with the model, not on its first article (and counted
            // with it by `examples/model_memory.rs`).
            LazyLock::force(&NAME_LIST);
        }
        Ok(model)
    }

    /// Reads a model written by [`Model::to_bytes`] (copying its weights).
    ///
    /// # Errors
    /// When `bytes` is not such a model.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        Self::from_entries(Cow::Owned(entries_of(bytes)?.to_vec()))
    }

    /// Reads a model written by [`Model::to_bytes`] that lives as long as
    /// the process (a shipped one): its weights are read where they are.
    ///
    /// # Errors
    /// When `bytes` is not such a model.
    pub fn from_static(bytes: &'static [u8]) -> Result<Self, ModelError> {
        Self::from_entries(Cow::Borrowed(entries_of(bytes)?))
    }

    /// The model as bytes, entries sorted by key (the same model gives the same bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let entries = self.weights.entries.as_flattened();
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + entries.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        out.extend_from_slice(entries);
        out
    }

    /// Number of features with weights.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether the model has no weights.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The labels (indexes into [`LABELS`]) of the tokens of each sentence of
    /// a document (sentences are tagged together so that a word written
    /// with a capital elsewhere in the document is known as such).
    pub fn tag_document(&self, sentences: &[Vec<&str>]) -> Vec<Vec<usize>> {
        let remembers = !self.by_memory.is_empty();
        // The document's word types, each scored once (or found in the
        // thread's cache of types scored for earlier documents), after the
        // boundaries before and after a sentence (types `BEFORE` and
        // `AFTER`). Room for as many as there are tokens: grown by pushes,
        // the scores were copied over and over.
        let tokens: usize = sentences.iter().map(Vec::len).sum();
        let mut forms: Vec<Form> = Vec::with_capacity(tokens + 2);
        let mut scores: Vec<TypeScores> = Vec::with_capacity(tokens + 2);
        for boundary in [&BOUNDARY_BEFORE, &BOUNDARY_AFTER] {
            let mut boundary_scores = self.type_scores(boundary);
            self.add(
                &[seen_feature(boundary.shape, false)],
                &mut boundary_scores.own,
            );
            forms.push(boundary.form());
            scores.push(boundary_scores);
        }
        const BEFORE: u32 = 0;
        const AFTER: u32 = 1;
        // By the word's hash (the thread's cache takes a type's hash for
        // the type, too): comparing the words themselves costs more.
        let mut types: FxHashMap<u64, u32> =
            FxHashMap::with_capacity_and_hasher(tokens, Default::default());
        // The number of each type's stem among the document's stems, for
        // the memory of the kind each stem was last tagged (looked up once
        // a type, not once a token); none for the boundaries.
        let mut stems: FxHashMap<u64, u32> = FxHashMap::default();
        let mut stem_of_type: Vec<u32> = Vec::new();
        if remembers {
            // Room at once, as for the types: a map that grows step by
            // step rehashes every entry at each step.
            stems.reserve(tokens);
            stem_of_type.reserve(tokens + 2);
            stem_of_type.extend([u32::MAX, u32::MAX]);
        }
        // Each sentence's types between two boundaries on either side: the
        // words around a token are found without testing where it is.
        let mut ids: Vec<u32> = Vec::with_capacity(tokens + 4 * sentences.len());
        TYPE_CACHE.with_borrow_mut(|cache| {
            for sentence in sentences {
                ids.extend([BEFORE, BEFORE]);
                for &token in sentence {
                    let hash = xxh3_64(token.as_bytes());
                    let id = *types.entry(hash).or_insert_with(|| {
                        let (form, type_scores) = cache.scores(self, token, hash);
                        if remembers {
                            let next = stems.len() as u32;
                            stem_of_type.push(*stems.entry(form.stem).or_insert(next));
                        }
                        forms.push(form);
                        scores.push(type_scores);
                        (forms.len() - 1) as u32
                    });
                    ids.push(id);
                }
                ids.extend([AFTER, AFTER]);
            }
        });
        // The words written with a capital elsewhere, by the lower case
        // their type has hashed already ([`capitalized_words`]).
        let mut capitalized =
            rustc_hash::FxHashSet::with_capacity_and_hasher(forms.len(), Default::default());
        let mut padded = ids.as_slice();
        for sentence in sentences {
            let (this, rest) = padded.split_at(sentence.len() + 4);
            padded = rest;
            for (i, &token) in this[2..this.len() - 2].iter().enumerate() {
                if capitalized_at(sentence, i) {
                    capitalized.insert(forms[token as usize].lower);
                }
            }
        }
        let mut seen_scores: FxHashMap<(u64, bool), Scores> = FxHashMap::default();
        for (form, type_scores) in forms.iter().zip(&mut scores).skip(2) {
            let seen = capitalized.contains(&form.lower);
            let seen_part = seen_scores.entry((form.shape, seen)).or_insert_with(|| {
                let mut part = [0; N];
                self.add(&[seen_feature(form.shape, seen)], &mut part);
                part
            });
            for (t, p) in type_scores.own.iter_mut().zip(seen_part.iter()) {
                *t += p;
            }
        }
        // Features of word shapes and labels only recur all through a
        // document: their sums are looked up once, by the shapes of the
        // token and of the words beside it and the label before (which
        // also says whether the token starts its sentence).
        // (Room for a few hundred: the shapes of a long document do not
        // make many more.)
        let mut shape_scores: FxHashMap<(u64, u64, u64, usize), Scores> =
            FxHashMap::with_capacity_and_hasher(tokens.min(256), Default::default());
        // The kind each stem was last tagged in this document (0: not a name).
        let mut memory: Vec<u8> = vec![0; stems.len()];
        let mut padded = ids.as_slice();
        sentences
            .iter()
            .map(|sentence| {
                let (this, rest) = padded.split_at(sentence.len() + 4);
                padded = rest;
                let mut labels = Vec::with_capacity(sentence.len());
                for (i, window) in this.windows(5).enumerate() {
                    let [b2, b1, token, a1, a2] = [0, 1, 2, 3, 4].map(|k| window[k] as usize);
                    let (b1_form, w, a1_form) = (forms[b1], forms[token], forms[a1]);
                    let mut total = scores[token].own;
                    let (before, before_2) = previous_labels(&labels, i);
                    let [bigram_before, bigram_after] = bigram_features(b1_form, w, a1_form);
                    let [label_lower, _] = label_word_features(w, before);
                    self.add(&[bigram_before, bigram_after, label_lower], &mut total);
                    let first = i == 0;
                    let shape_part = shape_scores
                        .entry((b1_form.shape, w.shape, a1_form.shape, before))
                        .or_insert_with(|| {
                            let [shapes_around, first_shape] =
                                shape_features(b1_form, w, a1_form, first);
                            let [_, label_shape] = label_word_features(w, before);
                            let mut part = [0; N];
                            self.add(&[shapes_around, first_shape, label_shape], &mut part);
                            part
                        });
                    let stem = if remembers {
                        stem_of_type[token] as usize
                    } else {
                        0
                    };
                    let by_labels = &self.by_labels[before_2 * (N + 1) + before];
                    let mut parts = [
                        &scores[b1].before,
                        &scores[a1].after,
                        &scores[b2].before_2,
                        &scores[a2].after_2,
                        &*shape_part,
                        by_labels,
                        by_labels,
                    ];
                    let count = if remembers && memory[stem] != 0 {
                        let kind = usize::from(memory[stem]);
                        parts[6] = &self.by_memory[kind * (N + 1) + before];
                        7
                    } else {
                        6
                    };
                    add_all(&mut total, &parts[..count]);
                    let label = best(&total, before);
                    if label != 0 && remembers {
                        memory[stem] = kind_of(label) as u8;
                    }
                    labels.push(label);
                }
                labels
            })
            .collect()
    }

    /// The summed weights of a word's features, by its place relative to
    /// the token tagged (but for the document's [`seen_feature`], and the
    /// bias, which every token has: it is in `by_labels`).
    fn type_scores(&self, word: &Word) -> TypeScores {
        self.word_scores(word, &self.shape_scores(word.shape))
    }

    /// [`Model::type_scores`], with the sums of the features of the word's
    /// shape alone found already ([`Model::shape_scores`]).
    fn word_scores(&self, word: &Word, shaped: &ShapeScores) -> TypeScores {
        let [
            _bias,
            word_feature,
            lower,
            _shape,
            prefix_1,
            prefix_2,
            prefix_3,
            suffix_1,
            suffix_2,
            suffix_3,
            suffix_4,
            stem,
        ] = own_features(word);
        let mut own = shaped.own;
        self.add(
            &[word_feature, lower, prefix_3, suffix_3, suffix_4, stem],
            &mut own,
        );
        let (first, last) = word.ends.unzip();
        for (table, place, feature) in [
            (&self.by_first_char, first.map(|c| c as usize), prefix_1),
            (&self.by_last_char, last.map(|c| c as usize), suffix_1),
            (&self.by_first_two, word.first_two, prefix_2),
            (&self.by_last_two, word.last_two, suffix_2),
        ] {
            match place.and_then(|place| table.get(place)) {
                Some(0) => {}
                Some(&n) => add_row(&mut own, self.weights.row_at(n as usize - 1)),
                None => self.add(&[feature], &mut own),
            }
        }
        let [lower_before, _shape_before, stem_before, suffix_before] = before_features(word);
        let [lower_after, _shape_after, stem_after] = after_features(word);
        let mut scores = TypeScores {
            own,
            before: shaped.before,
            after: shaped.after,
            before_2: [0; N],
            after_2: [0; N],
        };
        self.add(
            &[lower_before, stem_before, suffix_before],
            &mut scores.before,
        );
        self.add(&[lower_after, stem_after], &mut scores.after);
        self.add(&before_2_features(word), &mut scores.before_2);
        self.add(&after_2_features(word), &mut scores.after_2);
        if word.listed != 0 {
            let [own, before, after] = name_list_features(word);
            self.add(&[own], &mut scores.own);
            self.add(&[before], &mut scores.before);
            self.add(&[after], &mut scores.after);
        }
        scores
    }

    /// The summed weights of the features of a word's shape alone, by the
    /// word's place, for the shape whose hash is `shape`.
    fn shape_scores(&self, shape: u64) -> ShapeScores {
        let sum = |feature: u64| {
            let mut scores = [0; N];
            self.add(&[feature], &mut scores);
            scores
        };
        ShapeScores {
            hash: shape,
            own: sum(own_shape_feature(shape)),
            before: sum(shape_before_feature(shape)),
            after: sum(shape_after_feature(shape)),
        }
    }

    fn add(&self, features: &[u64], scores: &mut Scores) {
        for f in features {
            if let Some(row) = self.weights.row(*f) {
                add_row(scores, row);
            }
        }
    }
}

fn previous_labels(labels: &[usize], i: usize) -> (usize, usize) {
    let before = if i >= 1 { labels[i - 1] } else { N };
    let before_2 = if i >= 2 { labels[i - 2] } else { N };
    (before, before_2)
}

/// The best-scoring label allowed after `before` (`N` = sentence start):
/// IOB2, `I-X` only after `B-X` or `I-X`.
fn best<T: PartialOrd + Copy>(scores: &[T; N], before: usize) -> usize {
    let inside = if before == 0 || before == N {
        0
    } else {
        2 * kind_of(before)
    };
    let mut best = 0;
    for label in 1..N {
        if (!is_inside(label) || label == inside) && scores[label] > scores[best] {
            best = label;
        }
    }
    best
}

/// One sentence of training data: tokens and their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledSentence {
    pub tokens: Vec<String>,
    pub labels: Vec<usize>,
    /// Sentences of one document share an id (for the capitalization feature).
    pub document: usize,
}

/// Settings of [`train`].
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    pub epochs: usize,
    /// Seed of the shuffle of the sentences before each epoch.
    pub seed: u64,
    /// Features whose largest averaged weight is below this are dropped.
    pub prune_below: f32,
    /// Learn [`memory_features`] (the kind a word was tagged earlier in its
    /// document): documents are then shuffled whole and their sentences
    /// tagged in order, as at run time.
    pub document_memory: bool,
    /// Learn [`name_list_features`] (whether a word and its neighbours are
    /// known first names or surnames).
    pub name_list: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            epochs: 10,
            seed: 1,
            prune_below: 1.0,
            document_memory: false,
            name_list: false,
        }
    }
}

#[derive(Clone, Copy)]
struct Row {
    weights: [f32; N],
    totals: [f32; N],
    stamps: [u32; N],
}

/// Trains a model on labelled sentences: averaged perceptron, greedy
/// decoding with the labels predicted so far (as at run time), sentences
/// shuffled before each epoch. `progress` hears after each epoch (epoch,
/// tokens tagged right in that epoch, tokens).
pub fn train(
    data: &[LabelledSentence],
    options: TrainOptions,
    mut progress: impl FnMut(usize, usize, usize),
) -> Model {
    // The hashed words of every sentence, with their document's capitalization.
    let mut by_document: FxHashMap<usize, Vec<Vec<&str>>> = FxHashMap::default();
    for s in data {
        by_document
            .entry(s.document)
            .or_default()
            .push(s.tokens.iter().map(String::as_str).collect());
    }
    let capitalized: FxHashMap<usize, rustc_hash::FxHashSet<u64>> = by_document
        .iter()
        .map(|(d, sentences)| (*d, capitalized_words(sentences)))
        .collect();
    let sentences: Vec<Sentence> = data
        .iter()
        .map(|s| {
            let tokens: Vec<&str> = s.tokens.iter().map(String::as_str).collect();
            Sentence::new(&tokens, &capitalized[&s.document], options.name_list)
        })
        .collect();

    let mut rows: FxHashMap<u64, Row> = FxHashMap::default();
    let mut step: u32 = 0;
    // What is shuffled before each epoch: single sentences, or whole
    // documents (their sentences in order) when words remember their kind.
    let units: Vec<std::ops::Range<usize>> = if options.document_memory {
        let mut units = Vec::new();
        let mut start = 0;
        for s in 1..=data.len() {
            if s == data.len() || data[s].document != data[start].document {
                units.push(start..s);
                start = s;
            }
        }
        units
    } else {
        (0..data.len()).map(|s| s..s + 1).collect()
    };
    let mut order: Vec<usize> = (0..units.len()).collect();
    let mut rng = options.seed.max(1);
    let mut memory: FxHashMap<u64, usize> = FxHashMap::default();
    for epoch in 0..options.epochs {
        shuffle(&mut order, &mut rng);
        let (mut right, mut total) = (0, 0);
        for s in order.iter().flat_map(|&u| units[u].clone()) {
            if s == 0 || data[s].document != data[s - 1].document {
                memory.clear();
            }
            let sentence = &sentences[s];
            let gold = &data[s].labels;
            let mut labels = Vec::with_capacity(gold.len());
            for (i, &truth) in gold.iter().enumerate() {
                step += 1;
                let statics = static_features(&sentence.words, i, i == 0, sentence.seen[i]);
                let (before, before_2) = previous_labels(&labels, i);
                let stem = sentence.words[i].stem;
                let mut history = history_features(&sentence.words[i], before, before_2).to_vec();
                if options.document_memory {
                    history.extend(memory_features(memory.get(&stem).copied(), before));
                }
                let mut scores = [0f32; N];
                for f in statics.iter().chain(&history) {
                    if let Some(row) = rows.get(f) {
                        for (s, w) in scores.iter_mut().zip(&row.weights) {
                            *s += w;
                        }
                    }
                }
                let guess = best(&scores, before);
                total += 1;
                if guess == truth {
                    right += 1;
                } else {
                    for f in statics.iter().chain(&history).filter(|&&f| f != ABSENT) {
                        let row = rows.entry(*f).or_insert(Row {
                            weights: [0.0; N],
                            totals: [0.0; N],
                            stamps: [0; N],
                        });
                        for (label, delta) in [(truth, 1.0), (guess, -1.0)] {
                            row.totals[label] +=
                                (step - row.stamps[label]) as f32 * row.weights[label];
                            row.stamps[label] = step;
                            row.weights[label] += delta;
                        }
                    }
                }
                if guess != 0 {
                    memory.insert(stem, kind_of(guess));
                }
                labels.push(guess);
            }
        }
        progress(epoch + 1, right, total);
    }
    average_and_quantize(rows, step, options.prune_below)
}

fn average_and_quantize(rows: FxHashMap<u64, Row>, step: u32, prune_below: f32) -> Model {
    let averaged: Vec<(u64, [f32; N])> = rows
        .into_iter()
        .map(|(key, row)| {
            let mut avg = [0f32; N];
            for (label, avg) in avg.iter_mut().enumerate() {
                let total =
                    row.totals[label] + (step - row.stamps[label]) as f32 * row.weights[label];
                *avg = total / step as f32;
            }
            (key, avg)
        })
        .collect();
    let largest = averaged
        .iter()
        .flat_map(|(_, w)| w.iter().map(|x| x.abs()))
        .fold(0f32, f32::max);
    if largest == 0.0 {
        return Model::with_weights(FxHashMap::default());
    }
    let scale = f32::from(i16::MAX) / largest;
    let mut weights = FxHashMap::default();
    for (key, avg) in averaged {
        if avg.iter().all(|w| w.abs() < prune_below) {
            continue;
        }
        let mut row = [0i16; N];
        for (q, w) in row.iter_mut().zip(avg) {
            *q = (w * scale).round() as i16;
        }
        if row.iter().any(|&q| q != 0) {
            weights.insert(key, row);
        }
    }
    Model::with_weights(weights)
}

/// Fisher–Yates with xorshift64: the same seed gives the same order everywhere.
fn shuffle(order: &mut [usize], state: &mut u64) {
    for i in (1..order.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let j = (*state % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(text: &str, document: usize) -> LabelledSentence {
        let (tokens, labels) = text
            .split_whitespace()
            .map(|pair| {
                let (token, label) = pair.split_once('/').unwrap_or((pair, "O"));
                (token.to_string(), label_index(label).unwrap())
            })
            .unzip();
        LabelledSentence {
            tokens,
            labels,
            document,
        }
    }

    /// IOB2: `I-X` only after `B-X` or `I-X`.
    fn allowed(previous: usize, label: usize) -> bool {
        !is_inside(label) || (previous != 0 && kind_of(previous) == kind_of(label))
    }

    #[test]
    fn the_best_label_is_the_best_allowed_one() {
        // Scores that put each label first, then ties (the first best wins).
        let mut all_scores: Vec<[i32; N]> = (0..N)
            .map(|top| std::array::from_fn(|label| if label == top { 9 } else { label as i32 }))
            .collect();
        all_scores.push([0; N]);
        all_scores.push([1, 5, 5, 5, 5, 5, 5, 5, 5]);
        all_scores.push([1, 2, 5, 2, 5, 2, 5, 2, 5]);
        for scores in all_scores {
            for before in 0..=N {
                let previous = if before == N { 0 } else { before };
                let mut expected = 0;
                for label in 1..N {
                    if allowed(previous, label) && scores[label] > scores[expected] {
                        expected = label;
                    }
                }
                assert_eq!(best(&scores, before), expected, "{scores:?} after {before}");
            }
        }
    }

    #[test]
    fn labels_and_kinds() {
        assert_eq!(kind_of(label_index("B-PER").unwrap()), 1);
        assert_eq!(kind_of(label_index("I-LOC").unwrap()), 3);
        assert!(is_inside(label_index("I-MISC").unwrap()));
        assert!(!allowed(0, label_index("I-PER").unwrap()));
        assert!(allowed(
            label_index("B-PER").unwrap(),
            label_index("I-PER").unwrap()
        ));
        assert!(!allowed(
            label_index("B-ORG").unwrap(),
            label_index("I-PER").unwrap()
        ));
    }

    #[test]
    fn a_model_learns_a_pattern_and_round_trips_through_bytes() {
        let data: Vec<LabelledSentence> = [
            "Minister Anna/B-PER Berg/I-PER visited Oslo/B-LOC today .",
            "Minister Olav/B-PER Lund/I-PER visited Bergen/B-LOC today .",
            "Minister Kari/B-PER Dahl/I-PER visited Tromsø/B-LOC today .",
            "the workers of Statoil/B-ORG visited Oslo/B-LOC today .",
            "the workers of Telenor/B-ORG visited Bergen/B-LOC today .",
        ]
        .iter()
        .enumerate()
        .map(|(d, s)| sentence(s, d))
        .collect();
        let options = TrainOptions {
            prune_below: 0.0,
            ..Default::default()
        };
        let model = train(&data, options, |_, _, _| {});
        let model = Model::from_bytes(&model.to_bytes()).unwrap();
        let tagged = model.tag_document(&[vec![
            "Minister", "Per", "Hansen", "visited", "Oslo", "today", ".",
        ]]);
        let names: Vec<&str> = tagged[0].iter().map(|&l| LABELS[l]).collect();
        assert_eq!(names, ["O", "B-PER", "I-PER", "O", "B-LOC", "O", "O"]);
    }

    #[test]
    fn cached_word_scores_never_change_a_result_nor_cross_models() {
        let train_on = |lines: &[&str]| {
            let data: Vec<LabelledSentence> = lines
                .iter()
                .enumerate()
                .map(|(d, s)| sentence(s, d))
                .collect();
            let options = TrainOptions {
                prune_below: 0.0,
                ..Default::default()
            };
            train(&data, options, |_, _, _| {})
        };
        let people = train_on(&[
            "Minister Anna/B-PER Berg/I-PER visited Oslo/B-LOC today .",
            "Minister Olav/B-PER Lund/I-PER visited Bergen/B-LOC today .",
        ]);
        let companies = train_on(&[
            "the workers of Minister/B-ORG visited Oslo/B-ORG today .",
            "the workers of Telenor/B-ORG visited Bergen/B-ORG today .",
        ]);
        let document = [vec![
            "Minister", "Per", "Hansen", "visited", "Oslo", "today", ".",
        ]];
        clear_type_cache();
        let people_cold = people.tag_document(&document);
        clear_type_cache();
        let companies_cold = companies.tag_document(&document);
        assert_ne!(
            people_cold, companies_cold,
            "the two models must disagree here"
        );
        // Both models' types are now cached: each still gives its own labels.
        assert_eq!(people.tag_document(&document), people_cold);
        assert_eq!(companies.tag_document(&document), companies_cold);
        assert_eq!(people.tag_document(&document), people_cold);
    }

    #[test]
    fn lower_case_through_the_table_is_the_unicode_lower_case() {
        let mut buffer = String::new();
        for c in (0..SHAPE_TABLE_END + 0x100).filter_map(char::from_u32) {
            for text in [format!("{c}"), format!("é{c}Ab{c}")] {
                lower_case_into(&text, &mut buffer);
                let expected: String = text.chars().flat_map(char::to_lowercase).collect();
                assert_eq!(buffer, expected, "{:?}", c);
            }
        }
    }

    #[test]
    fn bad_model_bytes_are_refused() {
        assert!(matches!(Model::from_bytes(b"nope"), Err(ModelError::Magic)));
        let mut bytes = Model::with_weights(FxHashMap::default()).to_bytes();
        bytes[8] = 3;
        assert!(matches!(
            Model::from_bytes(&bytes),
            Err(ModelError::Truncated(..))
        ));
        // Lookups rely on the entries' order, so a file out of order is refused.
        let mut weights = FxHashMap::default();
        weights.insert(5, [1; N]);
        weights.insert(9, [2; N]);
        let mut bytes = Model::with_weights(weights).to_bytes();
        let first = MAGIC.len() + 4;
        let (a, b) = bytes[first..].split_at_mut(ENTRY_BYTES);
        a.swap_with_slice(&mut b[..ENTRY_BYTES]);
        assert!(matches!(
            Model::from_bytes(&bytes),
            Err(ModelError::Unsorted(1))
        ));
    }

    #[test]
    fn the_filter_turns_away_nearly_every_absent_feature_of_a_shipped_model() {
        let model = crate::ner::model_for("en").expect("the English model ships");
        let weights = &model.weights;
        let passed = (0..100_000u64)
            .map(|n| mix(n, 0x5EED))
            .filter(|&key| {
                let (word, bits) = filter_word(key, weights.filter.len());
                weights.filter[word] & bits == bits
            })
            .count();
        // About eight bits a key, two of them asked: some 5 % pass.
        assert!(passed < 10_000, "{passed} of 100000 absent keys passed");
        // Every key present passes (no feature is ever lost).
        for entry in weights.entries.iter() {
            let (key, row) = split_entry(entry);
            assert_eq!(weights.row(key), Some(row), "key {key}");
        }
    }

    #[test]
    fn a_word_types_scores_are_the_sums_of_its_features_weights() {
        // The one-character tables and the shapes' sums must give what
        // looking up every feature of the word gives.
        let words = [
            "Washington",
            "the",
            "a",
            "ab",
            "a1",
            "Éa",
            "zé",
            "بي",
            "بa",
            "Ходом",
            "ёж",
            "жё",
            "É",
            "Éric",
            "İstanbul",
            "ß",
            "Koch",
            "NATO",
            "12,500",
            "وبالرئيس",
            "لداعش",
            "Москва",
            "日本",
            "x日",
            "",
        ];
        let sum = |model: &Model, features: &[u64]| {
            let mut scores = [0; N];
            for &f in features {
                if let Some(row) = model.weights.row(f) {
                    for (s, w) in scores.iter_mut().zip(row.as_chunks::<2>().0) {
                        *s += i32::from(i16::from_le_bytes(*w));
                    }
                }
            }
            scores
        };
        let parts = |t: TypeScores| [t.own, t.before, t.after, t.before_2, t.after_2];
        for lang in ["en", "ar", "de"] {
            let model = crate::ner::model_for(lang).expect("the model ships");
            clear_type_cache();
            for text in words {
                let mut word = Word::new(text, &mut String::new());
                let mut own = own_features(&word)[1..].to_vec();
                let mut before = before_features(&word).to_vec();
                let mut after = after_features(&word).to_vec();
                if model.name_list {
                    word.listed = name_class(word.lower);
                    if word.listed != 0 {
                        let [o, b, a] = name_list_features(&word);
                        own.push(o);
                        before.push(b);
                        after.push(a);
                    }
                }
                let expected = [
                    sum(model, &own),
                    sum(model, &before),
                    sum(model, &after),
                    sum(model, &before_2_features(&word)),
                    sum(model, &after_2_features(&word)),
                ];
                assert_eq!(parts(model.type_scores(&word)), expected, "{lang} {text}");
                let (_, cached) = TYPE_CACHE
                    .with_borrow_mut(|cache| cache.scores(model, text, xxh3_64(text.as_bytes())));
                assert_eq!(parts(cached), expected, "{lang} {text} (cached)");
            }
            for boundary in [BOUNDARY_BEFORE, BOUNDARY_AFTER] {
                let expected = sum(model, &own_features(&boundary)[1..]);
                assert_eq!(model.type_scores(&boundary).own, expected);
            }
        }
        for c in ['a', 'é', 'ب', 'ж', '日', '\u{7FF}', '\u{800}'] {
            assert_eq!(char_hash(c), xxh3_64(c.to_string().as_bytes()), "{c}");
        }
        let english = crate::ner::model_for("en").unwrap();
        assert!(english.by_first_char[usize::from(b'w')] != 0);
        assert!(english.by_last_two[last_letter_pair(b"played").unwrap()] != 0);
        for n in 0..LETTER_PAIRS {
            let pair: String = letter_pair(n).iter().collect();
            assert_eq!(first_letter_pair(pair.as_bytes()), Some(n), "{pair}");
            assert_eq!(last_letter_pair(pair.as_bytes()), Some(n), "{pair}");
            assert_eq!(letter_pair_hash(n), xxh3_64(pair.as_bytes()), "{pair}");
        }
        assert_eq!(letter_pair(0), ['a', 'a']);
        assert_eq!(
            first_letter_pair("بيت".as_bytes()),
            first_letter_pair("بي".as_bytes())
        );
        assert_eq!(
            last_letter_pair("ходом".as_bytes()),
            last_letter_pair("ом".as_bytes())
        );
        for no_pair in ["aB", "a", "", "éa", "aé", "бa", "日本", "ﻻا", "a1"] {
            assert_eq!(first_letter_pair(no_pair.as_bytes()), None, "{no_pair}");
            assert_eq!(last_letter_pair(no_pair.as_bytes()), None, "{no_pair}");
        }
    }

    #[test]
    fn weights_read_in_place_are_the_ones_written() {
        // Keys spread over the whole range and crowded at both ends, where
        // the index's first and last buckets are.
        let mut weights = FxHashMap::default();
        let mut state = 7u64;
        for n in 0..5_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let key = match n % 5 {
                0 => n,
                1 => u64::MAX - n,
                _ => state,
            };
            let mut row = [0i16; N];
            for (k, w) in row.iter_mut().enumerate() {
                *w = (key.rotate_left(k as u32 * 7) as i16) | 1;
            }
            weights.insert(key, row);
        }
        let bytes = Model::with_weights(weights.clone()).to_bytes();
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let model = Model::from_static(bytes).unwrap();
        assert_eq!(model.len(), weights.len());
        for (key, row) in &weights {
            let mut scores = [0; N];
            model.add(&[*key], &mut scores);
            assert_eq!(scores, row.map(i32::from), "key {key}");
        }
        for absent in [2u64, 3, u64::MAX - 2, 0x8000_0000_0000_0001] {
            if !weights.contains_key(&absent) {
                assert!(model.weights.row(absent).is_none(), "key {absent}");
            }
        }
        assert_eq!(Model::from_bytes(bytes).unwrap().to_bytes(), bytes);
        let empty = Model::with_weights(FxHashMap::default());
        assert!(empty.is_empty() && empty.weights.row(1).is_none());
    }

    /// Documents where `Rose` alone is a person only where the document
    /// named her before: the sentence itself cannot tell the two apart, nor
    /// can the capitalization feature (`Rose` is written with a capital
    /// inside a sentence in every document).
    fn rose_documents() -> Vec<LabelledSentence> {
        let mut data = Vec::new();
        for (d, first) in [
            "Minister Rose/B-PER Dahl/I-PER spoke in Oslo/B-LOC .",
            "the Rose garden grew in Oslo/B-LOC .",
            "Minister Rose/B-PER Lund/I-PER spoke in Bergen/B-LOC .",
            "the Rose garden grew in Bergen/B-LOC .",
            "Minister Rose/B-PER Berg/I-PER spoke in Tromsø/B-LOC .",
            "the Rose garden grew in Tromsø/B-LOC .",
        ]
        .iter()
        .enumerate()
        {
            data.push(sentence(first, d));
            let again = if first.contains("B-PER") {
                "Rose/B-PER spoke again ."
            } else {
                "Rose spoke again ."
            };
            data.push(sentence(again, d));
        }
        data
    }

    #[test]
    fn a_word_tagged_a_name_earlier_in_the_document_is_remembered() {
        let options = TrainOptions {
            prune_below: 0.0,
            document_memory: true,
            ..Default::default()
        };
        let model = train(&rose_documents(), options, |_, _, _| {});
        let second = |first: Vec<&'static str>| {
            let tagged = model.tag_document(&[first, vec!["Rose", "spoke", "again", "."]]);
            LABELS[tagged[1][0]]
        };
        assert_eq!(
            second(vec!["Minister", "Rose", "Holm", "spoke", "in", "Oslo", "."]),
            "B-PER"
        );
        assert_eq!(
            second(vec!["the", "Rose", "garden", "grew", "in", "Oslo", "."]),
            "O"
        );
    }

    #[test]
    fn without_document_memory_no_memory_feature_is_learned() {
        let options = TrainOptions {
            prune_below: 0.0,
            ..Default::default()
        };
        let model = train(&rose_documents(), options, |_, _, _| {});
        for kind in 0..KINDS.len() {
            for before in 0..=N {
                for key in memory_features(Some(kind), before) {
                    assert!(model.weights.row(key).is_none(), "kind {kind}");
                }
            }
        }
        assert!(model.weights.row(ABSENT).is_none());
        assert!(model.by_memory.is_empty());
    }

    #[test]
    fn the_name_list_is_read_with_its_classes() {
        let class = |name: &str| name_class(Word::new(name, &mut String::new()).lower);
        assert!(NAME_LIST.len() > 50_000);
        assert_eq!(class("Anna"), 1);
        assert_eq!(class("Kolb"), 2);
        assert_eq!(class("Holm"), 3);
        assert_eq!(class("KOLB"), 2, "looked up by the lower case");
        assert_eq!(class("Tisch"), 0);
    }

    /// Surnames alone before the same words as common nouns: only the
    /// list tells a surname the training never saw from a noun.
    fn surnames_and_nouns() -> Vec<LabelledSentence> {
        [
            "Brandt/B-PER war dort .",
            "Krause/B-PER war dort .",
            "Vogel/B-PER war dort .",
            "Lange/B-PER war dort .",
            "Zeit war dort .",
            "Stadt war dort .",
            "Ruhe war dort .",
            "Arbeit war dort .",
        ]
        .iter()
        .enumerate()
        .map(|(d, s)| sentence(s, d))
        .collect()
    }

    #[test]
    fn a_model_trained_with_the_name_list_takes_a_listed_surname_for_a_person() {
        let options = TrainOptions {
            prune_below: 0.0,
            name_list: true,
            ..Default::default()
        };
        let model = train(&surnames_and_nouns(), options, |_, _, _| {});
        let model = Model::from_bytes(&model.to_bytes()).unwrap();
        assert!(model.name_list);
        let first_label = |word: &'static str| {
            LABELS[model.tag_document(&[vec![word, "war", "dort", "."]])[0][0]]
        };
        assert_eq!(first_label("Dahl"), "B-PER");
        assert_eq!(first_label("Tisch"), "O");
    }

    #[test]
    fn without_the_name_list_no_name_list_feature_is_learned() {
        let options = TrainOptions {
            prune_below: 0.0,
            ..Default::default()
        };
        let model = train(&surnames_and_nouns(), options, |_, _, _| {});
        assert!(!model.name_list);
        let mut listed = Word::new("Brandt", &mut String::new());
        listed.listed = 2;
        for key in name_list_features(&listed) {
            assert!(model.weights.row(key).is_none());
        }
    }

    #[test]
    fn the_table_of_shape_classes_is_the_classes() {
        for u in 0x80..SHAPE_TABLE_END + 0x100 {
            if let Some(c) = char::from_u32(u) {
                assert_eq!(shape_class_by_table(c), shape_class(c), "U+{u:04X}");
            }
        }
        assert_eq!(shape_hash("Smith"), shape_hash("Jones"));
        assert_ne!(shape_hash("Smith"), shape_hash("smith"));
        assert_eq!(shape_hash("Éric"), shape_hash("Eric"));
        assert_eq!(shape_hash("١٢"), shape_hash("12"));
        for b in 0..128u8 {
            assert_eq!(
                ASCII_SHAPE_CLASSES[usize::from(b)],
                shape_class(char::from(b))
            );
        }
        // No more than two alike in a row, at most sixteen.
        assert_eq!(shape_hash("Washington"), xxh3_64(b"Xxx"));
        assert_eq!(shape_hash("12,500"), xxh3_64(b"dd,dd"));
        assert_eq!(shape_hash("Ébéniste"), xxh3_64(b"Xxx"));
        assert_eq!(
            shape_hash("aBcDeFgHiJkLmNoPqRsT"),
            xxh3_64(b"xXxXxXxXxXxXxXxX")
        );
    }

    #[test]
    fn arabic_clitics_are_peeled() {
        assert_eq!(strip_arabic_clitics("والرئيس"), "رئيس");
        assert_eq!(strip_arabic_clitics("لداعش"), "داعش");
        assert_eq!(strip_arabic_clitics("للرئيس"), "رئيس");
        assert_eq!(strip_arabic_clitics("بالعراق"), "عراق");
    }
}
