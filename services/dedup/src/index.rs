//! The near-duplicate index: fingerprints applied one by one, in the order of
//! the fingerprint stream, each getting its verdict from those before it.
//!
//! The verdict of a fingerprint depends only on the fingerprints stored
//! before it in the stream (their order, content and timestamps) and on
//! [`IndexSettings`]. Every replica applies the same stream in the same order,
//! so every replica, and every restart that rebuilds from the stream, reaches
//! the same verdict for the same fingerprint. Nothing else is needed to settle
//! a race between two near-copies processed at the same instant: the stream
//! orders their fingerprints, and the later one is the duplicate.
//!
//! Every fingerprint (head or copy) is indexed with the head of its group: a
//! new text matching any member joins that group and names its head, so a
//! copy is found even when it resembles another copy more than the head.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::sketch::{BANDS, Fingerprint, Sketch};

/// What decides a near-duplicate and how much the index keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexSettings {
    /// Score (see [`crate::sketch::Similarity::score`]) from which a text is a near-copy.
    pub threshold: f64,
    /// Milliseconds a fingerprint is compared against after it was stored.
    pub window_ms: i64,
    /// Most fingerprints (heads and copies) held in memory; the oldest go first beyond it.
    pub capacity: usize,
}

/// The verdict of one fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub enum NearVerdict {
    /// Starts its own group.
    Unique,
    /// A near-copy of the head `of`.
    Duplicate {
        of: Arc<str>,
        of_seq: u64,
        similarity: f64,
    },
}

/// An indexed fingerprint and the head of its group.
struct Member {
    number: u64,
    head_seq: u64,
    head_id: Arc<str>,
    sketch: Sketch,
    at_ms: i64,
}

/// See the module documentation.
pub struct NearIndex {
    settings: IndexSettings,
    members: VecDeque<Member>,
    /// Number of `members[0]`; numbers grow by one per member.
    first_number: u64,
    /// Per band: key → number of the latest member with that key.
    bands: Vec<HashMap<u32, u64>>,
    /// Verdicts by `source_seq`, the first fingerprint of an input message winning.
    known: HashMap<u64, NearVerdict>,
    known_order: VecDeque<(i64, u64)>,
}

impl NearIndex {
    pub fn new(settings: IndexSettings) -> Self {
        Self {
            settings,
            members: VecDeque::new(),
            first_number: 0,
            bands: (0..BANDS).map(|_| HashMap::new()).collect(),
            known: HashMap::new(),
            known_order: VecDeque::new(),
        }
    }

    pub fn settings(&self) -> &IndexSettings {
        &self.settings
    }

    /// Members in memory.
    pub fn members(&self) -> usize {
        self.members.len()
    }

    /// Verdicts in memory.
    pub fn verdicts(&self) -> usize {
        self.known.len()
    }

    /// The verdict given to the input message `source_seq`, if its fingerprint was applied.
    pub fn verdict(&self, source_seq: u64) -> Option<&NearVerdict> {
        self.known.get(&source_seq)
    }

    /// Applies the next fingerprint of the stream, stored at `at_ms` (Unix
    /// milliseconds); returns its verdict. A second fingerprint of the same
    /// input message (a redelivery) gets the verdict of the first.
    pub fn apply(&mut self, fingerprint: Fingerprint, at_ms: i64) -> NearVerdict {
        self.expire(at_ms);
        if let Some(verdict) = self.known.get(&fingerprint.source_seq) {
            return verdict.clone();
        }
        let verdict = match self.best_match(&fingerprint.sketch) {
            Some((member, similarity)) => NearVerdict::Duplicate {
                of: member.head_id.clone(),
                of_seq: member.head_seq,
                similarity,
            },
            None => NearVerdict::Unique,
        };
        if fingerprint.sketch.comparable() {
            let (head_seq, head_id) = match &verdict {
                NearVerdict::Unique => (fingerprint.source_seq, fingerprint.id.into()),
                NearVerdict::Duplicate { of, of_seq, .. } => (*of_seq, of.clone()),
            };
            self.insert(head_seq, head_id, fingerprint.sketch, at_ms);
        }
        self.known.insert(fingerprint.source_seq, verdict.clone());
        self.known_order.push_back((at_ms, fingerprint.source_seq));
        verdict
    }

    /// The most similar member at or above the threshold (the earliest on ties).
    fn best_match(&self, sketch: &Sketch) -> Option<(&Member, f64)> {
        if !sketch.comparable() {
            return None;
        }
        let mut seen: Vec<u64> = Vec::with_capacity(8);
        let mut best: Option<(&Member, f64)> = None;
        for (band, key) in sketch.band_keys().iter().enumerate() {
            let Some(&number) = self.bands[band].get(key) else {
                continue;
            };
            if seen.contains(&number) {
                continue;
            }
            seen.push(number);
            let Some(head) = self.member(number) else {
                continue;
            };
            let score = sketch.compare(&head.sketch).score();
            if score < self.settings.threshold {
                continue;
            }
            let better = match best {
                None => true,
                Some((current, best_score)) => {
                    score > best_score || (score == best_score && head.number < current.number)
                }
            };
            if better {
                best = Some((head, score));
            }
        }
        best
    }

    fn member(&self, number: u64) -> Option<&Member> {
        let offset = number.checked_sub(self.first_number)?;
        self.members.get(usize::try_from(offset).ok()?)
    }

    fn insert(&mut self, head_seq: u64, head_id: Arc<str>, sketch: Sketch, at_ms: i64) {
        while self.members.len() >= self.settings.capacity.max(1) {
            self.evict_oldest();
        }
        let number = self.first_number + self.members.len() as u64;
        for (band, key) in sketch.band_keys().into_iter().enumerate() {
            // The latest member wins a shared key: older ones stay reachable
            // through their other bands.
            self.bands[band].insert(key, number);
        }
        self.members.push_back(Member {
            number,
            head_seq,
            head_id,
            sketch,
            at_ms,
        });
    }

    fn evict_oldest(&mut self) {
        if let Some(head) = self.members.pop_front() {
            for (band, key) in head.sketch.band_keys().into_iter().enumerate() {
                if self.bands[band].get(&key) == Some(&head.number) {
                    self.bands[band].remove(&key);
                }
            }
            self.first_number += 1;
        }
    }

    /// Forgets what is older than the window before `now_ms`, and verdicts
    /// beyond twice the capacity (they are only needed for redeliveries
    /// and for copies of recent articles).
    fn expire(&mut self, now_ms: i64) {
        let oldest = now_ms.saturating_sub(self.settings.window_ms);
        while self.members.front().is_some_and(|h| h.at_ms < oldest) {
            self.evict_oldest();
        }
        let max_known = self.settings.capacity.saturating_mul(2).max(1);
        while let Some(&(at_ms, seq)) = self.known_order.front() {
            if at_ms >= oldest && self.known_order.len() < max_known {
                break;
            }
            self.known_order.pop_front();
            self.known.remove(&seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: IndexSettings = IndexSettings {
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
            sketch: Sketch::of_text(text),
        }
    }

    #[test]
    fn a_near_copy_points_at_the_head_and_a_copy_of_the_copy_too() {
        let mut index = NearIndex::new(SETTINGS);
        let original = story(1, 200);
        let copy = format!("{} extra words at the end of it", original);
        let cut = original.split(' ').take(150).collect::<Vec<_>>().join(" ");
        assert_eq!(index.apply(fp(1, "a", &original), 0), NearVerdict::Unique);
        assert_eq!(
            index.apply(fp(2, "z", &story(2, 200)), 1),
            NearVerdict::Unique
        );
        for (seq, text) in [(3, &copy), (4, &cut)] {
            match index.apply(fp(seq, "b", text), 2) {
                NearVerdict::Duplicate { of, similarity, .. } => {
                    assert_eq!(&*of, "a");
                    assert!(similarity >= 0.7);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(index.members(), 4);
    }

    #[test]
    fn a_redelivered_fingerprint_keeps_its_first_verdict() {
        let mut index = NearIndex::new(SETTINGS);
        let text = story(1, 100);
        assert_eq!(index.apply(fp(7, "a", &text), 0), NearVerdict::Unique);
        // Appended again after the stream's duplicate window: not a copy of itself.
        assert_eq!(index.apply(fp(7, "a", &text), 5), NearVerdict::Unique);
        assert_eq!(index.verdict(7), Some(&NearVerdict::Unique));
    }

    #[test]
    fn members_expire_after_the_window_and_beyond_capacity() {
        let mut index = NearIndex::new(IndexSettings {
            capacity: 2,
            ..SETTINGS
        });
        let text = story(1, 100);
        index.apply(fp(1, "a", &text), 0);
        let late = SETTINGS.window_ms + 1;
        assert_eq!(index.apply(fp(2, "b", &text), late), NearVerdict::Unique);
        index.apply(fp(3, "c", &story(3, 100)), late);
        index.apply(fp(4, "d", &story(4, 100)), late);
        assert_eq!(index.members(), 2);
        assert_eq!(index.apply(fp(5, "e", &text), late), NearVerdict::Unique);
    }

    #[test]
    fn two_orders_of_the_same_stream_give_mirrored_verdicts() {
        let original = story(1, 200);
        let copy = format!("Dateline. {original} Footer line here.");
        for (first, second) in [("a", "b"), ("b", "a")] {
            let text = |id: &str| if id == "a" { &original } else { &copy };
            let mut index = NearIndex::new(SETTINGS);
            assert_eq!(
                index.apply(fp(1, first, text(first)), 0),
                NearVerdict::Unique
            );
            assert!(matches!(
                index.apply(fp(2, second, text(second)), 0),
                NearVerdict::Duplicate { of, .. } if &*of == first
            ));
        }
    }

    #[test]
    fn short_texts_are_never_near_copies() {
        let mut index = NearIndex::new(SETTINGS);
        index.apply(fp(1, "a", "Short note."), 0);
        assert_eq!(
            index.apply(fp(2, "b", "Short note!"), 0),
            NearVerdict::Unique
        );
        assert_eq!(index.members(), 0);
    }
}
