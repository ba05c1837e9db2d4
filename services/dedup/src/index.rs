//! The duplicate index: fingerprints applied one by one, in the order of the
//! fingerprint stream, each getting its verdict from those before it.
//!
//! The verdict of a fingerprint depends only on the fingerprints stored
//! before it in the stream (their order, content and timestamps) and on
//! [`IndexSettings`]. Every replica applies the same stream in the same order,
//! so every replica, and every restart that rebuilds from the stream, reaches
//! the same verdict for the same fingerprint.
//!
//! Two lookups give the verdict, in this order:
//!
//! * **exact**: the normalized-words key of every text in the window, with
//!   the group that text joined; a copy joins the same group.
//! * **near**: LSH bands over the MinHash sketches (of the text and of its
//!   lead, see [`crate::sketch::LEAD_HASHES`]) propose candidates, among
//!   the texts whose sketch is of the same family only (records of
//!   versions 3 and 4 hold another family's, see [`crate::sketch`]: each
//!   family has its own band maps, and an exact copy still joins across
//!   families through its exact key); the
//!   appending replica has read both texts and verified them
//!   ([`crate::verify`]) before appending, and the record names the
//!   candidate it found the text a copy of (`link`), if any. The index only
//!   checks that the replica saw every candidate: a candidate stored after
//!   the record's `decided_at` (appended by another replica at the same
//!   time) makes the record **stale**: it is not applied, and its replica
//!   verifies again and appends a new record. So of two copies processed at
//!   the same instant, the later record always sees the earlier one.
//!
//! # Which copy is the original
//!
//! The head of a group is its earliest-published article: the lower
//! `NEWS_RAW` sequence, or the earlier stated publication time when both
//! state one, whatever order the records come in (langid runs messages
//! concurrently, so a copy published after its original can reach dedup
//! first). When a record joins a group whose head was published after it,
//! it **replaces** the head: the new record is the group's head, and the
//! verdict names the old head, which was passed on as unique and is now a
//! copy (the stage reports it on `news.duplicates` with `record_withdrawn`).
//! Groups are shared by their members through a group number, so a
//! replacement changes the head of every member at once.

use std::collections::VecDeque;
use std::sync::Arc;

use newsflow_core::contracts::DuplicateMethod;
use rustc_hash::FxHashMap;

use crate::sketch::{ALL_BANDS, BANDS, Fingerprint, Sketch, SketchFamily};

/// Most candidates a text is verified against, the most similar first.
pub const MAX_CANDIDATES: usize = 8;
/// An LSH hit is a candidate from this estimated containment (share of the
/// shorter text's shingles in the longer: a copy the verifier accepts has
/// well over half of its words aligned) ...
pub const CANDIDATE_CONTAINMENT: f64 = 0.35;
/// ... when at least this estimated Jaccard similarity makes the estimate
/// worth something. Below, a band hit is a stock phrase both texts share
/// (about half of the Arabic articles have such hits): reading the texts
/// would cost without finding copies.
pub const CANDIDATE_JACCARD_FLOOR: f64 = 0.05;
/// A text found through the lead's bands alone is a candidate only when
/// the shorter of the two has at most this many shingles (about twice the
/// lead): the lead key is for a copy cut to part of a long story; two long
/// texts with one lead are more often two reports on one wire lead.
pub const LEAD_ONLY_MAX_SHINGLES: u32 = 2 * crate::shingle::LEAD_KEY_WORDS as u32;

/// The band map of a sketch family's band: a key of one family is never
/// looked up among another's, whose equal keys would be chance.
fn band_map(family: SketchFamily, band: usize) -> usize {
    family.index() * ALL_BANDS + band
}

/// What decides a duplicate and how much the index keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexSettings {
    /// Look for near-copies; `false` finds exact copies only.
    pub near: bool,
    /// Kept for the configuration's `threshold`; the verifier decides near copies.
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
    /// Starts its own group, or heads the group it joined (see `replaced`).
    Unique,
    /// A copy of an article of the group whose head (earliest article) is `of`.
    Duplicate {
        of: Arc<str>,
        method: DuplicateMethod,
        /// 1 for an exact copy of the head; otherwise the verifier's
        /// similarity with the member it copies (an exact copy of a
        /// near-copy keeps that near-copy's score and method).
        similarity: f64,
    },
}

/// The head a record took over: it was passed on as unique, and is now a
/// copy of the record that replaced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Replaced {
    pub id: Arc<str>,
    /// Its `NEWS_RAW` sequence.
    pub source_seq: u64,
    pub method: DuplicateMethod,
    pub similarity: f64,
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
    /// A candidate was stored after the record's `decided_at`: nothing was
    /// applied; verify again and append again.
    pub stale: bool,
    /// The group head this record replaced, published after it.
    pub replaced: Option<Replaced>,
}

impl Applied {
    fn new(verdict: IndexVerdict) -> Self {
        Self {
            verdict,
            redelivered: false,
            resend: false,
            stale: false,
            replaced: None,
        }
    }
}

/// A text the index proposes for verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Stream sequence of its record: what a fingerprint's `link` names.
    pub seq: u64,
    /// Its `NEWS_RAW` sequence, to read its text.
    pub source_seq: u64,
    pub id: Arc<str>,
    /// Its group's number: candidates of other groups are what the
    /// verifier's template guard compares with.
    pub group: u64,
    /// The `NEWS_RAW` sequence of its group's head (its own when it is
    /// the head): a text joining through another member is checked
    /// against the head too (see `GROUP_STORY_SHARE` in the stage).
    pub head_source_seq: u64,
    /// The id of its group's head, as the index holds it now.
    pub head_id: Arc<str>,
    /// The MinHash estimate (larger of Jaccard and containment).
    pub score: f64,
}

/// What the index says of a text before its record is appended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lookup {
    /// The last stream sequence applied: the record's `decided_at`.
    pub applied: u64,
    /// The exact key is held already: no verification is needed.
    pub exact_held: bool,
    /// LSH candidates, the most similar first, at most [`MAX_CANDIDATES`].
    pub candidates: Vec<Candidate>,
}

/// Publication order: the stated time when both state one, else the
/// `NEWS_RAW` sequence.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Published {
    source_seq: u64,
    at_ms: i64,
}

impl Published {
    fn before(self, other: Published) -> bool {
        if self.at_ms != 0 && other.at_ms != 0 && self.at_ms != other.at_ms {
            self.at_ms < other.at_ms
        } else {
            self.source_seq < other.source_seq
        }
    }
}

/// A group of copies and its head.
struct Group {
    head_id: Arc<str>,
    head: Published,
    /// The head this head took over, if it did: a redelivery of the head's
    /// input reports it again (its notice may not have been published).
    replaced: Option<Replaced>,
    /// Members and exact holders pointing at it; it goes with the last.
    refs: u32,
}

/// A text indexed for near lookups.
struct Member {
    seq: u64,
    source_seq: u64,
    id: Arc<str>,
    group: u64,
    sketch: Sketch,
    at_ms: i64,
}

/// The first text in the window with a given exact key.
struct ExactHolder {
    source_seq: u64,
    at_ms: i64,
    id: Arc<str>,
    group: u64,
    /// How the text joined its group (when it is not the head).
    method: DuplicateMethod,
    similarity: f64,
    /// It started or took over its group: its first verdict passed it on.
    was_head: bool,
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
    /// Per sketch family and band (see [`band_map`]): key → number of the
    /// latest member with that key, modulo 2^32 (fewer than 2^32 members
    /// are ever held, so it is unambiguous).
    bands: Vec<FxHashMap<u32, u32>>,
    exact: FxHashMap<u64, ExactHolder>,
    /// Exact keys in the order they were taken, with their holder's sequence.
    exact_order: VecDeque<(u64, u64)>,
    groups: FxHashMap<u64, Group>,
    /// The last stream sequence applied.
    applied: u64,
}

impl DupIndex {
    pub fn new(settings: IndexSettings) -> Self {
        Self {
            settings,
            members: VecDeque::new(),
            first_number: 0,
            bands: (0..SketchFamily::COUNT * ALL_BANDS)
                .map(|_| FxHashMap::default())
                .collect(),
            exact: FxHashMap::default(),
            exact_order: VecDeque::new(),
            groups: FxHashMap::default(),
            applied: 0,
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

    /// The last stream sequence applied.
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// What to verify a text against before appending its record.
    pub fn lookup(&self, exact: u64, sketch: &Sketch) -> Lookup {
        Lookup {
            applied: self.applied,
            exact_held: self.exact.contains_key(&exact),
            candidates: self.candidates(sketch),
        }
    }

    /// LSH candidates of a sketch, the most similar first (the earliest on
    /// ties), at most [`MAX_CANDIDATES`].
    fn candidates(&self, sketch: &Sketch) -> Vec<Candidate> {
        if !self.settings.near || !sketch.comparable() {
            return Vec::new();
        }
        let mut found: Vec<(u64, f64)> = Vec::with_capacity(8);
        for (band, key) in sketch.band_keys().iter().enumerate() {
            let Some(&stored) = self.bands[band_map(sketch.family, band)].get(key) else {
                continue;
            };
            let number = self.unwrap_number(stored);
            if found.iter().any(|&(n, _)| n == number) {
                continue;
            }
            if let Some(member) = self.member(number) {
                if band >= BANDS
                    && sketch.shingles.min(member.sketch.shingles) > LEAD_ONLY_MAX_SHINGLES
                {
                    // Found by the lead alone (the text's bands come first).
                    continue;
                }
                let similarity = sketch.compare(&member.sketch);
                if similarity.jaccard >= CANDIDATE_JACCARD_FLOOR
                    && similarity.containment >= CANDIDATE_CONTAINMENT
                {
                    found.push((number, similarity.jaccard.max(similarity.containment)));
                }
            }
        }
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        found.truncate(MAX_CANDIDATES);
        found
            .into_iter()
            .filter_map(|(number, score)| {
                let member = self.member(number)?;
                let (head_id, head) = self.head(member.group);
                Some(Candidate {
                    seq: member.seq,
                    source_seq: member.source_seq,
                    id: member.id.clone(),
                    group: member.group,
                    head_source_seq: head.source_seq,
                    head_id: head_id.clone(),
                    score,
                })
            })
            .collect()
    }

    /// The head of a group (the group always exists while referenced).
    fn head(&self, group: u64) -> (&Arc<str>, Published) {
        let g = &self.groups[&group];
        (&g.head_id, g.head)
    }

    /// Applies the next fingerprint of the stream, stored at sequence `seq`
    /// at `at_ms` (Unix milliseconds), and returns its verdict. A second
    /// fingerprint of the same input message (a redelivery: same
    /// `source_seq`, same text) finds its own exact key and gets the verdict
    /// of the first.
    pub fn apply(&mut self, fingerprint: Fingerprint, seq: u64, at_ms: i64) -> Applied {
        self.applied = self.applied.max(seq);
        self.expire(at_ms);
        let published = Published {
            source_seq: fingerprint.source_seq,
            at_ms: fingerprint.published_ms,
        };
        if let Some(holder) = self.exact.get(&fingerprint.exact) {
            let redelivered = holder.source_seq == fingerprint.source_seq;
            let group = holder.group;
            let (head_id, head) = self.head(group);
            let head_id = head_id.clone();
            if redelivered || *head_id == *fingerprint.id {
                // A redelivery keeps its first verdict (a head since replaced
                // by an earlier copy was passed on, and its notice is out);
                // a resend of the head is not a copy of itself.
                let mut applied = if *head_id == *fingerprint.id || (redelivered && holder.was_head)
                {
                    Applied::new(IndexVerdict::Unique)
                } else {
                    Applied::new(self.duplicate_verdict(&fingerprint.exact))
                };
                let this_head =
                    *head_id == *fingerprint.id && head.source_seq == fingerprint.source_seq;
                if this_head {
                    // The input that took the head over, again: not a resend.
                    applied.redelivered = true;
                    applied.replaced = self.groups[&group].replaced.clone();
                } else {
                    applied.redelivered = redelivered;
                    applied.resend = !redelivered;
                }
                return applied;
            }
            if *holder.id == *fingerprint.id {
                // A resend of a copy keeps its copy's verdict.
                let mut applied = Applied::new(self.duplicate_verdict(&fingerprint.exact));
                applied.resend = true;
                return applied;
            }
            if published.before(head) {
                let (method, similarity) = self.link_to_head(holder);
                return self.replace_head(group, fingerprint, published, method, similarity);
            }
            return Applied::new(self.duplicate_verdict(&fingerprint.exact));
        }

        let candidates = self.candidates(&fingerprint.sketch);
        if candidates.iter().any(|c| c.seq > fingerprint.decided_at) {
            let mut applied = Applied::new(IndexVerdict::Unique);
            applied.stale = true;
            return applied;
        }
        let id: Arc<str> = fingerprint.id.as_str().into();
        let mut applied = Applied::new(IndexVerdict::Unique);
        let similarity = f64::from(fingerprint.link_similarity) / 1000.0;
        let group = if fingerprint.link == 0 {
            self.new_group(seq, id.clone(), published)
        } else {
            let Some(linked) = self.member_by_seq(fingerprint.link) else {
                // The candidate left the window since: verify again.
                applied.stale = true;
                return applied;
            };
            let group = linked.group;
            let (head_id, head) = self.head(group);
            let head_id = head_id.clone();
            if *head_id == *fingerprint.id {
                // A new version of an article that heads its group.
                applied.resend = true;
            } else if published.before(head) {
                applied.replaced = Some(self.take_head(
                    group,
                    id.clone(),
                    published,
                    DuplicateMethod::Near,
                    similarity,
                ));
            } else {
                applied.verdict = IndexVerdict::Duplicate {
                    of: head_id,
                    method: DuplicateMethod::Near,
                    similarity,
                };
            }
            group
        };
        if self.settings.near && fingerprint.sketch.comparable() {
            self.insert(Member {
                seq,
                source_seq: fingerprint.source_seq,
                id: id.clone(),
                group,
                sketch: fingerprint.sketch,
                at_ms,
            });
        }
        self.insert_exact(
            fingerprint.exact,
            ExactHolder {
                source_seq: fingerprint.source_seq,
                at_ms,
                id,
                group,
                method: DuplicateMethod::Near,
                similarity,
                was_head: matches!(applied.verdict, IndexVerdict::Unique),
            },
        );
        applied
    }

    /// How the text of an exact key's holder relates to its group's head:
    /// the head itself (exact, 1.0), or the link the holder was stored
    /// with. A former head (replaced by an earlier-published copy) was
    /// stored with no link of its own: its link is the group's last
    /// replacement's (exact when it was that head; after several
    /// replacements an approximation, each having passed verification).
    fn link_to_head(&self, holder: &ExactHolder) -> (DuplicateMethod, f64) {
        let group = &self.groups[&holder.group];
        if *holder.id == *group.head_id {
            return (DuplicateMethod::Exact, 1.0);
        }
        match &group.replaced {
            Some(replaced) if holder.was_head || *replaced.id == *holder.id => {
                (replaced.method, replaced.similarity)
            }
            _ => (holder.method, holder.similarity),
        }
    }

    /// The verdict of a copy of the text holding `exact`.
    fn duplicate_verdict(&self, exact: &u64) -> IndexVerdict {
        let holder = &self.exact[exact];
        let (head_id, _) = self.head(holder.group);
        let (method, similarity) = self.link_to_head(holder);
        IndexVerdict::Duplicate {
            of: head_id.clone(),
            method,
            similarity,
        }
    }

    /// An exact copy published before its group's head becomes the head.
    fn replace_head(
        &mut self,
        group: u64,
        fingerprint: Fingerprint,
        published: Published,
        method: DuplicateMethod,
        similarity: f64,
    ) -> Applied {
        let id: Arc<str> = fingerprint.id.into();
        let mut applied = Applied::new(IndexVerdict::Unique);
        applied.replaced = Some(self.take_head(group, id, published, method, similarity));
        applied
    }

    fn take_head(
        &mut self,
        group: u64,
        id: Arc<str>,
        published: Published,
        method: DuplicateMethod,
        similarity: f64,
    ) -> Replaced {
        let g = self
            .groups
            .get_mut(&group)
            .expect("a referenced group exists");
        let old_id = std::mem::replace(&mut g.head_id, id);
        let old = std::mem::replace(&mut g.head, published);
        let replaced = Replaced {
            id: old_id,
            source_seq: old.source_seq,
            method,
            similarity,
        };
        g.replaced = Some(replaced.clone());
        replaced
    }

    fn new_group(&mut self, seq: u64, head_id: Arc<str>, head: Published) -> u64 {
        self.groups.insert(
            seq,
            Group {
                head_id,
                head,
                replaced: None,
                refs: 0,
            },
        );
        seq
    }

    fn retain_group(&mut self, group: u64) {
        if let Some(g) = self.groups.get_mut(&group) {
            g.refs += 1;
        }
    }

    fn release_group(&mut self, group: u64) {
        if let Some(g) = self.groups.get_mut(&group) {
            g.refs = g.refs.saturating_sub(1);
            if g.refs == 0 {
                self.groups.remove(&group);
            }
        }
    }

    /// The member stored at stream sequence `seq`, if still held.
    fn member_by_seq(&self, seq: u64) -> Option<&Member> {
        let at = self.members.binary_search_by_key(&seq, |m| m.seq).ok()?;
        self.members.get(at)
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

    fn insert(&mut self, member: Member) {
        while self.members.len() >= self.settings.capacity.max(1) {
            self.evict_oldest();
        }
        let number = self.first_number + self.members.len() as u64;
        for (band, key) in member.sketch.band_keys().into_iter().enumerate() {
            // The latest member wins a shared key: older ones stay reachable
            // through their other bands.
            self.bands[band_map(member.sketch.family, band)].insert(key, number as u32);
        }
        self.retain_group(member.group);
        self.members.push_back(member);
    }

    fn insert_exact(&mut self, key: u64, holder: ExactHolder) {
        while self.exact_order.len() >= self.settings.capacity.max(1) {
            self.evict_oldest_exact();
        }
        self.exact_order.push_back((key, holder.source_seq));
        self.retain_group(holder.group);
        self.exact.insert(key, holder);
    }

    fn evict_oldest(&mut self) {
        if let Some(member) = self.members.pop_front() {
            let number = self.first_number as u32;
            for (band, key) in member.sketch.band_keys().into_iter().enumerate() {
                let map = &mut self.bands[band_map(member.sketch.family, band)];
                if map.get(&key) == Some(&number) {
                    map.remove(&key);
                }
            }
            self.first_number += 1;
            self.release_group(member.group);
        }
    }

    fn evict_oldest_exact(&mut self) {
        if let Some((key, source_seq)) = self.exact_order.pop_front() {
            // The key may have expired and been taken again by a later text.
            if self
                .exact
                .get(&key)
                .is_some_and(|h| h.source_seq == source_seq)
                && let Some(holder) = self.exact.remove(&key)
            {
                self.release_group(holder.group);
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

    /// The fingerprint of `text` as input message `source_seq`.
    fn fp(source_seq: u64, id: &str, text: &str) -> Fingerprint {
        Fingerprint {
            source_seq,
            id: id.into(),
            exact: analyze(text).exact,
            sketch: Sketch::of_text(text),
            ..Fingerprint::default()
        }
    }

    /// A stream in a test: records get sequences 1, 2, ...; each record is
    /// decided against everything applied before it, linking to `link`
    /// (the verifier's choice, given by the test).
    struct Stream {
        index: DupIndex,
        next: u64,
    }

    impl Stream {
        fn new(settings: IndexSettings) -> Self {
            Self {
                index: DupIndex::new(settings),
                next: 1,
            }
        }

        /// Appends a record decided now, copying the record at `link` (0: none).
        fn append(&mut self, mut fingerprint: Fingerprint, link: u64, at_ms: i64) -> Applied {
            fingerprint.decided_at = self.index.applied();
            fingerprint.link = link;
            fingerprint.link_similarity = if link == 0 { 0 } else { 900 };
            self.append_decided(fingerprint, at_ms)
        }

        /// Appends a record as decided by its replica (its `decided_at` kept).
        fn append_decided(&mut self, fingerprint: Fingerprint, at_ms: i64) -> Applied {
            let seq = self.next;
            self.next += 1;
            self.index.apply(fingerprint, seq, at_ms)
        }

        fn candidates(&self, text: &str) -> Vec<u64> {
            let f = fp(0, "", text);
            self.index
                .lookup(f.exact, &f.sketch)
                .candidates
                .iter()
                .map(|c| c.seq)
                .collect()
        }
    }

    fn duplicate_of(applied: &Applied) -> Option<(&str, DuplicateMethod)> {
        match &applied.verdict {
            IndexVerdict::Duplicate { of, method, .. } => Some((of, *method)),
            IndexVerdict::Unique => None,
        }
    }

    #[test]
    fn a_near_copy_points_at_the_head_and_a_copy_of_the_copy_too() {
        let mut stream = Stream::new(SETTINGS);
        let original = story(1, 200);
        let copy = format!("{} extra words at the end of it", original);
        let cut = original.split(' ').take(150).collect::<Vec<_>>().join(" ");
        assert_eq!(
            stream.append(fp(1, "a", &original), 0, 0).verdict,
            IndexVerdict::Unique
        );
        assert_eq!(
            stream.append(fp(2, "z", &story(2, 200)), 0, 1).verdict,
            IndexVerdict::Unique
        );
        // The index proposes the original, not the unrelated story.
        assert_eq!(stream.candidates(&copy), vec![1]);
        let b = stream.append(fp(3, "b", &copy), 1, 2);
        assert_eq!(duplicate_of(&b), Some(("a", DuplicateMethod::Near)));
        // A copy verified against the copy b (record 3) joins a's group.
        let c = stream.append(fp(4, "c", &cut), 3, 2);
        assert_eq!(duplicate_of(&c), Some(("a", DuplicateMethod::Near)));
        assert_eq!(stream.index.members(), 4);
        // An exact copy of the near-copy joins the same group, with its score.
        let again = stream.append(fp(5, "d", &copy.to_uppercase()), 0, 3);
        assert_eq!(duplicate_of(&again), Some(("a", DuplicateMethod::Near)));
        assert_eq!(
            stream.index.members(),
            4,
            "exact copies add nothing to compare"
        );
    }

    #[test]
    fn a_near_copy_of_an_old_records_text_is_no_candidate_but_an_exact_copy_joins() {
        // Records of version 4 (read back from a stream written before the
        // upgrade) hold another family's minima. The old record here holds
        // the very minima of the new sketch, so only the family keeps the
        // near copy from being proposed.
        let original = story(1, 200);
        let copy = format!("{original} extra words at the end of it");
        let mut bytes = fp(1, "a", &original).encode();
        bytes[0] = 4;
        let old = Fingerprint::decode(&bytes).unwrap();
        assert_eq!(old.sketch.family, SketchFamily::IndependentMinHash);
        assert_eq!(old.sketch.mins, Sketch::of_text(&original).mins);

        let mut stream = Stream::new(SETTINGS);
        assert_eq!(stream.append(old, 0, 0).verdict, IndexVerdict::Unique);
        assert_eq!(stream.index.members(), 1);
        assert_eq!(stream.candidates(&copy), Vec::<u64>::new());
        assert_eq!(stream.candidates(&original), Vec::<u64>::new());
        // The near copy starts its own group; an exact copy of the old
        // record's text still joins it, across versions.
        let near = stream.append(fp(2, "b", &copy), 0, 1);
        assert_eq!(near.verdict, IndexVerdict::Unique);
        let exact = stream.append(fp(3, "c", &original.to_uppercase()), 0, 2);
        assert_eq!(duplicate_of(&exact), Some(("a", DuplicateMethod::Exact)));
        // Among new records the same near copy is a candidate.
        assert_eq!(stream.candidates(&format!("{copy} and more")), vec![2]);
    }

    #[test]
    fn a_copy_cut_to_the_lead_of_a_long_story_is_a_candidate() {
        // 75 words of a 400-word story share a sixth of its shingles: the
        // text's bands alone miss such a pair about half of the time.
        let mut missed_by_text_bands = 0;
        for n in 0..20 {
            let mut stream = Stream::new(SETTINGS);
            let original = story(n, 400);
            let cut = original.split(' ').take(75).collect::<Vec<_>>().join(" ");
            stream.append(fp(1, "a", &original), 0, 0);
            assert_eq!(stream.candidates(&cut), vec![1], "story {n}");
            let (a, b) = (Sketch::of_text(&original), Sketch::of_text(&cut));
            let text_bands = crate::sketch::BANDS;
            let (a, b) = (&a.band_keys()[..text_bands], &b.band_keys()[..text_bands]);
            if !a.iter().zip(b).any(|(x, y)| x == y) {
                missed_by_text_bands += 1;
            }
        }
        assert!(missed_by_text_bands > 0, "the lead key is needed for some");
    }

    #[test]
    fn two_long_texts_with_one_lead_are_not_candidates_through_the_lead_alone() {
        // The same 80-word lead over two bodies of 100 words: the leads'
        // bands all agree, the texts' bands sometimes none.
        let mut found_by_lead_alone = 0;
        for n in 0..40 {
            let mut stream = Stream::new(SETTINGS);
            let lead = story(1000 + n, 80);
            let (a, b) = (
                format!("{lead} {}", story(2000 + n, 100)),
                format!("{lead} {}", story(3000 + n, 100)),
            );
            stream.append(fp(1, "a", &a), 0, 0);
            let (sa, sb) = (Sketch::of_text(&a), Sketch::of_text(&b));
            let text_bands = crate::sketch::BANDS;
            let (ka, kb) = (&sa.band_keys()[..text_bands], &sb.band_keys()[..text_bands]);
            if !ka.iter().zip(kb).any(|(x, y)| x == y) {
                found_by_lead_alone += 1;
                assert_eq!(stream.candidates(&b), Vec::<u64>::new(), "story {n}");
            }
        }
        assert!(found_by_lead_alone > 0, "no pair tested the rule");
    }

    #[test]
    fn a_record_that_missed_a_concurrent_candidate_is_stale_and_not_applied() {
        let mut stream = Stream::new(SETTINGS);
        let original = story(1, 200);
        let copy = format!("{original} and a footer line");
        // Both replicas look up before either record is applied.
        let mut a = fp(1, "a", &original);
        let mut b = fp(2, "b", &copy);
        a.decided_at = 0;
        b.decided_at = 0;
        assert_eq!(stream.append_decided(a, 0).verdict, IndexVerdict::Unique);
        let stale = stream.append_decided(b.clone(), 0);
        assert!(stale.stale);
        assert_eq!(stream.index.members(), 1, "a stale record adds nothing");
        // Its replica verifies again, sees a, and links to it.
        let again = stream.append(b, 1, 0);
        assert!(!again.stale);
        assert_eq!(duplicate_of(&again), Some(("a", DuplicateMethod::Near)));
    }

    #[test]
    fn the_earliest_published_copy_heads_the_group_whatever_the_order() {
        let mut stream = Stream::new(SETTINGS);
        let original = story(1, 200);
        let copy = format!("Dateline. {original} Footer line here.");
        // The copy (NEWS_RAW 11) reaches dedup before the original (10).
        assert_eq!(
            stream.append(fp(11, "copy", &copy), 0, 0).verdict,
            IndexVerdict::Unique
        );
        let original_applied = stream.append(fp(10, "orig", &original), 1, 0);
        assert_eq!(original_applied.verdict, IndexVerdict::Unique);
        let replaced = original_applied.replaced.expect("the copy was the head");
        assert_eq!((&*replaced.id, replaced.source_seq), ("copy", 11));
        // Later copies, of either, name the original.
        let third = stream.append(fp(12, "third", &copy.to_uppercase()), 0, 0);
        assert_eq!(duplicate_of(&third).map(|d| d.0), Some("orig"));
        // An exact copy of the former head is as similar to the new head as
        // the former head was, not 0 (that head was stored with no link).
        match &third.verdict {
            IndexVerdict::Duplicate { similarity, .. } => {
                assert!(*similarity >= SETTINGS.threshold, "{third:?}");
            }
            other => panic!("a duplicate, not {other:?}"),
        }
        let fourth = stream.append(fp(13, "fourth", &format!("{original} more")), 1, 0);
        assert_eq!(duplicate_of(&fourth).map(|d| d.0), Some("orig"));
        // The original's input redelivered (its outputs were lost): the same
        // verdict, with the replaced head to report again.
        let again = stream.append(fp(10, "orig", &original), 1, 0);
        assert!(again.redelivered && !again.resend, "{again:?}");
        assert_eq!(
            again.replaced.map(|r| r.id.to_string()),
            Some("copy".into())
        );
        // An exact copy published even earlier takes over again.
        let first = stream.append(fp(9, "first", &original), 0, 0);
        assert_eq!(
            first.replaced.map(|r| r.id.to_string()),
            Some("orig".into())
        );
        let fifth = stream.append(fp(14, "fifth", &original), 0, 0);
        assert_eq!(duplicate_of(&fifth).map(|d| d.0), Some("first"));
        // An exact copy of the first former head, published earliest of all,
        // takes over with a similarity above the threshold, not 0.
        let earliest = stream.append(fp(5, "earliest", &copy), 0, 0);
        let replaced = earliest.replaced.expect("it takes the head over");
        assert_eq!(&*replaced.id, "first");
        assert!(replaced.similarity >= SETTINGS.threshold, "{replaced:?}");
    }

    #[test]
    fn a_stated_publication_time_orders_copies_when_both_have_one() {
        let mut stream = Stream::new(SETTINGS);
        let original = story(1, 200);
        let mut early = fp(2, "early", &original);
        early.published_ms = 1_000;
        let mut late = fp(1, "late", &format!("{original} footer words here"));
        late.published_ms = 2_000;
        assert_eq!(stream.append(late, 0, 0).verdict, IndexVerdict::Unique);
        let applied = stream.append(early, 1, 0);
        assert_eq!(
            applied.replaced.map(|r| r.id.to_string()),
            Some("late".into())
        );
        // Without a time on one side, NEWS_RAW order decides.
        let mut stream = Stream::new(SETTINGS);
        let mut later_time = fp(1, "x", &original);
        later_time.published_ms = 5_000;
        stream.append(later_time, 0, 0);
        let untimed = stream.append(fp(2, "y", &format!("{original} footer words")), 1, 0);
        assert_eq!(duplicate_of(&untimed).map(|d| d.0), Some("x"));
    }

    #[test]
    fn an_exact_copy_names_the_first_text_even_when_short() {
        let mut stream = Stream::new(SETTINGS);
        assert_eq!(
            stream.append(fp(1, "a", "Short note."), 0, 0).verdict,
            IndexVerdict::Unique
        );
        let copy = stream.append(fp(2, "b", "SHORT   note!"), 0, 1);
        assert_eq!(
            copy.verdict,
            IndexVerdict::Duplicate {
                of: "a".into(),
                method: DuplicateMethod::Exact,
                similarity: 1.0
            }
        );
        assert_eq!(
            stream.index.members(),
            0,
            "short texts are not compared for near copies"
        );
    }

    #[test]
    fn a_resend_of_the_same_article_is_not_a_copy_of_itself() {
        let mut stream = Stream::new(SETTINGS);
        let text = story(1, 100);
        assert_eq!(
            stream.append(fp(7, "a", &text), 0, 0).verdict,
            IndexVerdict::Unique
        );
        // The same id and text in a later message (a crawler's re-run).
        let resent = stream.append(fp(90, "a", &text), 0, 5);
        assert_eq!(resent.verdict, IndexVerdict::Unique);
        assert!(resent.resend && !resent.redelivered);
        // A new version of the article: similar text under the same id.
        let updated = stream.append(fp(91, "a", &format!("{text} Updated at noon.")), 1, 6);
        assert_eq!(updated.verdict, IndexVerdict::Unique);
        assert!(updated.resend);
        // Another id with the same text is still a copy.
        let copy = stream.append(fp(92, "b", &text), 0, 7);
        assert_eq!(duplicate_of(&copy).map(|d| d.0), Some("a"));
        assert!(!copy.resend);
    }

    #[test]
    fn a_redelivered_fingerprint_keeps_its_first_verdict() {
        let mut stream = Stream::new(SETTINGS);
        let text = story(1, 100);
        let first = stream.append(fp(7, "a", &text), 0, 0);
        assert_eq!(first.verdict, IndexVerdict::Unique);
        assert!(!first.redelivered);
        // Appended again (a redelivery after a crash): not a copy of itself.
        let again = stream.append(fp(7, "a", &text), 0, 5);
        assert_eq!(again.verdict, IndexVerdict::Unique);
        assert!(again.redelivered);
        // A near-copy redelivered keeps its group.
        let copy = format!("{text} and a footer line");
        let near = stream.append(fp(8, "b", &copy), 1, 6).verdict;
        let near_again = stream.append(fp(8, "b", &copy), 1, 7);
        assert_eq!((near_again.verdict, near_again.redelivered), (near, true));
    }

    #[test]
    fn texts_expire_after_the_window_and_beyond_capacity() {
        let mut stream = Stream::new(IndexSettings {
            capacity: 2,
            ..SETTINGS
        });
        let text = story(1, 100);
        stream.append(fp(1, "a", &text), 0, 0);
        let late = SETTINGS.window_ms + 1;
        assert_eq!(
            stream.append(fp(2, "b", &text), 0, late).verdict,
            IndexVerdict::Unique
        );
        stream.append(fp(3, "c", &story(3, 100)), 0, late);
        stream.append(fp(4, "d", &story(4, 100)), 0, late);
        assert_eq!((stream.index.members(), stream.index.exact_keys()), (2, 2));
        assert_eq!(
            stream.append(fp(5, "e", &text), 0, late).verdict,
            IndexVerdict::Unique
        );
        // Groups go with their last member.
        assert!(
            stream.index.groups.len() <= 2,
            "{}",
            stream.index.groups.len()
        );
    }

    #[test]
    fn with_near_detection_off_only_exact_copies_count() {
        let mut stream = Stream::new(IndexSettings {
            near: false,
            ..SETTINGS
        });
        let original = story(1, 200);
        stream.append(fp(1, "a", &original), 0, 0);
        assert!(
            stream
                .candidates(&format!("{original} and a footer"))
                .is_empty()
        );
        let exact = stream.append(fp(3, "c", &original), 0, 0);
        assert_eq!(duplicate_of(&exact), Some(("a", DuplicateMethod::Exact)));
        assert_eq!(stream.index.members(), 0);
    }
}
