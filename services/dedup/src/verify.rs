//! The verdict on a candidate pair: is one text a copy of the other?
//!
//! MinHash/LSH ([`crate::sketch`]) only proposes candidates: a shingle score
//! cannot tell a copy cut to its lead, re-led or re-ordered (which shares a
//! third to two thirds of its shingles) from two bulletins written on one
//! template (which share as much). This module reads both texts and looks
//! for what a copy has and a template does not:
//!
//! * **aligned passages**: runs of the same words in the same order, found
//!   greedily (longest run first from each position of the shorter text);
//!   their share of the shorter text counts only runs of at least
//!   [`PASSAGE_WORDS`] words, which a template's fixed phrases between its
//!   slots rarely reach;
//! * **the lead**: a copy keeps the story's opening (or the other's opening
//!   is inside it), a rewrite of the same event does not;
//! * **numbers**: a copy carries the same figures (digits of every script are
//!   folded already), a bulletin of another day does not;
//! * **the title** (word overlap), reported, and a small help when the text
//!   evidence is borderline;
//! * **the template guard**: text the candidate also shares with other
//!   articles of the index that are not copies of each other (other groups)
//!   is boilerplate or template, and is left out of the shared share;
//! * **the roundup guard**: a text found well inside a longer one, after
//!   its main story, is an item of a roundup or feature, not a copy: else
//!   the roundup joins the item's group and its other items follow it.
//!
//! Everything here is a pure function of the texts, unit-tested without NATS.

use newsflow_core::contracts::DuplicateEvidence;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::shingle::{self, Words, for_each_word};

/// Words in a seed of the alignment: a run shorter than this is not counted.
pub const SEED_WORDS: usize = 4;
/// Words from which an aligned run is a passage rather than a phrase.
pub const PASSAGE_WORDS: usize = 10;
/// Words of the lead: the opening that a copy keeps.
pub const LEAD_WORDS: usize = 30;
/// Fewest words (furniture lines left out) a text needs to be judged a
/// near-copy: a caption or a one-sentence teaser says too little.
pub const MIN_WORDS: usize = 30;
/// Most positions remembered per seed in the longer text (repeated phrases).
const SEED_POSITIONS: usize = 8;

/// One text as the verifier reads it.
#[derive(Debug, Clone, Default)]
pub struct Text {
    /// Hashes of the normalized words, furniture lines left out.
    words: Vec<u64>,
    /// Distinct numbers of the text.
    numbers: FxHashSet<u64>,
    /// Distinct normalized words of the title.
    title: FxHashSet<u64>,
    /// Days of the week the text names (bit 0 Monday ... bit 6 Sunday).
    days: u8,
}

/// Names of the days of the week, Monday first, in the languages of the
/// labelled data (ar, en, fr); Arabic with its article, as the bare forms
/// are also common words.
const WEEKDAYS: [&[&str]; 7] = [
    &["monday", "lundi", "الاثنين"],
    &["tuesday", "mardi", "الثلاثاء"],
    &["wednesday", "mercredi", "الأربعاء"],
    &["thursday", "jeudi", "الخميس"],
    &["friday", "vendredi", "الجمعة"],
    &["saturday", "samedi", "السبت"],
    &["sunday", "dimanche", "الأحد"],
];

/// Hash of each normalized weekday name, and its day.
fn weekday_hashes() -> &'static FxHashMap<u64, u8> {
    static HASHES: std::sync::OnceLock<FxHashMap<u64, u8>> = std::sync::OnceLock::new();
    HASHES.get_or_init(|| {
        let mut map = FxHashMap::default();
        for (day, names) in WEEKDAYS.iter().enumerate() {
            for name in *names {
                for_each_word(name, |hash, _| {
                    map.insert(hash, day as u8);
                });
            }
        }
        map
    })
}

impl Text {
    /// Reads a title and a body with the normalization of [`crate::shingle`].
    pub fn new(title: Option<&str>, body: &str) -> Self {
        Self::from_words(title, shingle::words(body))
    }

    /// The text of a body already tokenized (for its fingerprint), and its title.
    pub fn from_words(title: Option<&str>, body: Words) -> Self {
        let Words {
            compared: words,
            numbers,
            ..
        } = body;
        let weekdays = weekday_hashes();
        let days = words
            .iter()
            .filter_map(|w| weekdays.get(w))
            .fold(0u8, |days, &day| days | (1 << day));
        let mut title_words = FxHashSet::default();
        if let Some(title) = title {
            for line in title.lines() {
                for_each_word(line, |hash, _| {
                    title_words.insert(hash);
                });
            }
        }
        Self {
            words,
            numbers: numbers.into_iter().collect(),
            title: title_words,
            days,
        }
    }

    /// Bytes the text takes in memory, roughly (for caches of texts).
    pub fn heap_bytes(&self) -> usize {
        // A hash set takes about twice its entries' size.
        std::mem::size_of::<Self>()
            + self.words.capacity() * 8
            + (self.numbers.capacity() + self.title.capacity()) * 16
    }

    /// Words compared (furniture lines left out).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether the text is long enough to be judged a near-copy.
    pub fn judgeable(&self) -> bool {
        self.words.len() >= MIN_WORDS
    }
}

/// What the verifier saw, kept in the duplicate notice.
pub type Evidence = DuplicateEvidence;

/// The verifier's answer for one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub copy: bool,
    /// The figure compared with `threshold`: the aligned share of the
    /// shorter text (template text left out) less its substituted share.
    pub similarity: f64,
    pub threshold: f64,
    /// Aligned words over the longer text's words: orders the candidates
    /// that pass.
    pub rank: f64,
    /// Where the shared text starts in the longer text, as a share of its
    /// words (the first aligned passage): 0 when the shorter text is the
    /// longer one's lead.
    pub longer_start: f64,
    pub evidence: Evidence,
}

/// Similarity (aligned share of the shorter text less its substituted
/// share) from which two texts of different sources are copies. Tuned on the
/// dev half of `eval/pairs.tsv`: the republications there but three reach
/// 0.61, the different pairs stay under 0.55 (two weather bulletins of one
/// template on consecutive days).
pub const THRESHOLD: f64 = 0.6;
/// Two texts that name different days of the week (and no common one) are
/// held to more: a daily bulletin of another day shares its template.
pub const OTHER_DAY_THRESHOLD: f64 = 0.85;
/// Fewest words of its own (outside template text) a text is judged on.
const MIN_OWN_WORDS: usize = 10;
/// Two texts of one source (one paper, one feed) are held to more: a paper
/// rarely republishes its own story edited, but its daily bulletins and
/// cables share most of their wording.
pub const SAME_SOURCE_THRESHOLD: f64 = 0.8;
/// ... and most of the shorter text must sit in long passages.
pub const SAME_SOURCE_PASSAGES: f64 = 0.8;

/// A text that shares under this share of a longer text's words ...
pub const ROUNDUP_SHARE: f64 = 0.5;
/// ... from past this share of the longer text ...
pub const ROUNDUP_START: f64 = 0.25;
/// ... and past this many of its words (a rewritten lead is shorter) is an
/// item of a roundup or feature, not a copy of it: the longer text's main
/// story is another. Tuned on the dev half of `eval/pairs.tsv`: the
/// republications there start at most 41 words and 0.23 into the longer
/// text; the roundup items, 115 words and 0.28 or more.
pub const ROUNDUP_START_WORDS: usize = 2 * LEAD_WORDS;

/// A greedy alignment of the shorter text `a` against the longer `b`:
/// which words of each are inside an aligned run, and the runs' lengths.
struct Alignment {
    a_covered: Vec<bool>,
    b_covered: Vec<bool>,
    /// `(start in a, start in b, length)` of every run, in the order of `a`.
    runs: Vec<(usize, usize, usize)>,
}

/// The hash of a seed: a run of [`SEED_WORDS`] words hashes as the
/// shingle of the same words.
fn seed(words: &[u64]) -> u64 {
    shingle::combine(words)
}

/// Where each seed of a text occurs: for every distinct seed its first
/// position and count, and for every position the next one with the same
/// seed. One table entry per seed and one flat array, instead of a list per
/// seed (an allocation for each of the text's few hundred seeds).
///
/// The table is open addressing on the seed's top bits with linear probing,
/// at most half full: seeds are already uniform hashes, so it needs no
/// hashing of its own, and a lookup is a few loads and compares. The
/// verifier looks up every position of the shorter text; building and
/// probing a `HashMap` instead was the largest part of the stage's CPU time
/// on the bench's articles.
struct SeedPositions {
    slots: Vec<SeedSlot>,
    /// Right shift that leaves a seed's top bits: its home slot.
    shift: u32,
    /// Position → the next position with the same seed (`u32::MAX`: none).
    next: Vec<u32>,
}

/// One seed's entry; `kept` 0 marks an empty slot.
#[derive(Debug, Clone, Copy, Default)]
struct SeedSlot {
    seed: u64,
    first: u32,
    /// Positions kept (at most [`SEED_POSITIONS`]).
    kept: u32,
    /// The last position kept.
    last: u32,
}

impl SeedPositions {
    /// Positions of every seed of `words`, the first [`SEED_POSITIONS`] of each.
    fn of(words: &[u64]) -> Self {
        let windows = words.len().saturating_sub(SEED_WORDS - 1);
        let bits = (2 * windows).max(2).next_power_of_two().trailing_zeros();
        let mut positions = Self {
            slots: vec![SeedSlot::default(); 1 << bits],
            shift: u64::BITS - bits,
            next: vec![u32::MAX; windows],
        };
        if words.len() >= SEED_WORDS {
            for (at, window) in words.windows(SEED_WORDS).enumerate() {
                let at = at as u32;
                let seed = seed(window);
                let home = positions.slot_of(seed);
                let slot = &mut positions.slots[home];
                if slot.kept == 0 {
                    *slot = SeedSlot {
                        seed,
                        first: at,
                        kept: 1,
                        last: at,
                    };
                } else if (slot.kept as usize) < SEED_POSITIONS {
                    positions.next[slot.last as usize] = at;
                    slot.kept += 1;
                    slot.last = at;
                }
            }
        }
        positions
    }

    /// The slot that holds `seed`, or the empty one where it would go.
    fn slot_of(&self, seed: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut at = (seed >> self.shift) as usize;
        loop {
            let slot = &self.slots[at];
            if slot.kept == 0 || slot.seed == seed {
                return at;
            }
            at = (at + 1) & mask;
        }
    }

    /// The kept positions of `seed`, in text order.
    fn get(&self, seed: u64) -> impl Iterator<Item = usize> + '_ {
        let slot = &self.slots[self.slot_of(seed)];
        let mut at = if slot.kept == 0 { u32::MAX } else { slot.first };
        std::iter::from_fn(move || {
            (at != u32::MAX).then(|| {
                let here = at;
                at = self.next[here as usize];
                here as usize
            })
        })
    }
}

fn align(a: &[u64], b: &[u64], positions: &SeedPositions) -> Alignment {
    let mut alignment = Alignment {
        a_covered: vec![false; a.len()],
        b_covered: vec![false; b.len()],
        runs: Vec::new(),
    };
    let mut i = 0;
    while i + SEED_WORDS <= a.len() {
        let best = positions
            .get(seed(&a[i..i + SEED_WORDS]))
            .map(|p| {
                let len = a[i..]
                    .iter()
                    .zip(&b[p..])
                    .take_while(|(x, y)| x == y)
                    .count();
                (len, p)
            })
            .max_by_key(|&(len, p)| (len, std::cmp::Reverse(p)));
        match best {
            Some((len, p)) if len >= SEED_WORDS => {
                alignment.a_covered[i..i + len].fill(true);
                alignment.b_covered[p..p + len].fill(true);
                alignment.runs.push((i, p, len));
                i += len;
            }
            _ => i += 1,
        }
    }
    alignment
}

fn share(covered: &[bool], range: std::ops::Range<usize>) -> f64 {
    let slice = &covered[range];
    if slice.is_empty() {
        return 0.0;
    }
    slice.iter().filter(|&&c| c).count() as f64 / slice.len() as f64
}

/// Judges whether `x` and `candidate` are copies of one story. `others` are
/// texts of the index's other groups that also resemble `x`: what `x`
/// shares with them as well is template, not evidence.
pub fn verify(x: &Text, candidate: &Text, others: &[&Text], same_source: bool) -> Verification {
    let mut texts = vec![x, candidate];
    texts.extend_from_slice(others);
    let others: Vec<usize> = (2..texts.len()).collect();
    Pairing::new(texts).verify(0, 1, &others, same_source)
}

/// Texts verified together (an article and its candidates, which are also
/// each other's template witnesses): each text's seed positions and each
/// alignment are made once, however many of the pairs need them.
pub struct Pairing<'t> {
    texts: Vec<&'t Text>,
    positions: Vec<Option<SeedPositions>>,
    /// `(a, b, alignment of a against b)`, by index into `texts`.
    alignments: Vec<(usize, usize, Alignment)>,
}

impl<'t> Pairing<'t> {
    pub fn new(texts: Vec<&'t Text>) -> Self {
        Self {
            positions: texts.iter().map(|_| None).collect(),
            texts,
            alignments: Vec::new(),
        }
    }

    /// Makes the alignment of text `a` against text `b`, unless made.
    fn align(&mut self, a: usize, b: usize) {
        if self.alignments.iter().any(|&(x, y, _)| (x, y) == (a, b)) {
            return;
        }
        let b_words = &self.texts[b].words;
        let positions = self.positions[b].get_or_insert_with(|| SeedPositions::of(b_words));
        let alignment = align(&self.texts[a].words, b_words, positions);
        self.alignments.push((a, b, alignment));
    }

    fn alignment(&self, a: usize, b: usize) -> &Alignment {
        self.alignments
            .iter()
            .find(|&&(x, y, _)| (x, y) == (a, b))
            .map(|(_, _, alignment)| alignment)
            .expect("aligned before")
    }

    /// [`verify`] of the texts at these indexes.
    pub fn verify(
        &mut self,
        x: usize,
        candidate: usize,
        others: &[usize],
        same_source: bool,
    ) -> Verification {
        let (a, b) = if self.texts[x].len() <= self.texts[candidate].len() {
            (x, candidate)
        } else {
            (candidate, x)
        };
        self.align(a, b);
        for &other in others {
            self.align(a, other);
        }
        judge(
            self.texts[a],
            self.texts[b],
            self.alignment(a, b),
            others.iter().map(|&other| self.alignment(a, other)),
            same_source,
        )
    }
}

/// The verdict on the shorter text `a` and the longer `b` from their
/// alignment and `a`'s alignments with the other groups' texts.
fn judge<'a>(
    a: &Text,
    b: &Text,
    alignment: &Alignment,
    with_others: impl Iterator<Item = &'a Alignment>,
    same_source: bool,
) -> Verification {
    // Words of `a` that two or more other groups' texts also have aligned:
    // template or boilerplate. (One other group may be a roundup quoting the
    // same story; two that are not copies of each other make it a template.)
    let mut template = vec![0u8; a.len()];
    for with_other in with_others {
        for (t, c) in template.iter_mut().zip(&with_other.a_covered) {
            *t = t.saturating_add(u8::from(*c));
        }
    }
    let n = a.len().max(1) as f64;
    let mut passage_words = 0;
    let mut own_aligned = 0;
    let mut aligned_words = 0;
    let mut longest = 0;
    for &(start, _, len) in &alignment.runs {
        aligned_words += len;
        longest = longest.max(len);
        let own = (start..start + len).filter(|&k| template[k] < 2).count();
        own_aligned += own;
        if len >= PASSAGE_WORDS {
            passage_words += own;
        }
    }
    let template_words = template.iter().filter(|&&t| t >= 2).count();
    // Judged on the text that is its own: aligned own words over own words,
    // with at least MIN_OWN_WORDS of them to go on.
    // Words replaced between two runs that follow each other in both texts:
    // a template's slots (other places, other values) are filled with other
    // words on both sides; an edited copy mostly adds or drops words.
    let substituted: usize = alignment
        .runs
        .windows(2)
        .filter_map(|w| {
            let (a1, b1, l1) = w[0];
            let (a2, b2, _) = w[1];
            let gap_a = a2.checked_sub(a1 + l1)?;
            let gap_b = b2.checked_sub(b1 + l1)?;
            (gap_a > 0 && gap_b > 0).then(|| gap_a.min(gap_b))
        })
        .sum();
    let own_words = a.len() - template_words;
    let aligned = if template_words == 0 {
        aligned_words as f64 / n
    } else {
        own_aligned as f64 / own_words.max(MIN_OWN_WORDS) as f64
    };
    let similarity = (aligned - substituted as f64 / n).max(0.0);
    // The first passage, not the first run: a stock phrase of a few words
    // may sit anywhere.
    let first_start = |min_len: usize| {
        alignment
            .runs
            .iter()
            .filter(|&&(_, _, len)| len >= min_len)
            .map(|&(_, start, _)| start)
            .min()
    };
    let longer_start = first_start(PASSAGE_WORDS)
        .or_else(|| first_start(SEED_WORDS))
        .map_or(1.0, |start| start as f64 / b.len().max(1) as f64);
    let lead_a = share(&alignment.a_covered, 0..a.len().min(LEAD_WORDS));
    let lead_b = share(&alignment.b_covered, 0..b.len().min(LEAD_WORDS));
    let numbers_shared = a.numbers.intersection(&b.numbers).count();
    let title_similarity = (!a.title.is_empty() && !b.title.is_empty()).then(|| {
        let inter = a.title.intersection(&b.title).count();
        inter as f64 / (a.title.len() + b.title.len() - inter) as f64
    });
    let evidence = Evidence {
        compared_with: String::new(),
        aligned_share: round3(aligned_words as f64 / n),
        passage_share: round3(passage_words as f64 / n),
        longest_passage: longest,
        lead_share: round3(lead_a),
        longer_lead_share: round3(lead_b),
        numbers: a.numbers.len(),
        numbers_shared,
        title_similarity: title_similarity.map(round3),
        template_share: round3(template_words as f64 / n),
        same_source,
        substituted_share: round3(substituted as f64 / n),
        shorter_words: a.len(),
        longer_words: b.len(),
    };
    // Two editions of a daily text name other days; a copy keeps its day.
    let other_day = a.days != 0 && b.days != 0 && a.days & b.days == 0;
    let threshold = if same_source {
        SAME_SOURCE_THRESHOLD
    } else if other_day {
        OTHER_DAY_THRESHOLD
    } else {
        THRESHOLD
    };
    let rank = aligned_words as f64 / b.len().max(1) as f64;
    // A roundup holds the shorter text as one of its items, after its main
    // story; the shorter text is not a copy of the roundup, nor is the
    // roundup a copy of it (its other items would follow it into the group).
    let roundup_item = rank < ROUNDUP_SHARE
        && longer_start >= ROUNDUP_START
        && longer_start * b.len() as f64 >= ROUNDUP_START_WORDS as f64;
    let copy = a.judgeable()
        && !roundup_item
        && similarity >= threshold
        && (!same_source || evidence.passage_share >= SAME_SOURCE_PASSAGES);
    Verification {
        copy,
        similarity,
        threshold,
        // Of two candidates that both contain the text, the one of about its
        // size (a copy) wins over a longer roundup that quotes it.
        rank,
        longer_start,
        evidence,
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "The central bank raised its main interest rate by half a point on Tuesday, \
        the third increase this year, saying inflation was still far above its target of 2 percent.\n\
        The governor told reporters that further rises could not be ruled out if prices \
        kept climbing through the summer, and that the board had voted 7 to 2 for the move.\n\
        Markets had expected a smaller move, and the currency rose sharply against the \
        dollar after the announcement, gaining 1.4 percent by the close of trading.\n\
        Economists said the decision showed the bank was willing to risk slower growth to \
        bring prices down, though several warned that households with large mortgages would \
        feel the increase within weeks.";

    fn text(body: &str) -> Text {
        Text::new(None, body)
    }

    #[test]
    fn a_copy_cut_to_its_first_half_under_a_new_headline_is_a_copy() {
        let cut: String = STORY.lines().take(2).collect::<Vec<_>>().join("\n");
        let v = verify(
            &Text::new(Some("Rates up again"), &cut),
            &Text::new(Some("Central bank raises its main rate"), STORY),
            &[],
            false,
        );
        assert!(v.copy, "{v:?}");
        assert_eq!(v.evidence.aligned_share, 1.0);
        assert_eq!(v.evidence.lead_share, 1.0);
        assert!(v.evidence.title_similarity.unwrap() < 0.3);
        // A cut is scored on the shorter text: its rank (share of the longer) is lower.
        assert!(v.rank < 0.7, "{v:?}");
    }

    #[test]
    fn a_re_led_copy_with_digits_in_another_script_is_a_copy() {
        let body: Vec<&str> = STORY.lines().collect();
        let re_led = format!(
            "Borrowing got dearer again for millions of households this week.\n{}",
            body[1..].join("\n").replace('7', "٧").replace('2', "٢")
        );
        let v = verify(&text(&re_led), &text(STORY), &[], false);
        assert!(v.copy, "{v:?}");
        assert!(
            v.evidence.longer_lead_share < 0.5,
            "the original lead is gone: {v:?}"
        );
        assert_eq!(v.evidence.numbers_shared, v.evidence.numbers);
    }

    #[test]
    fn the_same_event_written_separately_is_not_a_copy() {
        let other = "Policymakers lifted borrowing costs for the third time this year on Tuesday, \
            adding half a percentage point as inflation stayed well above the 2 percent goal.\n\
            Speaking after the meeting, the governor said more increases were possible if prices \
            did not slow over the summer; two of the nine board members voted against.\n\
            The currency jumped against the dollar, and analysts said mortgage holders would soon \
            pay more, while growth could slow in the months ahead.";
        let v = verify(&text(other), &text(STORY), &[], false);
        assert!(!v.copy, "{v:?}");
        assert!(v.similarity < 0.3, "{v:?}");
    }

    /// A bulletin written from one template every day: fixed phrases, new values.
    fn bulletin(day: &str, sky: &str, places: &str, wind: &str, waves: &str) -> String {
        format!(
            "The national weather service said in its report for {day} that the sky would be \
             {sky} over the eastern and central regions and mild on the heights, with reduced \
             visibility from dust over {places}.\n\
             The report said surface winds over the Red Sea would blow {wind} at 15 to 35 km/h, \
             with waves of {waves} and a moderate sea, while winds over the Gulf would blow \
             northeasterly at 15 to 35 km/h with waves of one to one and a half metres."
        )
    }

    #[test]
    fn two_bulletins_of_one_template_from_one_source_are_not_copies() {
        let monday = bulletin(
            "Monday",
            "very hot",
            "Riyadh, Mecca, Medina and Jazan",
            "southwesterly turning northwesterly",
            "one metre",
        );
        let tuesday = bulletin(
            "Tuesday",
            "hot and partly cloudy",
            "the southern coast and the mountains of Asir",
            "westerly on the northern parts",
            "one to two metres",
        );
        let v = verify(&text(&tuesday), &text(&monday), &[], true);
        assert!(!v.copy, "{v:?}");
        assert!(v.evidence.same_source);
        // The same pair from two papers is judged on its aligned share alone.
        assert!(v.similarity < SAME_SOURCE_THRESHOLD, "{v:?}");
    }

    #[test]
    fn text_other_groups_share_too_is_template_and_counts_for_less() {
        let day = |d: &str, p: &str| bulletin(d, "hot", p, "westerly", "one metre");
        let (mon, tue, wed) = (
            day("Monday", "Riyadh and Jazan"),
            day("Tuesday", "Mecca and Asir"),
            day("Wednesday", "the eastern coast"),
        );
        let thursday = day("Thursday", "Medina and Tabuk");
        let alone = verify(&text(&thursday), &text(&mon), &[], false);
        let guarded = verify(
            &text(&thursday),
            &text(&mon),
            &[&text(&tue), &text(&wed)],
            false,
        );
        assert!(
            alone.copy,
            "without other groups the template looks like a copy: {alone:?}"
        );
        assert!(!guarded.copy, "{guarded:?}");
        assert!(guarded.evidence.template_share > 0.8, "{guarded:?}");
    }

    #[test]
    fn a_story_that_is_a_later_item_of_a_roundup_is_not_a_copy_of_it() {
        // The roundup's main story comes first and is longer than the story.
        let main_story: String = (0..170)
            .map(|i| format!("item{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let roundup = format!("{main_story}\n{STORY}");
        let v = verify(&text(STORY), &text(&roundup), &[], false);
        assert!(v.similarity >= THRESHOLD, "all of it is inside: {v:?}");
        assert!(v.longer_start > ROUNDUP_START, "{v:?}");
        assert!(!v.copy, "{v:?}");
        // The story as the longer text's main story, an unrelated item after
        // it, is a copy; so is one under a new lead of a few lines.
        let appended = format!("{STORY}\n{main_story}");
        assert!(verify(&text(STORY), &text(&appended), &[], false).copy);
        let new_lead: String = main_story.split(' ').take(40).collect::<Vec<_>>().join(" ");
        let re_led = format!("{new_lead}\n{STORY}\n{main_story}");
        let v = verify(&text(STORY), &text(&re_led), &[], false);
        assert!(v.copy, "{v:?}");
    }

    #[test]
    fn seed_positions_keep_the_first_of_each_seed_in_order() {
        // A phrase of 4 words repeated 10 times, between other words.
        let mut words = Vec::new();
        for k in 0..10u64 {
            words.extend([1, 2, 3, 4, 100 + k]);
        }
        let positions = SeedPositions::of(&words);
        let repeated: Vec<usize> = positions.get(seed(&[1, 2, 3, 4])).collect();
        assert_eq!(
            repeated,
            (0..SEED_POSITIONS).map(|k| 5 * k).collect::<Vec<_>>()
        );
        assert_eq!(
            positions.get(seed(&[2, 3, 4, 109])).collect::<Vec<_>>(),
            [46]
        );
        assert_eq!(positions.get(seed(&[4, 3, 2, 1])).count(), 0);
        assert_eq!(
            SeedPositions::of(&[1, 2, 3]).get(seed(&[1, 2, 3])).count(),
            0
        );
    }

    #[test]
    fn texts_too_short_to_judge_are_never_copies() {
        let caption = "The governor speaks to reporters after the board raised its main rate.";
        let v = verify(&text(caption), &text(caption), &[], false);
        assert!(!text(caption).judgeable());
        assert_eq!(v.similarity, 1.0);
        assert!(!v.copy);
    }
}
