//! Keywords by YAKE (Campos et al., 2020): unsupervised, one document at a
//! time, with the ISO stopword list of the article's language (stop-words crate).
//!
//! Each word gets a score from its casing, position, frequency, how many
//! different words surround it and how many sentences hold it; candidate
//! phrases of one to three words that neither start nor end with a stopword
//! are scored from their words. Lower scores are more relevant.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use std::sync::{LazyLock, Mutex};

use newsflow_core::contracts::Keyword;

use crate::fold::is_unspaced;
use crate::summary::sentences;

/// Keywords returned per article.
pub const MAX_KEYWORDS: usize = 10;
const MAX_NGRAM: usize = 3;

type StopSet = &'static HashSet<&'static str>;

/// Stopword sets by ISO 639-1 code, built on first use.
fn stopwords(lang: &str) -> StopSet {
    static SETS: LazyLock<Mutex<HashMap<String, StopSet>>> = LazyLock::new(Default::default);
    static EMPTY: LazyLock<HashSet<&'static str>> = LazyLock::new(HashSet::new);
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

#[derive(Default)]
struct Term {
    tf: f64,
    upper: f64,
    last_sentence: Option<usize>,
    sentence_count: u32,
    h: f64,
}

/// No word: pads candidate keys shorter than [`MAX_NGRAM`].
const NONE: u32 = u32::MAX;

/// The keywords of `text` in language `lang` (ISO 639-1; no stopwords when unknown).
pub fn keywords(text: &str, lang: Option<&str>) -> Vec<Keyword> {
    keywords_in(text, &sentences(text), lang)
}

/// [`keywords`] with the sentences of `text` already split.
pub fn keywords_in(
    text: &str,
    spans: &[std::ops::Range<usize>],
    lang: Option<&str>,
) -> Vec<Keyword> {
    let stop = stopwords(lang.unwrap_or(""));
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 || text.chars().filter(|&c| is_unspaced(c)).count() * 2 > letters {
        // Words are not separated by spaces: YAKE's tokens would be whole clauses.
        return Vec::new();
    }
    // Words as one flat list of chunks (runs of words between punctuation),
    // and per-term statistics in flat vectors: far fewer allocations than
    // per-term collections, which dominated the cost.
    let mut vocab: HashMap<Cow<'_, str>, usize, Fx> = HashMap::default();
    let mut terms: Vec<Term> = Vec::new();
    let mut tokens: Vec<(usize, &str)> = Vec::with_capacity(text.len() / 5);
    let mut chunks: Vec<std::ops::Range<usize>> = Vec::new();
    // (term, sentence) once per sentence holding the term, in text order.
    let mut term_sentences: Vec<(u32, u32)> = Vec::new();
    // (term, neighbour) pairs, left and right.
    let mut lefts: Vec<(u32, u32)> = Vec::new();
    let mut rights: Vec<(u32, u32)> = Vec::new();
    for (sid, range) in spans.iter().enumerate() {
        let sentence = &text[range.clone()];
        for chunk in sentence.split(|c: char| {
            !(c.is_alphanumeric()
                || c.is_whitespace()
                || c == '-'
                || c == '\''
                || c == '’'
                || is_mark(c))
        }) {
            let chunk_start = tokens.len();
            for word in chunk.split_whitespace() {
                let word = word.trim_matches(|c: char| !c.is_alphanumeric());
                if word.is_empty() {
                    continue;
                }
                let key: Cow<'_, str> = if word.chars().any(char::is_uppercase) {
                    Cow::Owned(word.to_lowercase())
                } else {
                    Cow::Borrowed(word)
                };
                let next_id = terms.len();
                let id = *vocab.entry(key).or_insert(next_id);
                if id == next_id {
                    terms.push(Term::default());
                }
                let t = &mut terms[id];
                t.tf += 1.0;
                if word.chars().next().is_some_and(char::is_uppercase) && tokens.len() > chunk_start
                {
                    t.upper += 1.0;
                }
                if t.last_sentence != Some(sid) {
                    t.last_sentence = Some(sid);
                    t.sentence_count += 1;
                    term_sentences.push((id as u32, sid as u32));
                }
                if let Some(&(previous, _)) = tokens
                    .get(tokens.len().wrapping_sub(1))
                    .filter(|_| tokens.len() > chunk_start)
                {
                    lefts.push((id as u32, previous as u32));
                    rights.push((previous as u32, id as u32));
                }
                tokens.push((id, word));
            }
            if tokens.len() > chunk_start {
                chunks.push(chunk_start..tokens.len());
            }
        }
    }
    let mut key_of: Vec<&str> = vec![""; terms.len()];
    for (k, &id) in &vocab {
        key_of[id] = k.as_ref();
    }
    let stop_flags: Vec<bool> = key_of
        .iter()
        .map(|k| stop.contains(k) || k.chars().count() < 3 || k.chars().all(|c| c.is_numeric()))
        .collect();
    let is_stop = |id: usize| stop_flags[id];
    let content: Vec<&Term> = terms
        .iter()
        .enumerate()
        .filter(|&(id, _)| !is_stop(id))
        .map(|(_, t)| t)
        .collect();
    if content.is_empty() {
        return Vec::new();
    }
    let n = content.len() as f64;
    let mean = content.iter().map(|t| t.tf).sum::<f64>() / n;
    let std = (content.iter().map(|t| (t.tf - mean).powi(2)).sum::<f64>() / n).sqrt();
    let max_tf = content.iter().map(|t| t.tf).fold(0.0, f64::max);
    let n_sentences = spans.len().max(1) as f64;
    // Distinct neighbours per term.
    let mut neighbours = vec![0u32; terms.len()];
    for pairs in [&mut lefts, &mut rights] {
        pairs.sort_unstable();
        pairs.dedup();
        for &(term, _) in pairs.iter() {
            neighbours[term as usize] += 1;
        }
    }
    // Median sentence per term: a stable sort keeps each term's sentences in order.
    term_sentences.sort_by_key(|&(term, _)| term);
    let mut first_of = vec![0usize; terms.len() + 1];
    for &(term, _) in &term_sentences {
        first_of[term as usize + 1] += 1;
    }
    for i in 1..first_of.len() {
        first_of[i] += first_of[i - 1];
    }
    for (id, term) in terms.iter_mut().enumerate() {
        let own = &term_sentences[first_of[id]..first_of[id + 1]];
        let case = term.upper / (1.0 + term.tf.ln());
        let median = own.get(own.len() / 2).map_or(0, |&(_, sid)| sid) as f64;
        let position = (3.0 + median).ln().ln();
        let freq = term.tf / (mean + std);
        let rel = 1.0 + f64::from(neighbours[id]) / (2.0 * term.tf) * (term.tf / max_tf);
        let spread = f64::from(term.sentence_count) / n_sentences;
        term.h = (position * rel) / (case + freq / rel + spread / rel);
    }
    // Candidate phrases.
    let mut candidates: HashMap<[u32; MAX_NGRAM], (f64, &str), Fx> = HashMap::default();
    for chunk in &chunks {
        let words = &tokens[chunk.clone()];
        for i in 0..words.len() {
            for len in 1..=MAX_NGRAM.min(words.len() - i) {
                if is_stop(words[i].0) || is_stop(words[i + len - 1].0) {
                    continue;
                }
                let mut key = [NONE; MAX_NGRAM];
                for (slot, word) in key.iter_mut().zip(&words[i..i + len]) {
                    *slot = word.0 as u32;
                }
                let entry = candidates.entry(key).or_insert((0.0, ""));
                entry.0 += 1.0;
                if entry.1.is_empty() {
                    let first = words[i].1;
                    let last = words[i + len - 1].1;
                    // The phrase as written: from the first word's start to the last word's end.
                    let start = first.as_ptr() as usize - text.as_ptr() as usize;
                    let end = last.as_ptr() as usize - text.as_ptr() as usize + last.len();
                    entry.1 = &text[start..end];
                }
            }
        }
    }
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|(ids, (tf, phrase))| {
            let (mut prod, mut sum) = (1.0, 0.0);
            for id in ids
                .into_iter()
                .filter(|&id| id != NONE)
                .map(|id| id as usize)
            {
                if is_stop(id) {
                    continue;
                }
                prod *= terms[id].h;
                sum += terms[id].h;
            }
            (prod / (tf * (1.0 + sum)), phrase)
        })
        .collect();
    let order = |a: &(f64, &str), b: &(f64, &str)| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1));
    // Only the best few can be chosen: sort those, not every candidate.
    let keep = (MAX_KEYWORDS * 8).min(scored.len());
    if keep < scored.len() {
        scored.select_nth_unstable_by(keep, order);
        scored.truncate(keep);
    }
    scored.sort_by(order);
    let mut out: Vec<Keyword> = Vec::new();
    let mut chosen: Vec<String> = Vec::new();
    for (score, phrase) in scored {
        let lower = phrase.to_lowercase();
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

/// A small fast hasher (FxHash) for the per-article maps: keys are the
/// article's own words, so there is no attacker to defend against with SipHash.
type Fx = std::hash::BuildHasherDefault<FxHasher>;

#[derive(Default)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
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
