//! The duplicate index: fingerprints applied one by one, in the order of the
//! fingerprint stream, each getting its verdict from those before it.
//!
//! The verdict of a fingerprint depends only on the fingerprints stored
//! before it in the stream (their order, content and timestamps) and on
//! [`IndexSettings`]. Every replica applies the same stream in the same order,
//! so every replica, and every restart that rebuilds from the stream, reaches
//! the same verdict for the same fingerprint. Nothing else is needed to settle
//! a race between two copies processed at the same instant: the stream orders
//! their fingerprints (JetStream assigns each append its sequence
//! atomically), and the later one is the duplicate.
//!
//! Two lookups give the verdict, in this order:
//!
//! * **exact**: the normalized-words key of every text in the window, with
//!   the group that text joined; a copy joins the same group.
//! * **near**: LSH bands over the MinHash sketches. Every fingerprint (head or
//!   copy) is indexed with the head of its group: a new text matching any
//!   member joins that group and names its head, so a copy is found even when
//!   it resembles another copy more than the head.

use std::collections::VecDeque;
use std::sync::Arc;

use newsflow_core::contracts::DuplicateMethod;
use rustc_hash::FxHashMap;

use crate::sketch::{BANDS, Fingerprint, Sketch};

/// What decides a duplicate and how much the index keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexSettings {
    /// Look for near-copies; `false` finds exact copies only.
    pub near: bool,
    /// Score (see [`crate::sketch::Similarity::score`]) from which a text is a near-copy.
    pub threshold: f64,
    /// Milliseconds a fingerprint is compared against after it was stored.
    pub window_ms: i64,
    /// Most texts held in memory, for each of the exact and the near
    /// lookups; the oldest go first beyond it.
    pub capacity: usize,
}

/// The verdict of one fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexVerdict {
    /// Starts its own group.
    Unique,
    /// A copy of an article of the group whose head (earliest article) is `of`.
    Duplicate {
        of: Arc<str>,
        method: DuplicateMethod,
        /// 1 for an exact copy of the head; otherwise the near-copy score
        /// against the closest member (an exact copy of a near-copy keeps
        /// that near-copy's score and method).
        similarity: f64,
    },
}

/// What [`DupIndex::apply`] gives a fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub verdict: IndexVerdict,
    /// The same input message appended a fingerprint before (a redelivery):
    /// the verdict is the one that fingerprint got.
    pub redelivered: bool,
    /// The same article id came before in another message (a resend, or a
    /// new version of the article) with the same or similar text: the
    /// article is not a copy of itself, and keeps the verdict its id had.
    pub resend: bool,
}

/// A text indexed for near lookups, and the head of its group.
struct Member {
    head_id: Arc<str>,
    sketch: Sketch,
    at_ms: i64,
}

/// The first text in the window with a given exact key.
struct ExactHolder {
    source_seq: u64,
    at_ms: i64,
    /// The verdict that text got: `Unique` makes it the head, named by `id`.
    verdict: IndexVerdict,
    id: Arc<str>,
}

/// See the module documentation.
///
/// Memory per text is what bounds a replica (deploy/README.md, "Sizing"):
/// band entries hold 32-bit member numbers, and keys are hashed with
/// FxHash, since MinHash minima are already uniformly distributed.
pub struct DupIndex {
    settings: IndexSettings,
    members: VecDeque<Member>,
    /// Number of `members[0]`; numbers grow by one per member.
    first_number: u64,
    /// Per band: key → number of the latest member with that key, modulo
    /// 2^32 (fewer than 2^32 members are ever held, so it is unambiguous).
    bands: Vec<FxHashMap<u32, u32>>,
    exact: FxHashMap<u64, ExactHolder>,
    /// Exact keys in the order they were taken, with their holder's sequence.
    exact_order: VecDeque<(u64, u64)>,
}

impl DupIndex {
    pub fn new(settings: IndexSettings) -> Self {
        Self {
            settings,
            members: VecDeque::new(),
            first_number: 0,
            bands: (0..BANDS).map(|_| FxHashMap::default()).collect(),
            exact: FxHashMap::default(),
            exact_order: VecDeque::new(),
        }
    }

    pub fn settings(&self) -> &IndexSettings {
        &self.settings
    }

    /// Texts in memory for near lookups.
    pub fn members(&self) -> usize {
        self.members.len()
    }

    /// Texts in memory for exact lookups.
    pub fn exact_keys(&self) -> usize {
        self.exact.len()
    }

    /// Applies the next fingerprint of the stream, stored at `at_ms` (Unix
    /// milliseconds), and returns its verdict. A second fingerprint of the
    /// same input message (a redelivery: same `source_seq`, same text) finds
    /// its own exact key and gets the verdict of the first.
    pub fn apply(&mut self, fingerprint: Fingerprint, at_ms: i64) -> Applied {
        self.expire(at_ms);
        if let Some(holder) = self.exact.get(&fingerprint.exact) {
            let redelivered = holder.source_seq == fingerprint.source_seq;
            let resend = !redelivered && *holder.id == *fingerprint.id;
            let verdict = match &holder.verdict {
                IndexVerdict::Unique if redelivered || resend => IndexVerdict::Unique,
                IndexVerdict::Unique => IndexVerdict::Duplicate {
                    of: holder.id.clone(),
                    method: DuplicateMethod::Exact,
                    similarity: 1.0,
                },
                joined => joined.clone(),
            };
            return Applied {
                verdict,
                redelivered,
                resend,
            };
        }
        let (verdict, resend) = match self.best_match(&fingerprint.sketch) {
            // A new version of an article that heads its own group.
            Some((member, _)) if *member.head_id == *fingerprint.id => (IndexVerdict::Unique, true),
            Some((member, similarity)) => (
                IndexVerdict::Duplicate {
                    of: member.head_id.clone(),
                    method: DuplicateMethod::Near,
                    similarity,
                },
                false,
            ),
            None => (IndexVerdict::Unique, false),
        };
        let id: Arc<str> = fingerprint.id.into();
        if self.settings.near && fingerprint.sketch.comparable() {
            let head_id = match &verdict {
                IndexVerdict::Unique => id.clone(),
                IndexVerdict::Duplicate { of, .. } => of.clone(),
            };
            self.insert(head_id, fingerprint.sketch, at_ms);
        }
        self.insert_exact(
            fingerprint.exact,
            ExactHolder {
                source_seq: fingerprint.source_seq,
                at_ms,
                verdict: verdict.clone(),
                id,
            },
        );
        Applied {
            verdict,
            redelivered: false,
            resend,
        }
    }

    /// The most similar member at or above the threshold (the earliest on ties).
    fn best_match(&self, sketch: &Sketch) -> Option<(&Member, f64)> {
        if !self.settings.near || !sketch.comparable() {
            return None;
        }
        let mut seen: Vec<u64> = Vec::with_capacity(8);
        let mut best: Option<(u64, &Member, f64)> = None;
        for (band, key) in sketch.band_keys().iter().enumerate() {
            let Some(&stored) = self.bands[band].get(key) else {
                continue;
            };
            let number = self.unwrap_number(stored);
            if seen.contains(&number) {
                continue;
            }
            seen.push(number);
            let Some(member) = self.member(number) else {
                continue;
            };
            let score = sketch.compare(&member.sketch).score();
            if score < self.settings.threshold {
                continue;
            }
            let better = match best {
                None => true,
                Some((best_number, _, best_score)) => {
                    score > best_score || (score == best_score && number < best_number)
                }
            };
            if better {
                best = Some((number, member, score));
            }
        }
        best.map(|(_, member, score)| (member, score))
    }

    /// The full member number of a band entry's 32 bits.
    fn unwrap_number(&self, stored: u32) -> u64 {
        // Truncation intended: band entries keep the low 32 bits.
        let offset = stored.wrapping_sub(self.first_number as u32);
        self.first_number + u64::from(offset)
    }

    fn member(&self, number: u64) -> Option<&Member> {
        let offset = number.checked_sub(self.first_number)?;
        self.members.get(usize::try_from(offset).ok()?)
    }

    fn insert(&mut self, head_id: Arc<str>, sketch: Sketch, at_ms: i64) {
        while self.members.len() >= self.settings.capacity.max(1) {
            self.evict_oldest();
        }
        let number = self.first_number + self.members.len() as u64;
        for (band, key) in sketch.band_keys().into_iter().enumerate() {
            // The latest member wins a shared key: older ones stay reachable
            // through their other bands.
            self.bands[band].insert(key, number as u32);
        }
        self.members.push_back(Member {
            head_id,
            sketch,
            at_ms,
        });
    }

    fn insert_exact(&mut self, key: u64, holder: ExactHolder) {
        while self.exact_order.len() >= self.settings.capacity.max(1) {
            self.evict_oldest_exact();
        }
        self.exact_order.push_back((key, holder.source_seq));
        self.exact.insert(key, holder);
    }

    fn evict_oldest(&mut self) {
        if let Some(member) = self.members.pop_front() {
            let number = self.first_number as u32;
            for (band, key) in member.sketch.band_keys().into_iter().enumerate() {
                if self.bands[band].get(&key) == Some(&number) {
                    self.bands[band].remove(&key);
                }
            }
            self.first_number += 1;
        }
    }

    fn evict_oldest_exact(&mut self) {
        if let Some((key, source_seq)) = self.exact_order.pop_front() {
            // The key may have expired and been taken again by a later text.
            if self
                .exact
                .get(&key)
                .is_some_and(|h| h.source_seq == source_seq)
            {
                self.exact.remove(&key);
            }
        }
    }

    /// Forgets what is older than the window before `now_ms`.
    fn expire(&mut self, now_ms: i64) {
        let oldest = now_ms.saturating_sub(self.settings.window_ms);
        while self.members.front().is_some_and(|m| m.at_ms < oldest) {
            self.evict_oldest();
        }
        while let Some(&(key, source_seq)) = self.exact_order.front() {
            let live = self.exact.get(&key).filter(|h| h.source_seq == source_seq);
            if live.is_some_and(|h| h.at_ms >= oldest) {
                break;
            }
            self.evict_oldest_exact();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shingle::analyze;

    const SETTINGS: IndexSettings = IndexSettings {
        near: true,
        threshold: 0.7,
        window_ms: 3_600_000,
        capacity: 100,
    };

    fn story(n: usize, words: usize) -> String {
        (0..words)
            .map(|i| format!("w{}x{}", (i * 7919 + n * 104_729) % 1_000_003, n))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn fp(seq: u64, id: &str, text: &str) -> Fingerprint {
        Fingerprint {
            source_seq: seq,
            id: id.into(),
            exact: analyze(text).exact,
            sketch: Sketch::of_text(text),
        }
    }

    fn apply(index: &mut DupIndex, fingerprint: Fingerprint, at_ms: i64) -> IndexVerdict {
        index.apply(fingerprint, at_ms).verdict
    }

    fn duplicate_of(verdict: &IndexVerdict) -> Option<(&str, DuplicateMethod)> {
        match verdict {
            IndexVerdict::Duplicate { of, method, .. } => Some((of, *method)),
            IndexVerdict::Unique => None,
        }
    }

    #[test]
    fn a_near_copy_points_at_the_head_and_a_copy_of_the_copy_too() {
        let mut index = DupIndex::new(SETTINGS);
        let original = story(1, 200);
        let copy = format!("{} extra words at the end of it", original);
        let cut = original.split(' ').take(150).collect::<Vec<_>>().join(" ");
        assert_eq!(
            apply(&mut index, fp(1, "a", &original), 0),
            IndexVerdict::Unique
        );
        assert_eq!(
            apply(&mut index, fp(2, "z", &story(2, 200)), 1),
            IndexVerdict::Unique
        );
        for (seq, text) in [(3, &copy), (4, &cut)] {
            match apply(&mut index, fp(seq, "b", text), 2) {
                IndexVerdict::Duplicate {
                    of,
                    similarity,
                    method,
                    ..
                } => {
                    assert_eq!((&*of, method), ("a", DuplicateMethod::Near));
                    assert!(similarity >= 0.7);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(index.members(), 4);
        // An exact copy of the near-copy joins the same group, with its score.
        let again = apply(&mut index, fp(5, "c", &copy.to_uppercase()), 3);
        assert_eq!(duplicate_of(&again), Some(("a", DuplicateMethod::Near)));
        assert_eq!(index.members(), 4, "exact copies add nothing to compare");
    }

    #[test]
    fn an_exact_copy_names_the_first_text_even_when_short() {
        let mut index = DupIndex::new(SETTINGS);
        assert_eq!(
            apply(&mut index, fp(1, "a", "Short note."), 0),
            IndexVerdict::Unique
        );
        let copy = apply(&mut index, fp(2, "b", "SHORT   note!"), 1);
        assert_eq!(
            copy,
            IndexVerdict::Duplicate {
                of: "a".into(),
                method: DuplicateMethod::Exact,
                similarity: 1.0
            }
        );
        assert_eq!(
            index.members(),
            0,
            "short texts are not compared for near copies"
        );
    }

    #[test]
    fn a_resend_of_the_same_article_is_not_a_copy_of_itself() {
        let mut index = DupIndex::new(SETTINGS);
        let text = story(1, 100);
        assert_eq!(
            index.apply(fp(7, "a", &text), 0).verdict,
            IndexVerdict::Unique
        );
        // The same id and text in a later message (a crawler's re-run).
        let resent = index.apply(fp(90, "a", &text), 5);
        assert_eq!(resent.verdict, IndexVerdict::Unique);
        assert!(resent.resend && !resent.redelivered);
        // A new version of the article: similar text under the same id.
        let updated = index.apply(fp(91, "a", &format!("{text} Updated at noon.")), 6);
        assert_eq!(updated.verdict, IndexVerdict::Unique);
        assert!(updated.resend);
        // Another id with the same text is still a copy.
        let copy = index.apply(fp(92, "b", &text), 7);
        assert!(matches!(copy.verdict, IndexVerdict::Duplicate { of, .. } if &*of == "a"));
        assert!(!copy.resend);
    }

    #[test]
    fn a_redelivered_fingerprint_keeps_its_first_verdict() {
        let mut index = DupIndex::new(SETTINGS);
        let text = story(1, 100);
        let first = index.apply(fp(7, "a", &text), 0);
        assert_eq!(first.verdict, IndexVerdict::Unique);
        assert!(!first.redelivered);
        // Appended again (a redelivery after a crash): not a copy of itself.
        let again = index.apply(fp(7, "a", &text), 5);
        assert_eq!(again.verdict, IndexVerdict::Unique);
        assert!(again.redelivered);
        // A near-copy redelivered keeps its group.
        let copy = format!("{text} and a footer line");
        let near = index.apply(fp(8, "b", &copy), 6).verdict;
        let near_again = index.apply(fp(8, "b", &copy), 7);
        assert_eq!((near_again.verdict, near_again.redelivered), (near, true));
    }

    #[test]
    fn texts_expire_after_the_window_and_beyond_capacity() {
        let mut index = DupIndex::new(IndexSettings {
            capacity: 2,
            ..SETTINGS
        });
        let text = story(1, 100);
        apply(&mut index, fp(1, "a", &text), 0);
        let late = SETTINGS.window_ms + 1;
        assert_eq!(
            apply(&mut index, fp(2, "b", &text), late),
            IndexVerdict::Unique
        );
        apply(&mut index, fp(3, "c", &story(3, 100)), late);
        apply(&mut index, fp(4, "d", &story(4, 100)), late);
        assert_eq!((index.members(), index.exact_keys()), (2, 2));
        assert_eq!(
            apply(&mut index, fp(5, "e", &text), late),
            IndexVerdict::Unique
        );
    }

    #[test]
    fn two_orders_of_the_same_stream_give_mirrored_verdicts() {
        let original = story(1, 200);
        let copy = format!("Dateline. {original} Footer line here.");
        for (first, second) in [("a", "b"), ("b", "a")] {
            let text = |id: &str| if id == "a" { &original } else { &copy };
            let mut index = DupIndex::new(SETTINGS);
            assert_eq!(
                apply(&mut index, fp(1, first, text(first)), 0),
                IndexVerdict::Unique
            );
            let verdict = apply(&mut index, fp(2, second, text(second)), 0);
            assert_eq!(duplicate_of(&verdict), Some((first, DuplicateMethod::Near)));
        }
    }

    #[test]
    fn with_near_detection_off_only_exact_copies_count() {
        let mut index = DupIndex::new(IndexSettings {
            near: false,
            ..SETTINGS
        });
        let original = story(1, 200);
        apply(&mut index, fp(1, "a", &original), 0);
        let near = format!("{original} and a footer");
        assert_eq!(
            apply(&mut index, fp(2, "b", &near), 0),
            IndexVerdict::Unique
        );
        let exact = apply(&mut index, fp(3, "c", &original), 0);
        assert_eq!(duplicate_of(&exact), Some(("a", DuplicateMethod::Exact)));
        assert_eq!(index.members(), 0);
    }
}
