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

/// The normalized weekday names' hashes and their days, behind a filter
/// of their top bits: nearly every word of a text is looked up, and the
/// filter turns away all but about one in fifty without the hash map.
struct Weekdays {
    /// Bit `hash >> 54` (1,024 bits) set for each name's hash.
    filter: [u64; 16],
    days: FxHashMap<u64, u8>,
}

impl Weekdays {
    fn filter_bit(hash: u64) -> usize {
        (hash >> 54) as usize
    }

    fn day(&self, hash: u64) -> Option<u8> {
        let bit = Self::filter_bit(hash);
        if self.filter[bit / 64] >> (bit % 64) & 1 == 0 {
            return None;
        }
        self.days.get(&hash).copied()
    }
}

fn weekdays() -> &'static Weekdays {
    static WEEKDAYS_OF: std::sync::OnceLock<Weekdays> = std::sync::OnceLock::new();
    WEEKDAYS_OF.get_or_init(|| {
        let mut weekdays = Weekdays {
            filter: [0; 16],
            days: FxHashMap::default(),
        };
        for (day, names) in WEEKDAYS.iter().enumerate() {
            for name in *names {
                for_each_word(name, |hash, _| {
                    weekdays.days.insert(hash, day as u8);
                    let bit = Weekdays::filter_bit(hash);
                    weekdays.filter[bit / 64] |= 1 << (bit % 64);
                });
            }
        }
        weekdays
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
        let weekdays = weekdays();
        let days = words
            .iter()
            .filter_map(|&w| weekdays.day(w))
            .fold(0u8, |days, day| days | (1 << day));
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

/// A greedy alignment of the shorter text `a` against the longer `b`: its
/// runs, and where the scan stopped when it was given up (see
/// [`Pairing::copy`]).
struct Alignment {
    /// `(start in a, start in b, length)` of every run, in the order of `a`.
    /// Runs never overlap in `a` (the scan moves past each), so the words of
    /// `a` inside a run are exactly those the runs cover; in `b` they may.
    runs: Vec<(usize, usize, usize)>,
    /// Where the scan of `a` goes on: `None` once it reached the end.
    resume_at: Option<usize>,
    /// Words of `a` in runs so far ...
    aligned_words: usize,
    /// ... of them, words in runs of at least [`PASSAGE_WORDS`] ...
    passage_words: usize,
    /// ... and words substituted between consecutive runs so far (as
    /// [`judge`] counts them: runs are only appended, so this only grows).
    substituted: usize,
}

impl Alignment {
    fn new(a_len: usize) -> Self {
        Self {
            // At most one run in every SEED_WORDS words.
            runs: Vec::with_capacity(a_len / SEED_WORDS + 1),
            resume_at: Some(0),
            aligned_words: 0,
            passage_words: 0,
            substituted: 0,
        }
    }

    fn push(&mut self, run: (usize, usize, usize)) {
        if let Some(&(a1, b1, l1)) = self.runs.last() {
            let (a2, b2, _) = run;
            if let (Some(gap_a), Some(gap_b)) = (a2.checked_sub(a1 + l1), b2.checked_sub(b1 + l1))
                && gap_a > 0
                && gap_b > 0
            {
                self.substituted += gap_a.min(gap_b);
            }
        }
        let len = run.2;
        self.aligned_words += len;
        if len >= PASSAGE_WORDS {
            self.passage_words += len;
        }
        self.runs.push(run);
    }

    /// Words of `a` in runs within `range` (runs do not overlap in `a`).
    fn a_covered_in(&self, range: std::ops::Range<usize>) -> usize {
        self.runs
            .iter()
            .map(|&(start, _, len)| {
                let from = start.max(range.start);
                let to = (start + len).min(range.end);
                to.saturating_sub(from)
            })
            .sum()
    }

    /// Words of `b`'s first `lead` (at most [`LEAD_WORDS`]) that some run covers.
    fn b_lead_covered(&self, lead: usize) -> usize {
        let mut covered = [false; LEAD_WORDS];
        for &(_, start, len) in &self.runs {
            if start < lead {
                covered[start..(start + len).min(lead)].fill(true);
            }
        }
        covered.iter().filter(|&&c| c).count()
    }
}

/// Share of `count` words in a range of `len` (0 for an empty range), as
/// the share of covered words of that range.
fn share_of(count: usize, len: usize) -> f64 {
    if len == 0 {
        return 0.0;
    }
    count as f64 / len as f64
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

/// Goes on with the greedy alignment of `a` against `b` (whose seed
/// positions are `positions`) from where it stopped, to the end of `a` or
/// until `hopeless` says that, whatever the rest of `a` holds, the pair
/// cannot be a copy: it is told where the scan is and what is aligned so far.
fn align(
    a: &[u64],
    b: &[u64],
    positions: &SeedPositions,
    alignment: &mut Alignment,
    hopeless: impl Fn(usize, &Alignment) -> bool,
) {
    let Some(mut i) = alignment.resume_at else {
        return;
    };
    while i + SEED_WORDS <= a.len() {
        if hopeless(i, alignment) {
            alignment.resume_at = Some(i);
            return;
        }
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
                alignment.push((i, p, len));
                i += len;
            }
            _ => i += 1,
        }
    }
    alignment.resume_at = None;
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

    /// Goes on with the alignment of text `a` against text `b` (begun
    /// unless begun) until `hopeless` or its end; whether it reached the end.
    fn align(&mut self, a: usize, b: usize, hopeless: impl Fn(usize, &Alignment) -> bool) -> bool {
        let at = match self
            .alignments
            .iter()
            .position(|&(x, y, _)| (x, y) == (a, b))
        {
            Some(at) => at,
            None => {
                let alignment = Alignment::new(self.texts[a].len());
                self.alignments.push((a, b, alignment));
                self.alignments.len() - 1
            }
        };
        let b_words = &self.texts[b].words;
        let positions = self.positions[b].get_or_insert_with(|| SeedPositions::of(b_words));
        let alignment = &mut self.alignments[at].2;
        align(
            &self.texts[a].words,
            b_words,
            positions,
            alignment,
            hopeless,
        );
        alignment.resume_at.is_none()
    }

    fn alignment(&self, a: usize, b: usize) -> &Alignment {
        self.alignments
            .iter()
            .find(|&&(x, y, _)| (x, y) == (a, b))
            .map(|(_, _, alignment)| alignment)
            .expect("aligned before")
    }

    /// The shorter and the longer of two texts, by index.
    fn ordered(&self, x: usize, candidate: usize) -> (usize, usize) {
        if self.texts[x].len() <= self.texts[candidate].len() {
            (x, candidate)
        } else {
            (candidate, x)
        }
    }

    /// [`verify`] of the texts at these indexes.
    pub fn verify(
        &mut self,
        x: usize,
        candidate: usize,
        others: &[usize],
        same_source: bool,
    ) -> Verification {
        let (a, b) = self.ordered(x, candidate);
        self.align(a, b, |_, _| false);
        for &other in others {
            self.align(a, other, |_, _| false);
        }
        self.judge(a, b, others, same_source)
    }

    /// [`Pairing::verify`] of the texts at these indexes when they are
    /// copies, `None` when they are not: the same verdict, but the
    /// alignment of the pair is given up as soon as the part of the shorter
    /// text left to align could no longer make it a copy (it is taken up
    /// again where it stopped if another pair needs it). A pair of one
    /// source whose runs make no passage (the bench's generated articles
    /// are all of one source) is given up once a fifth of the shorter text
    /// has gone by.
    pub fn copy(
        &mut self,
        x: usize,
        candidate: usize,
        others: &[usize],
        same_source: bool,
    ) -> Option<Verification> {
        let (a, b) = self.ordered(x, candidate);
        let (a_text, b_text) = (self.texts[a], self.texts[b]);
        if !a_text.judgeable() {
            return None;
        }
        let n = a_text.len().max(1) as f64;
        let a_len = a_text.len();
        // Every bound below holds for the alignment's end because words
        // can only be added to runs and passages, and substitutions only
        // added, by the rest of the scan; float division, subtraction and
        // rounding are monotone, so the bound computed as `judge` computes
        // the figure is never below it.
        //
        // A copy of the same source needs SAME_SOURCE_PASSAGES of the
        // shorter text in passages: template words only lower that share.
        let least_passage_words = if same_source {
            least_count(a_len, |m| round3(m as f64 / n) >= SAME_SOURCE_PASSAGES)?
        } else {
            0
        };
        // Without other groups' texts there is no template, and the
        // similarity is the aligned share less the substituted share.
        let threshold = threshold_of(a_text, b_text, same_source);
        let no_template = others.is_empty();
        let hopeless = |i: usize, so_far: &Alignment| {
            let left = a_len - i;
            if so_far.passage_words + left < least_passage_words {
                return true;
            }
            // Checked now and then: the float bound costs more.
            no_template
                && i.is_multiple_of(16)
                && ((so_far.aligned_words + left) as f64 / n - so_far.substituted as f64 / n)
                    .max(0.0)
                    < threshold
        };
        if !self.align(a, b, hopeless) {
            return None;
        }
        for &other in others {
            self.align(a, other, |_, _| false);
        }
        let verification = self.judge(a, b, others, same_source);
        verification.copy.then_some(verification)
    }

    fn judge(&self, a: usize, b: usize, others: &[usize], same_source: bool) -> Verification {
        judge(
            self.texts[a],
            self.texts[b],
            self.alignment(a, b),
            others.iter().map(|&other| self.alignment(a, other)),
            same_source,
        )
    }
}

/// The least `m` of `0..=len` for which `reaches(m)`, which once true stays
/// true for every larger `m`; `None` when it never is.
fn least_count(len: usize, reaches: impl Fn(usize) -> bool) -> Option<usize> {
    let (mut low, mut high) = (0, len + 1);
    while low < high {
        let middle = low + (high - low) / 2;
        if reaches(middle) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    (low <= len).then_some(low)
}

/// The similarity the shorter text `a` and the longer `b` must reach to be
/// copies.
fn threshold_of(a: &Text, b: &Text, same_source: bool) -> f64 {
    // Two editions of a daily text name other days; a copy keeps its day.
    let other_day = a.days != 0 && b.days != 0 && a.days & b.days == 0;
    if same_source {
        SAME_SOURCE_THRESHOLD
    } else if other_day {
        OTHER_DAY_THRESHOLD
    } else {
        THRESHOLD
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
        for &(start, _, len) in &with_other.runs {
            for t in &mut template[start..start + len] {
                *t = t.saturating_add(1);
            }
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
    let lead_a = share_of(
        alignment.a_covered_in(0..a.len().min(LEAD_WORDS)),
        a.len().min(LEAD_WORDS),
    );
    let lead_b = share_of(
        alignment.b_lead_covered(b.len().min(LEAD_WORDS)),
        b.len().min(LEAD_WORDS),
    );
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
    let threshold = threshold_of(a, b, same_source);
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

    /// A text of `words` words drawn from a vocabulary of `vocabulary`
    /// words (xorshift from `seed`), in lines of 12: like the bench's
    /// generated articles, two such texts share many short runs.
    fn random_text(seed: u64, words: usize, vocabulary: u64) -> Text {
        let mut state = seed | 1;
        let body: Vec<String> = (0..words)
            .map(|k| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let word = format!("w{}", state % vocabulary);
                if k % 12 == 11 { word + "\n" } else { word }
            })
            .collect();
        text(&body.join(" "))
    }

    /// `copy` must give `verify`'s verdict, and its verification, for every
    /// pair, with and without other groups' texts and of one source or two;
    /// with one pairing for all candidates, as the stage verifies them, an
    /// alignment given up for one candidate is taken up again for the next.
    fn assert_copy_agrees(texts: &[&Text]) {
        for same_source in [false, true] {
            for with_others in [false, true] {
                let mut pairing = Pairing::new(texts.to_vec());
                for candidate in 1..texts.len() {
                    let others: Vec<usize> = (1..texts.len())
                        .filter(|&o| with_others && o != candidate)
                        .collect();
                    let full =
                        Pairing::new(texts.to_vec()).verify(0, candidate, &others, same_source);
                    let quick = pairing.copy(0, candidate, &others, same_source);
                    assert_eq!(
                        quick,
                        full.copy.then_some(full),
                        "{candidate} {others:?} {same_source}"
                    );
                }
            }
        }
    }

    #[test]
    fn copy_gives_up_only_on_pairs_that_are_not_copies() {
        let story = text(STORY);
        let cut = text(&STORY.lines().take(2).collect::<Vec<_>>().join("\n"));
        let day = |d: &str, p: &str| text(&bulletin(d, "hot", p, "westerly", "one metre"));
        let (mon, tue, wed) = (
            day("Monday", "Riyadh and Jazan"),
            day("Tuesday", "Mecca and Asir"),
            day("Wednesday", "the eastern coast"),
        );
        assert_copy_agrees(&[&cut, &story, &mon, &tue]);
        assert_copy_agrees(&[&mon, &tue, &wed, &story]);
        assert_copy_agrees(&[&story, &cut]);
        // Small vocabularies: many runs, some of them passages.
        for vocabulary in [3, 6, 12, 40] {
            let texts: Vec<Text> = (0..4)
                .map(|k| random_text(vocabulary * 10 + k, 150 + 60 * k as usize, vocabulary))
                .collect();
            assert_copy_agrees(&texts.iter().collect::<Vec<_>>());
        }
        // A copy with a new lead, another with a changed end: still copies.
        let long = random_text(7, 400, 1000);
        let mut edited = long.clone();
        edited.words.splice(0..5, [1, 2, 3, 4, 5]);
        let mut cut_end = long.clone();
        cut_end.words.truncate(300);
        assert_copy_agrees(&[&edited, &long, &cut_end]);
        assert!(
            Pairing::new(vec![&edited, &long])
                .copy(0, 1, &[], true)
                .is_some()
        );
        // Unrelated texts of one source are given up early, and the
        // alignment is finished when it is needed as another pair's witness.
        let other = random_text(8, 400, 1000);
        let mut pairing = Pairing::new(vec![&long, &other, &edited]);
        assert!(pairing.copy(0, 1, &[], true).is_none());
        assert!(pairing.alignment(0, 1).resume_at.is_some());
        assert!(pairing.copy(0, 2, &[1], true).is_some());
        assert!(pairing.alignment(0, 1).resume_at.is_none());
    }

    #[test]
    fn least_count_is_the_first_count_that_reaches() {
        assert_eq!(least_count(10, |m| m >= 4), Some(4));
        assert_eq!(least_count(10, |_| true), Some(0));
        assert_eq!(least_count(10, |m| m >= 10), Some(10));
        assert_eq!(least_count(10, |m| m > 10), None);
        assert_eq!(least_count(0, |m| m >= 1), None);
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
