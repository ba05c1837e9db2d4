//! Keywords by YAKE (Campos et al., 2020): unsupervised, one document at a
//! time, with the ISO stopword list of the article's language (stop-words crate).
//!
//! Each word gets a score from its casing, position, frequency, how many
//! different words surround it and how many sentences hold it; candidate
//! phrases of one to three words that neither start nor end with a stopword
//! are scored from their words. Lower scores are more relevant.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use std::sync::{LazyLock, Mutex};

use newsflow_core::contracts::Keyword;

use crate::fold::is_unspaced;
use crate::summary::sentences;
use newsflow_core::chars;

/// Keywords returned per article.
pub const MAX_KEYWORDS: usize = 10;
const MAX_NGRAM: usize = 3;

pub(crate) type StopSet = &'static HashSet<&'static str, Fx>;

/// Stopword sets by ISO 639-1 code, built on first use.
pub(crate) fn stopwords(lang: &str) -> StopSet {
    static SETS: LazyLock<Mutex<HashMap<String, StopSet>>> = LazyLock::new(Default::default);
    static EMPTY: LazyLock<HashSet<&'static str, Fx>> = LazyLock::new(HashSet::default);
    let mut sets = SETS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(set) = sets.get(lang) {
        return set;
    }
    let Some(words) = stop_words::lookup(lang) else {
        return &EMPTY;
    };
    // Leaked once per language: a few small sets for the life of the process.
    let set: StopSet = Box::leak(Box::new(words.iter().copied().collect()));
    sets.insert(lang.to_string(), set);
    set
}

/// Builds the stopword sets of `languages` now rather than on first use.
pub fn warm_up(languages: &[&str]) {
    for lang in languages {
        stopwords(lang);
    }
}

struct Term<'a> {
    /// The word as first written: the term's one-word candidate phrase,
    /// and the term's key when that has no capitals.
    first: &'a str,
    /// Where the key (the word lower-cased) is in [`Vocabulary::lowered`],
    /// when the word as first written has capitals.
    lowered: Option<(u32, u32)>,
    /// The term added before it whose key has the same hash, if any.
    same_hash: Option<u32>,
    /// A stopword, a word under three characters or a number: no candidate
    /// starts or ends with it.
    stop: bool,
    tf: f64,
    upper: f64,
    last_sentence: u32,
    sentence_count: u32,
    h: f64,
}

/// No word: pads candidate keys shorter than [`MAX_NGRAM`].
const NONE: u32 = u32::MAX;

/// The keywords of `text` in language `lang` (ISO 639-1; no stopwords when unknown).
pub fn keywords(text: &str, lang: Option<&str>) -> Vec<Keyword> {
    keywords_in(text, &sentences(text), lang)
}

/// Whether words of `text` are separated by spaces: not when most of its
/// letters belong to scripts written without them, where YAKE's tokens would
/// be whole clauses.
fn is_spaced(text: &str) -> bool {
    let (mut letters, mut unspaced) = (0usize, 0usize);
    if text.is_ascii() {
        return text.bytes().any(|b| b.is_ascii_alphabetic());
    }
    // Every character of an unspaced script takes three bytes, the first
    // in 0xE0..=0xEF: their number bounds the unspaced characters, and the
    // answer is known once the letters reach twice that (in most text,
    // within its first words).
    let most_unspaced = text.bytes().filter(|&b| b & 0xF0 == 0xE0).count();
    for (at, c) in text.char_indices() {
        if !c.is_ascii() {
            letters += usize::from(chars::is_alphabetic(c));
            unspaced += usize::from(is_unspaced(c));
            if letters > 0 && letters >= 2 * most_unspaced {
                return true;
            }
            continue;
        }
        letters += usize::from(c.is_ascii_alphabetic());
        if letters > 0 && letters >= 2 * most_unspaced {
            return true;
        }
        // The answer is also known once the characters still to come cannot
        // change it: each character of an unspaced script takes three
        // bytes and lowers `letters - 2 * unspaced` by two at most, the
        // others never lower it. (Looked at after ASCII characters only,
        // such as the spaces between words: rare in unspaced text.)
        let rest = text.len() - at - 1;
        if letters > 0 && letters >= 2 * unspaced + 2 * (rest / 3) {
            return true;
        }
    }
    letters > 0 && unspaced * 2 <= letters
}

/// What a character is to the tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Part of a word: alphanumeric, a hyphen, an apostrophe or a combining mark.
    Word,
    /// White space: separates words of one chunk.
    Space,
    /// Anything else (punctuation): separates chunks, which no candidate
    /// phrase spans.
    Separator,
}

/// The class of each ASCII character: most characters of most texts.
const ASCII_CLASS: [Class; 128] = {
    let mut table = [Class::Separator; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphanumeric() || c == b'-' || c == b'\'' {
            Class::Word
        } else if matches!(c, b'\t'..=b'\r' | b' ') {
            Class::Space
        } else {
            Class::Separator
        };
        b += 1;
    }
    table
};

/// What a byte is to the tokenizer: an ASCII character's class and case,
/// or part of a character beyond ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Byte {
    Word,
    Capital,
    Space,
    Separator,
    BeyondAscii,
}

const BYTE_KIND: [Byte; 256] = {
    let mut table = [Byte::BeyondAscii; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = match ASCII_CLASS[b] {
            Class::Word if (b as u8).is_ascii_uppercase() => Byte::Capital,
            Class::Word => Byte::Word,
            Class::Space => Byte::Space,
            Class::Separator => Byte::Separator,
        };
        b += 1;
    }
    table
};

/// The class of `c` and whether it is a capital.
#[inline(always)]
fn class_and_case(c: char) -> (Class, bool) {
    if c.is_ascii() {
        return (ASCII_CLASS[c as usize], c.is_ascii_uppercase());
    }
    // One look at the table for the three questions, where it reaches.
    let (space, alphanumeric, upper) = match chars::Flags::of(c) {
        Some(flags) => (
            flags.is_whitespace(),
            flags.is_alphanumeric(),
            flags.is_uppercase(),
        ),
        None => (
            chars::is_whitespace(c),
            chars::is_alphanumeric(c),
            chars::is_uppercase(c),
        ),
    };
    let class = if space {
        Class::Space
    } else if alphanumeric || c == '’' || is_mark(c) {
        Class::Word
    } else {
        Class::Separator
    };
    (class, upper)
}

/// The class of the character at byte `i` of `text`, whether it is a
/// capital, and its length in bytes.
// Always inlined: called for every character, a call cost more than the
// work (Arabic keywords: 122 k instructions per article as a call).
#[inline(always)]
fn class_at(text: &str, i: usize) -> (Class, bool, usize) {
    let bytes = text.as_bytes();
    let c = match BYTE_KIND[usize::from(bytes[i])] {
        Byte::Word => return (Class::Word, false, 1),
        Byte::Capital => return (Class::Word, true, 1),
        Byte::Space => return (Class::Space, false, 1),
        Byte::Separator => return (Class::Separator, false, 1),
        // Most characters beyond ASCII in spaced scripts take two bytes:
        // decoded here rather than by the general decoder.
        Byte::BeyondAscii => match (bytes[i], bytes.get(i + 1)) {
            (lead @ 0xC2..=0xDF, Some(&next)) => chars::two_byte_char(lead, next),
            _ => text[i..].chars().next().expect("at a character's start"),
        },
    };
    let (class, upper) = class_and_case(c);
    (class, upper, c.len_utf8())
}

/// What the tokenizer notes of a word's characters.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    /// Some character is a capital.
    upper: bool,
    /// Some character is beyond ASCII.
    beyond_ascii: bool,
}

/// The words of a text as term ids, with per-term statistics.
struct Vocabulary<'a> {
    stop: StopSet,
    /// Terms by the hash of their key: the last added of those sharing it
    /// (the others are chained through [`Term::same_hash`]). A word's key is
    /// hashed once, to look it up and to add it.
    ids: HashMap<u64, u32, Fx>,
    terms: Vec<Term<'a>>,
    /// Every word: its term and its text.
    tokens: Vec<(u32, &'a str)>,
    /// Runs of words between punctuation, as ranges of `tokens`.
    chunks: Vec<std::ops::Range<usize>>,
    /// (term, sentence) once per sentence holding the term, in text order.
    term_sentences: Vec<(u32, u32)>,
    /// Adjacent terms in a chunk, `left << 32 | right`.
    pairs: Vec<u64>,
    /// The keys of terms first written with capitals, lower-cased, one
    /// after another: no allocation per term.
    lowered: String,
}

impl<'a> Vocabulary<'a> {
    fn new(text: &str, stop: StopSet) -> Self {
        // Sized for a typical text (a word every six bytes, at most that
        // many terms) so that the vectors and the map rarely grow: growing
        // the map rehashes every word in it.
        let words = text.len() / 6;
        Self {
            stop,
            ids: HashMap::with_capacity_and_hasher(words, Fx::default()),
            terms: Vec::with_capacity(words),
            tokens: Vec::with_capacity(words),
            chunks: Vec::with_capacity(words / 4),
            term_sentences: Vec::with_capacity(words),
            pairs: Vec::with_capacity(words),
            lowered: String::with_capacity(text.len() / 4),
        }
    }

    /// Adds the words of sentence `sid`.
    fn add_sentence(&mut self, sentence: &'a str, sid: u32) {
        let mut chunk_start = self.tokens.len();
        // A word is a run of word characters, trimmed of what is not
        // alphanumeric. Whether it has capitals and is ASCII is noted on
        // the way (trimming removes neither: no capital is outside letters).
        // Text is read by its bytes: an ASCII character is classed by one
        // look at a table, and only characters beyond ASCII are decoded.
        let bytes = sentence.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let (class, upper, width) = class_at(sentence, i);
            if class == Class::Word {
                let start = i;
                let mut shape = Shape {
                    upper,
                    beyond_ascii: width > 1,
                };
                i += width;
                while let Some(&b) = bytes.get(i) {
                    match BYTE_KIND[usize::from(b)] {
                        Byte::Word => i += 1,
                        Byte::Capital => {
                            shape.upper = true;
                            i += 1;
                        }
                        Byte::BeyondAscii => {
                            let (class, upper, width) = class_at(sentence, i);
                            if class != Class::Word {
                                break;
                            }
                            shape.upper |= upper;
                            shape.beyond_ascii = true;
                            i += width;
                        }
                        Byte::Space | Byte::Separator => break,
                    }
                }
                self.add_word(&sentence[start..i], shape, sid, chunk_start);
                continue;
            }
            if class == Class::Separator {
                self.end_chunk(chunk_start);
                chunk_start = self.tokens.len();
            }
            i += width;
        }
        self.end_chunk(chunk_start);
    }

    fn end_chunk(&mut self, chunk_start: usize) {
        if self.tokens.len() > chunk_start {
            self.chunks.push(chunk_start..self.tokens.len());
        }
    }

    fn add_word(&mut self, word: &'a str, shape: Shape, sid: u32, chunk_start: usize) {
        let bytes = word.as_bytes();
        // Most words start and end with an ASCII letter or digit: nothing to trim.
        let word =
            if bytes[0].is_ascii_alphanumeric() && bytes[bytes.len() - 1].is_ascii_alphanumeric() {
                word
            } else {
                trim_to_alphanumeric(word)
            };
        if word.is_empty() {
            return;
        }
        let id = self.id_of(word, shape);
        let in_chunk = self.tokens.len() > chunk_start;
        let t = &mut self.terms[id as usize];
        t.tf += 1.0;
        // A word without capitals (`shape`) need not have its first one decoded.
        if in_chunk && shape.upper && word.chars().next().is_some_and(chars::is_uppercase) {
            t.upper += 1.0;
        }
        if t.last_sentence != sid {
            t.last_sentence = sid;
            t.sentence_count += 1;
            self.term_sentences.push((id, sid));
        }
        if in_chunk && let Some(&(previous, _)) = self.tokens.last() {
            self.pairs.push(u64::from(previous) << 32 | u64::from(id));
        }
        self.tokens.push((id, word));
    }

    /// The term of `word`: its lower-case form, numbered in order of first use.
    fn id_of(&mut self, word: &'a str, shape: Shape) -> u32 {
        // A word with capitals is lower-cased at the end of `lowered`, and
        // stays there only when it makes a new term.
        let mark = self.lowered.len();
        if shape.upper {
            if shape.beyond_ascii {
                // Full Unicode rules (a final sigma) for other scripts.
                self.lowered.push_str(&word.to_lowercase());
            } else {
                self.lowered.push_str(word);
                self.lowered[mark..].make_ascii_lowercase();
            }
        }
        let key = if shape.upper {
            &self.lowered[mark..]
        } else {
            word
        };
        let hash = Fx::default().hash_one(key);
        let mut next = self.ids.get(&hash).copied();
        while let Some(id) = next {
            let term = &self.terms[id as usize];
            let term_key = match term.lowered {
                Some((start, end)) => &self.lowered[start as usize..end as usize],
                None => term.first,
            };
            if term_key == key {
                self.lowered.truncate(mark);
                return id;
            }
            next = term.same_hash;
        }
        let id = self.terms.len() as u32;
        // The cheaper tests first.
        let stop = key.chars().count() < 3
            || key.chars().all(chars::is_numeric)
            || self.stop.contains(key);
        let lowered = shape
            .upper
            .then_some((mark as u32, self.lowered.len() as u32));
        let same_hash = self.ids.insert(hash, id);
        self.terms.push(Term {
            first: word,
            lowered,
            same_hash,
            stop,
            tf: 0.0,
            upper: 0.0,
            last_sentence: u32::MAX,
            sentence_count: 0,
            h: 0.0,
        });
        id
    }
}

/// [`keywords`] with the sentences of `text` already split.
pub fn keywords_in(
    text: &str,
    spans: &[std::ops::Range<usize>],
    lang: Option<&str>,
) -> Vec<Keyword> {
    let stop = stopwords(lang.unwrap_or(""));
    if !is_spaced(text) {
        return Vec::new();
    }
    // Words as one flat list of chunks, and per-term statistics in flat
    // vectors: far fewer allocations than per-term collections.
    let mut vocabulary = Vocabulary::new(text, stop);
    for (sid, range) in spans.iter().enumerate() {
        vocabulary.add_sentence(&text[range.clone()], sid as u32);
    }
    let Vocabulary {
        mut terms,
        tokens,
        chunks,
        term_sentences,
        pairs,
        ..
    } = vocabulary;
    let content = || terms.iter().filter(|t| !t.stop);
    let n = content().count() as f64;
    if n == 0.0 {
        return Vec::new();
    }
    let mean = content().map(|t| t.tf).sum::<f64>() / n;
    let std = (content().map(|t| (t.tf - mean).powi(2)).sum::<f64>() / n).sqrt();
    let max_tf = content().map(|t| t.tf).fold(0.0, f64::max);
    let n_sentences = spans.len().max(1) as f64;
    // Distinct neighbours per term: its distinct left plus its distinct right words.
    // (A set finds the distinct pairs in fewer steps than sorting them.)
    let mut neighbours = vec![0u32; terms.len()];
    let mut distinct: HashSet<u64, Fx> =
        HashSet::with_capacity_and_hasher(pairs.len(), Fx::default());
    for &pair in &pairs {
        if distinct.insert(pair) {
            neighbours[(pair >> 32) as usize] += 1;
            neighbours[(pair & 0xFFFF_FFFF) as usize] += 1;
        }
    }
    // Median sentence per term: the middle one of its sentences in text order.
    let mut seen = vec![0u32; terms.len()];
    let mut median = vec![0u32; terms.len()];
    for &(term, sid) in &term_sentences {
        let term = term as usize;
        if seen[term] == terms[term].sentence_count / 2 {
            median[term] = sid;
        }
        seen[term] += 1;
    }
    // ln(ln(3 + sentence)) once per sentence rather than once per term.
    let position_of: Vec<f64> = (0..spans.len())
        .map(|s| (3.0 + s as f64).ln().ln())
        .collect();
    for (id, term) in terms.iter_mut().enumerate() {
        let case = term.upper / (1.0 + term.tf.ln());
        let position = position_of[median[id] as usize];
        let freq = term.tf / (mean + std);
        let rel = 1.0 + f64::from(neighbours[id]) / (2.0 * term.tf) * (term.tf / max_tf);
        let spread = f64::from(term.sentence_count) / n_sentences;
        term.h = (position * rel) / (case + freq / rel + spread / rel);
    }
    let score = |ids: &[u32], tf: f64| {
        let (mut prod, mut sum) = (1.0, 0.0);
        for &id in ids {
            let term = &terms[id as usize];
            if term.stop {
                continue;
            }
            prod *= term.h;
            sum += term.h;
        }
        prod / (tf * (1.0 + sum))
    };
    // Candidate phrases. A one-word candidate occurs wherever its word does:
    // its frequency is the term's.
    let mut scored: Vec<(f64, &str)> = terms
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.stop)
        .map(|(id, t)| (score(&[id as u32], t.tf), t.first))
        .collect();
    // Longer ones: (first, second, third or NONE) -> (frequency, first text).
    let mut phrases: HashMap<(u32, u32, u32), (f64, &str), Fx> =
        HashMap::with_capacity_and_hasher(tokens.len(), Fx::default());
    for chunk in &chunks {
        let words = &tokens[chunk.clone()];
        for i in 0..words.len() {
            if terms[words[i].0 as usize].stop {
                continue;
            }
            for len in 2..=MAX_NGRAM.min(words.len() - i) {
                let last = words[i + len - 1];
                if terms[last.0 as usize].stop {
                    continue;
                }
                let third = if len == 3 { last.0 } else { NONE };
                let entry = phrases
                    .entry((words[i].0, words[i + 1].0, third))
                    .or_insert((0.0, ""));
                entry.0 += 1.0;
                if entry.1.is_empty() {
                    // The phrase as written: from the first word's start to the last word's end.
                    let start = words[i].1.as_ptr() as usize - text.as_ptr() as usize;
                    let end = last.1.as_ptr() as usize - text.as_ptr() as usize + last.1.len();
                    entry.1 = &text[start..end];
                }
            }
        }
    }
    scored.extend(phrases.into_iter().map(|((a, b, c), (tf, phrase))| {
        let ids = [a, b, c];
        let len = if c == NONE { 2 } else { 3 };
        (score(&ids[..len], tf), phrase)
    }));
    let order = |a: &(f64, &str), b: &(f64, &str)| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1));
    // Only the best few can be chosen: sort those, not every candidate.
    let keep = (MAX_KEYWORDS * 8).min(scored.len());
    if keep < scored.len() {
        scored.select_nth_unstable_by(keep, order);
        scored.truncate(keep);
    }
    // Candidates that compare equal have the same score and text: an
    // unstable sort gives the same keywords.
    scored.sort_unstable_by(order);
    let mut out: Vec<Keyword> = Vec::new();
    let mut chosen: Vec<String> = Vec::new();
    for (score, phrase) in scored {
        let lower = chars::to_lowercase(phrase).into_owned();
        if chosen
            .iter()
            .any(|c| c.contains(&lower) || lower.contains(c.as_str()))
        {
            continue;
        }
        chosen.push(lower);
        out.push(Keyword {
            text: phrase.to_string(),
            score: (score * 10_000.0).round() / 10_000.0,
        });
        if out.len() == MAX_KEYWORDS {
            break;
        }
    }
    out
}

/// FxHash for the per-article maps: keys are the article's own words, so
/// there is no attacker to defend against with SipHash.
type Fx = rustc_hash::FxBuildHasher;

/// `word` without what is not alphanumeric at its ends; most words, in any
/// script, have nothing to trim: only their first and last characters are
/// looked at then.
fn trim_to_alphanumeric(word: &str) -> &str {
    let mut ends = word.chars();
    let first = ends.next().is_some_and(chars::is_alphanumeric);
    let last = ends.next_back().is_none_or(chars::is_alphanumeric);
    if first && last {
        word
    } else {
        word.trim_matches(|c: char| !chars::is_alphanumeric(c))
    }
}

fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x064B..=0x065F | 0x0670 | 0x0640)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_topic_words_of_a_text() {
        let text = "Islamic State militants attacked the city. The Islamic State claimed the attack on Monday. \
            Security forces said Islamic State militants had planned the attack for weeks. \
            Residents said the city was calm again.";
        let found: Vec<String> = keywords(text, Some("en"))
            .into_iter()
            .map(|k| k.text)
            .collect();
        assert_eq!(found[0], "Islamic State militants", "{found:?}");
        assert!(
            found.iter().all(|k| !k.eq_ignore_ascii_case("the")),
            "{found:?}"
        );
    }

    #[test]
    fn uses_the_stopwords_of_the_language() {
        let text = "Les autorités ont ordonné l'évacuation des villages. Les villages sont inondés par la rivière.";
        let found: Vec<String> = keywords(text, Some("fr"))
            .into_iter()
            .map(|k| k.text.to_lowercase())
            .collect();
        assert!(found.iter().any(|k| k.contains("villages")), "{found:?}");
        assert!(!found.iter().any(|k| k == "les" || k == "des"), "{found:?}");
    }

    #[test]
    fn reads_words_and_chunks_as_reading_characters_would() {
        // Words are runs of word characters, trimmed; punctuation ends a chunk.
        let by_characters = |text: &str| {
            let mut chunks: Vec<Vec<String>> = vec![Vec::new()];
            let mut word = String::new();
            for c in text.chars().chain([' ']) {
                let (class, _) = class_and_case(c);
                if class == Class::Word {
                    word.push(c);
                    continue;
                }
                let trimmed = trim_to_alphanumeric(&word);
                if !trimmed.is_empty() {
                    chunks.last_mut().unwrap().push(trimmed.to_string());
                }
                word.clear();
                if class == Class::Separator {
                    chunks.push(Vec::new());
                }
            }
            chunks.retain(|chunk| !chunk.is_empty());
            chunks
        };
        for text in [
            "Les autorités ont ordonné l'évacuation, dit-il.",
            "تصاعد الإرهاب، والمتطرفين: «داعش» ١٢ قتيلا",
            "Москва ЗАЯВИЛА — 12 человек",
            "U.S. Navy's ‘Big’ ship (USS) -- 3.5%",
            "Ελλάδα’ ΟΔΟΣ 東京 e\u{301}té",
        ] {
            let mut vocabulary = Vocabulary::new(text, stopwords("en"));
            vocabulary.add_sentence(text, 0);
            let chunks: Vec<Vec<String>> = vocabulary
                .chunks
                .iter()
                .map(|range| {
                    vocabulary.tokens[range.clone()]
                        .iter()
                        .map(|(_, word)| word.to_string())
                        .collect()
                })
                .collect();
            assert_eq!(chunks, by_characters(text), "{text:?}");
        }
    }

    #[test]
    fn a_word_and_its_capitalized_forms_are_one_term() {
        let text = "State state STATE Über über ÜBER ΟΔΟΣ οδος";
        let mut vocabulary = Vocabulary::new(text, stopwords("en"));
        vocabulary.add_sentence(text, 0);
        let ids: Vec<u32> = vocabulary.tokens.iter().map(|&(id, _)| id).collect();
        // Full Unicode rules: `ΟΔΟΣ` lowers with a final sigma, as `οδος` is written.
        assert_eq!(ids, [0, 0, 0, 1, 1, 1, 2, 2]);
        let firsts: Vec<&str> = vocabulary.terms.iter().map(|t| t.first).collect();
        assert_eq!(firsts, ["State", "Über", "ΟΔΟΣ"]);
    }

    #[test]
    fn is_spaced_answers_as_counting_every_letter_would() {
        let counted = |text: &str| {
            let letters = text.chars().filter(|&c| chars::is_alphabetic(c)).count();
            let unspaced = text.chars().filter(|&c| is_unspaced(c)).count();
            letters > 0 && unspaced * 2 <= letters
        };
        let pieces = [
            "Les autorités ont ordonné l'évacuation. ",
            "Москва заявила ",
            "気象庁によると、",
            "・・・",
            "東京",
            "ab",
            "١٢ ",
            "",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let text = format!("{a}{b}{c}{b}");
                    assert_eq!(is_spaced(&text), counted(&text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn scripts_without_spaces_give_nothing_rather_than_nonsense() {
        assert!(
            keywords(
                "気象庁によると、前線の影響で西日本を中心に記録的な大雨となり",
                Some("ja")
            )
            .is_empty()
        );
    }
}
