//! newsflow dedup: the second stage.
//!
//! Consumes staged articles from `news.stage.detected`. An article that copies
//! one seen before, exactly or nearly, becomes a duplicate notice on
//! `news.duplicates` naming the earliest article of its group; any other
//! article goes on to `news.stage.unique` with its `dedup` verdict (its own id
//! as `cluster_id`).
//!
//! # Layout
//!
//! * [`shingle`], [`sketch`]: the text normalized (NFKC, case, Arabic letter
//!   variants, diacritics, digits of every script, punctuation, furniture
//!   lines) into an exact-copy key (a hash of the normalized words), word
//!   4-shingles, their 64-hash MinHash sketch and an 8-hash sketch of the
//!   lead's: the article's [`Fingerprint`], 165 bytes plus its id.
//! * [`index`]: the deterministic duplicate index: exact keys, then LSH bands
//!   over the sketches proposing candidates; groups headed by their
//!   earliest-published article.
//! * [`verify`]: the verdict on a candidate pair from both texts (aligned
//!   passages, lead, numbers, title, a template guard, a roundup guard),
//!   which [`texts`] reads from `NEWS_RAW`; only articles with candidates
//!   pay for it.
//! * [`log`]: the stream `DEDUP_FINGERPRINTS` every replica appends to and
//!   tails into its index; its order settles races between replicas.
//! * [`nats`]: the stage built on those streams, for the service and the
//!   fused pipeline alike.
//!
//! Every article looks up its candidates in its replica's index, verifies
//! them, appends its fingerprint with the candidate it copies (if any) and
//! takes the verdict the log gives it. A copy of a near-copy points at the
//! group's head, when it also shares a quarter of its text with the head
//! ([`GROUP_STORY_SHARE`]): a member can hold two stories.
//!
//! A copy joins one group, but its notice also names the heads of the other
//! groups it was verified a copy of by the same rules (`also_duplicate_of`):
//! a roundup led by one story that holds another, or two versions of one
//! story that never joined. Those groups are not joined: joining them would
//! let a roundup bridge its two stories into one group (what the roundup
//! guard of [`verify`] exists to prevent), and a join would need the log to
//! carry it for every replica. The list is read, like the verifier's
//! evidence, by the deciding replica; the log and the index are as before.
//!
//! # Why a stream rather than a KV bucket
//!
//! The first version claimed exact keys in a KV bucket with an atomic
//! `create` and kept near-duplicate sketches in the stream. One record per
//! article in one stream does both jobs: JetStream's atomic sequence order
//! settles exact and near races alike, an article costs one round trip to
//! NATS instead of two, and the state is about 180 bytes plus the id per
//! article instead of about 330 plus three times the id.

pub mod index;
pub mod log;
mod metrics;
pub mod nats;
pub mod shingle;
pub mod sketch;
pub mod texts;
pub mod verify;

use bytes::Bytes;
use newsflow_core::contracts::{
    DedupInfo, DuplicateEvidence, DuplicateMethod, DuplicateNotice, RECORD_SCHEMA_VERSION,
    StagedArticle,
};
use newsflow_core::html;
use newsflow_core::intake::{IntakeLimits, ReceivedJson, decode_staged_keeping_json};
use newsflow_core::runtime::{CpuThreads, Incoming, Outgoing, Processed, Processor, StageError};
use newsflow_core::text::has_words;
use newsflow_core::{stamp, subjects};
use serde::Deserialize;

use std::sync::Arc;

use index::{Applied, Candidate, IndexVerdict, Replaced};
use log::VerdictLog;
use sketch::{Fingerprint, Sketch};
use texts::{ArticleTexts, KnownText};
use verify::{Pairing, Text, Verification};

pub const STAGE: &str = "dedup";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Default of the `threshold` setting, which no longer decides near copies
/// (the verifier does, see [`verify::THRESHOLD`]).
pub const DEFAULT_THRESHOLD: f64 = 0.7;
/// Default number of texts the in-memory index holds, for each of the exact
/// and near lookups: a 7-day window of 1 million articles a day fits.
pub const DEFAULT_CAPACITY: usize = 8_000_000;
/// Default memory for the latest texts a dedup service keeps tokenized for
/// the verifier ([`texts::RecentTexts`]), in MiB: about 15,000 news
/// articles. The fused pipeline, which holds enrich too, has its own.
pub const DEFAULT_TEXT_CACHE_MB: usize = 64;

/// The `[dedup]` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupSettings {
    /// Detect near-duplicates; `false` leaves exact copies only.
    pub near: bool,
    /// No longer decides near copies: the verifier does, on both texts, with
    /// the thresholds of [`verify`]. Kept so existing configurations load.
    pub threshold: f64,
    /// Most texts the in-memory index of one replica holds, for each of the
    /// exact and near lookups; beyond it the oldest are no longer compared
    /// against. See deploy/README.md for the memory this takes.
    pub index_capacity: usize,
    /// How long an article waits for its own fingerprint to come back
    /// through the fingerprint stream before the attempt counts as failed
    /// (NAKed, redelivered). Covers a replica's tail catching up after a
    /// node loss.
    pub verdict_wait_ms: u64,
    /// MiB of memory for the latest texts this replica decided or read,
    /// kept tokenized so that a candidate among them is verified without
    /// reading it from `NEWS_RAW` again (0 keeps none). Unset: the
    /// deployment's default ([`DEFAULT_TEXT_CACHE_MB`] for the service).
    pub text_cache_mb: Option<usize>,
}

impl Default for DedupSettings {
    fn default() -> Self {
        Self {
            near: true,
            threshold: DEFAULT_THRESHOLD,
            index_capacity: DEFAULT_CAPACITY,
            verdict_wait_ms: 30_000,
            text_cache_mb: None,
        }
    }
}

/// What dedup decided for one article.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// First time seen (or a redelivery of the first): pass it on.
    Unique { redelivered: bool },
    /// The earliest-published article of a group whose head so far was
    /// published after it (and reached dedup first): pass it on, and report
    /// the old head as its copy, its record withdrawn.
    Original { replaced: ReplacedHead },
    /// The same article id came before with the same or similar text (a
    /// resend, or a new version): passed on again, its record replaces the
    /// earlier one.
    Resend,
    /// Too little text to judge (`text.min_words`, short texts passed on by
    /// configuration): no fingerprint, never a duplicate, passed on.
    Unchecked,
    /// A copy of an earlier article.
    Duplicate {
        /// The earliest article of the group.
        of: String,
        method: DuplicateMethod,
        similarity: f64,
        /// The threshold `similarity` reached (1.0 for exact copies).
        threshold: f64,
        /// What the verifier read (near copies verified by this replica).
        evidence: Option<DuplicateEvidence>,
        /// Heads of other groups the article was also verified a copy of
        /// (see the module documentation); their groups stay apart.
        also_of: Vec<String>,
    },
}

/// A group head taken over by an earlier-published copy.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplacedHead {
    pub id: String,
    /// Its `NEWS_RAW` sequence (its notice's message id).
    pub source_seq: u64,
    pub method: DuplicateMethod,
    pub similarity: f64,
    pub threshold: f64,
    pub evidence: Option<DuplicateEvidence>,
    /// Its url, source and title, read back from `NEWS_RAW` for the notice.
    pub url: Option<String>,
    pub source: Option<String>,
    pub title: Option<String>,
}

/// The staged article's JSON, written into a buffer with room for its
/// texts from the start: `serde_json::to_vec` starts at 128 bytes and
/// doubles, copying a news article's JSON six or seven times.
fn encode_staged(staged: &StagedArticle) -> Vec<u8> {
    let article = &staged.article;
    let texts: usize = [&article.text, &article.html, &article.title]
        .into_iter()
        .map(|text| text.as_ref().map_or(0, String::len))
        .sum();
    // Escaped line breaks and quotes, and the other fields.
    let mut json = Vec::with_capacity(texts + texts / 16 + 1024);
    serde_json::to_writer(&mut json, staged).expect("staged article serializes");
    json
}

/// What a verdict makes of an article: the article passed on, if it goes
/// on, with its `dedup` verdict and stamp, and the duplicate notices.
#[derive(Debug)]
pub struct Decided {
    /// For enrich, as the separate dedup publishes it on
    /// `news.stage.unique` (see [`outcome`]).
    pub passed_on: Option<StagedArticle>,
    /// The notices for `news.duplicates`, ready to publish.
    pub notices: Vec<Outgoing>,
}

/// The article with its verdict, to be passed on.
fn passed_on(mut staged: StagedArticle, verdict: &Verdict) -> StagedArticle {
    staged.dedup = Some(DedupInfo {
        status: if *verdict == Verdict::Unchecked {
            "unchecked"
        } else {
            "unique"
        }
        .into(),
        cluster_id: staged.id().to_string(),
        resend: *verdict == Verdict::Resend,
    });
    staged
}

/// The message that hands a passed-on article to enrich: with `received`,
/// the JSON it came with, its `article` and `page` are written as they came.
pub fn unique_message(staged: &StagedArticle, received: Option<&ReceivedJson>) -> Outgoing {
    let payload = match received {
        Some(received) => received.encode(staged),
        None => encode_staged(staged),
    };
    Outgoing {
        subject: subjects::UNIQUE,
        output: "next",
        message_id: staged.message_id(),
        payload: Bytes::from(payload),
    }
}

/// The messages the verdict calls for: the article passed on to
/// `news.stage.unique` (first) and the notices. `received`: the JSON the
/// article came with, if kept (see [`unique_message`]).
pub fn outcome(
    staged: StagedArticle,
    received: Option<&ReceivedJson>,
    verdict: &Verdict,
) -> Vec<Outgoing> {
    let Decided { passed_on, notices } = decided(staged, verdict);
    passed_on
        .as_ref()
        .map(|staged| unique_message(staged, received))
        .into_iter()
        .chain(notices)
        .collect()
}

/// What the verdict calls for, the article passed on as a value.
pub fn decided(mut staged: StagedArticle, verdict: &Verdict) -> Decided {
    let message_id = staged.message_id();
    staged.pipeline.push(stamp(STAGE, VERSION));
    match verdict {
        Verdict::Unique { .. } | Verdict::Resend | Verdict::Unchecked => Decided {
            passed_on: Some(passed_on(staged, verdict)),
            notices: Vec::new(),
        },
        Verdict::Original { replaced } => {
            let notice = DuplicateNotice {
                id: replaced.id.clone(),
                schema_version: RECORD_SCHEMA_VERSION,
                duplicate_of: staged.id().to_string(),
                method: replaced.method,
                similarity: round3(replaced.similarity),
                threshold: replaced.threshold,
                evidence: replaced.evidence.clone(),
                record_withdrawn: true,
                also_duplicate_of: Vec::new(),
                url: replaced.url.clone(),
                source: replaced.source.clone(),
                title: replaced.title.clone(),
                language: None,
                pipeline: vec![stamp(STAGE, VERSION)],
            };
            Decided {
                passed_on: Some(passed_on(staged, verdict)),
                notices: vec![Outgoing {
                    subject: subjects::DUPLICATES,
                    output: "duplicates",
                    // Once per replacement: the old head's input and its new head's.
                    message_id: format!("{}@{}<{message_id}", replaced.id, replaced.source_seq),
                    payload: Bytes::from(serde_json::to_vec(&notice).expect("notice serializes")),
                }],
            }
        }
        Verdict::Duplicate {
            of,
            method,
            similarity,
            threshold,
            evidence,
            also_of,
        } => {
            let notice = DuplicateNotice {
                id: staged.id().to_string(),
                schema_version: RECORD_SCHEMA_VERSION,
                duplicate_of: of.clone(),
                method: *method,
                similarity: round3(*similarity),
                threshold: *threshold,
                evidence: evidence.clone(),
                record_withdrawn: false,
                also_duplicate_of: also_of.clone(),
                url: staged.article.url,
                source: staged.article.source,
                title: staged.article.title,
                language: staged.language,
                pipeline: staged.pipeline,
            };
            Decided {
                passed_on: None,
                notices: vec![Outgoing {
                    subject: subjects::DUPLICATES,
                    output: "duplicates",
                    message_id,
                    payload: Bytes::from(serde_json::to_vec(&notice).expect("notice serializes")),
                }],
            }
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Times an article verifies again after its record came back stale
/// (another replica appended a candidate meanwhile) before the attempt
/// fails and the message is retried later.
const VERIFY_ROUNDS: usize = 8;

/// Texts of other groups the template guard compares a candidate pair with.
const TEMPLATE_WITNESSES: usize = 3;

/// Least share of the shorter text's words aligned with its group's head
/// for a text that copies another member of the group to join it. A member
/// can hold two stories (a paper's piece that runs a release and then
/// another, a roundup): a copy of its second story copies the member, not
/// the group's story, and would bridge two stories into one group.
pub const GROUP_STORY_SHARE: f64 = 0.25;

/// Verification work (words compared, roughly: the text's words times its
/// candidates, plus the candidates' words) up to which it runs where it is,
/// on the async worker, rather than on the stage's CPU threads. A typical
/// article with one or two candidates is a few thousand and takes well
/// under a millisecond, and the hand-off to the CPU threads cost more than
/// that: dedup's CPU per article rose 15-24 % in the stage bench (225 and
/// 231 against 260 and 286 µs) when every verification went there. Longer
/// work, which has no bound of its own but the text and candidate caps, is
/// held to the time limit there.
const INLINE_VERIFICATION_WORDS: usize = 50_000;

/// The candidates `text` is a copy of, the best first: CPU work on texts
/// already read (`read`: each candidate, its text, and whether it is of the
/// same source).
fn copies_among(text: &Text, read: &[(Candidate, Arc<KnownText>, bool)]) -> Vec<Chosen> {
    let mut copies: Vec<Chosen> = Vec::new();
    // The text is number 0, the candidates follow in order.
    let mut pairing = Pairing::new(
        std::iter::once(text)
            .chain(read.iter().map(|(_, stored, _)| &stored.text))
            .collect(),
    );
    for (number, (candidate, _, same)) in (1..).zip(read) {
        // The most similar texts of other groups: three are enough to
        // tell a template, and keep the cost linear in the candidates.
        let others: Vec<usize> = (1..)
            .zip(read)
            .filter(|(_, (other, _, _))| other.group != candidate.group)
            .map(|(other_number, _)| other_number)
            .take(TEMPLATE_WITNESSES)
            .collect();
        match pairing.copy(0, number, &others, *same) {
            Some(mut verification) => {
                metrics::verification("copy");
                verification.evidence.compared_with = candidate.id.to_string();
                copies.push(Chosen {
                    candidate: candidate.clone(),
                    verification,
                });
            }
            None => metrics::verification("different"),
        }
    }
    // Of several, the one of about its size (a copy) wins over a longer
    // roundup that quotes it: the highest rank, the first on ties.
    copies.sort_by(|a, b| b.verification.rank.total_cmp(&a.verification.rank));
    copies
}

/// Whether `text` shares enough of the group head's text to belong to its
/// story (see [`GROUP_STORY_SHARE`]).
fn on_story(text: &Text, head: &Text) -> bool {
    verify::verify(text, head, &[], false)
        .evidence
        .aligned_share
        >= GROUP_STORY_SHARE
}

/// What the transform makes of an article with enough text: its
/// fingerprint, and its text tokenized once for the verifier (for its own
/// candidates, and for later articles that find it a candidate).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub fingerprint: Fingerprint,
    pub text: Arc<KnownText>,
}

/// The candidate a text was found a copy of.
struct Chosen {
    candidate: Candidate,
    verification: Verification,
}

/// What the verification of an article's candidates found.
#[derive(Default)]
struct Verified {
    /// The candidate the record links to: of the copies, the one ranked
    /// first whose group's story the text is on.
    chosen: Option<Chosen>,
    /// The heads of the other groups the text is a copy of by the same
    /// rules, in the order of their best-ranked copies.
    also_of: Vec<Arc<str>>,
}

/// The dedup stage: verdicts from a [`VerdictLog`], candidates verified on
/// texts read from [`ArticleTexts`].
pub struct DedupStage<L, T> {
    pub log: L,
    pub texts: T,
    /// The near-duplicate threshold, reported in notices.
    pub threshold: f64,
    /// `min_text_words` (shorter texts get no fingerprint) and the bounds on
    /// reading a page that an older langid passed on as raw HTML.
    pub limits: IntakeLimits,
}

/// Publication time an article states, in Unix milliseconds (0: none): the
/// crawler's `published_at`, else the first time its page states, when
/// either is RFC 3339.
pub fn published_ms(staged: &StagedArticle) -> i64 {
    let stated = staged.article.published_at.iter().chain(
        staged
            .page
            .iter()
            .flat_map(|page| page.published.iter().take(1)),
    );
    stated
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
        .map(|t| t.timestamp_millis())
        .find(|&ms| ms != 0)
        .unwrap_or(0)
}

/// One source: the same `source`, else the same host of `url`.
fn same_source(a_source: Option<&str>, a_url: Option<&str>, b: &KnownText) -> bool {
    let host = |url: &str| {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        host.trim_start_matches("www.").to_ascii_lowercase()
    };
    match (a_source, b.source.as_deref()) {
        (Some(a), Some(b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
            a.trim().eq_ignore_ascii_case(b.trim())
        }
        _ => match (a_url, b.url.as_deref()) {
            (Some(a), Some(b)) => !host(a).is_empty() && host(a) == host(b),
            _ => false,
        },
    }
}

impl<L: VerdictLog, T: ArticleTexts> DedupStage<L, T> {
    /// The article's fingerprint and its text for the verifier: CPU work on
    /// its text, no NATS. `None` for a text too short to judge
    /// (`text.min_words`).
    pub fn prepare(&self, staged: &StagedArticle) -> Option<Prepared> {
        let body = staged.body();
        if !has_words(body, self.limits.min_text_words) {
            return None;
        }
        let analysis = shingle::analyze(body);
        let fingerprint = Fingerprint {
            source_seq: staged.source_seq,
            published_ms: published_ms(staged),
            id: staged.id().to_string(),
            exact: analysis.exact,
            sketch: Sketch::of_analysis(&analysis),
            ..Fingerprint::default()
        };
        let title = staged
            .article
            .title
            .as_deref()
            .or(staged.page.as_ref().and_then(|p| p.title.as_deref()));
        let text = KnownText {
            text: Text::from_words(title, analysis.words),
            title: title.map(str::to_string),
            source: staged.article.source.clone(),
            url: staged.article.url.clone(),
        };
        Some(Prepared {
            fingerprint,
            text: Arc::new(text),
        })
    }

    /// The verdict for one article (no publishing).
    ///
    /// # Errors
    /// Transient errors of the fingerprint log or of reading candidates.
    pub async fn verdict(&self, staged: &StagedArticle) -> Result<Verdict, StageError> {
        self.decide(staged, self.prepare(staged), &CpuThreads::inline())
            .await
    }

    /// [`DedupStage::decide`] as the stage runs it, the verdict counted in
    /// the stage's metrics: the service's `finish` and the fused
    /// pipeline's.
    ///
    /// # Errors
    /// Transient errors of the fingerprint log or of reading candidates; a
    /// verification past the time limit.
    pub async fn judge(
        &self,
        staged: &StagedArticle,
        prepared: Option<Prepared>,
        cpu: &CpuThreads,
    ) -> Result<Verdict, StageError> {
        let verdict = self.decide(staged, prepared, cpu).await?;
        match &verdict {
            Verdict::Unique { redelivered: false } => metrics::verdict("unique"),
            Verdict::Unique { redelivered: true } => metrics::verdict("redelivered"),
            Verdict::Original { .. } => metrics::verdict("unique"),
            Verdict::Resend => metrics::verdict("resend"),
            Verdict::Unchecked => metrics::verdict("unchecked"),
            Verdict::Duplicate {
                method,
                of,
                similarity,
                ..
            } => {
                metrics::verdict("duplicate");
                metrics::duplicate(method.as_str());
                metrics::similarity(method.as_str(), *similarity);
                tracing::debug!(id = staged.id(), duplicate_of = %of, method = method.as_str(), similarity, "duplicate");
            }
        }
        Ok(verdict)
    }

    /// The verdict for an article, its fingerprint and text: candidates
    /// from the fingerprint log, verified on their texts (on `cpu`, under
    /// the time limit: with many long candidates, verification is the
    /// stage's largest piece of work), and the decision appended.
    ///
    /// # Errors
    /// Transient errors of the fingerprint log or of reading candidates; a
    /// verification past the time limit.
    pub async fn decide(
        &self,
        staged: &StagedArticle,
        prepared: Option<Prepared>,
        cpu: &CpuThreads,
    ) -> Result<Verdict, StageError> {
        let Some(Prepared {
            mut fingerprint,
            text,
        }) = prepared
        else {
            return Ok(Verdict::Unchecked);
        };
        // Kept before the record is appended: from then on, articles
        // deciding at the same time may find it a candidate.
        self.texts.remember(staged.source_seq, &text);
        for _ in 0..VERIFY_ROUNDS {
            let lookup = self.log.lookup(fingerprint.exact, &fingerprint.sketch);
            // An exact copy joins the group of the text it repeats by its
            // key, unverified: its candidates are mostly that text's group,
            // whose latest members hold the band keys.
            let Verified { chosen, also_of } =
                if lookup.exact_held || lookup.candidates.is_empty() || !text.text.judgeable() {
                    Verified::default()
                } else {
                    self.verify_candidates(staged, &text, &lookup.candidates, cpu)
                        .await?
                };
            fingerprint.decided_at = lookup.applied;
            fingerprint.link = chosen.as_ref().map_or(0, |c| c.candidate.seq);
            fingerprint.link_similarity = chosen.as_ref().map_or(0, |c| {
                // In thousandths, 0..=1000: fits.
                (c.verification.similarity * 1000.0).round() as u16
            });
            let applied = self.log.decide(fingerprint.clone()).await.map_err(|err| {
                StageError::transient_caused(
                    "fingerprints",
                    "appending to or reading the fingerprint stream",
                    err,
                )
            })?;
            if applied.stale {
                metrics::event("stale");
                continue;
            }
            return self.verdict_from(applied, chosen, also_of).await;
        }
        Err(StageError::transient(
            "fingerprints",
            format!(
                "article {} (NEWS_RAW {}): new candidates kept arriving while it was verified, {VERIFY_ROUNDS} rounds",
                staged.id(),
                staged.source_seq
            ),
        ))
    }

    /// Reads every candidate's text and returns the one the text copies
    /// (of several, the one of about its size), and the heads of the other
    /// groups it also copies.
    async fn verify_candidates(
        &self,
        staged: &StagedArticle,
        text: &Arc<KnownText>,
        candidates: &[Candidate],
        cpu: &CpuThreads,
    ) -> Result<Verified, StageError> {
        if candidates.is_empty() {
            return Ok(Verified::default());
        }
        let started = std::time::Instant::now();
        let reads = futures::future::join_all(
            candidates
                .iter()
                .map(|candidate| self.texts.text(candidate.source_seq)),
        )
        .await;
        let mut read = Vec::with_capacity(candidates.len());
        for (candidate, stored) in candidates.iter().zip(reads) {
            let stored = stored.map_err(|err| {
                StageError::transient_caused("candidates", "reading a candidate's text", err)
            })?;
            match stored {
                Some(stored) => {
                    let same = same_source(
                        staged.article.source.as_deref(),
                        staged.article.url.as_deref(),
                        &stored,
                    );
                    read.push((candidate.clone(), stored, same));
                }
                None => metrics::verification("unreadable"),
            }
        }
        metrics::verify_observe("read", started);
        // Verification costs about the words compared: each candidate
        // aligned with the text, and the text with the template witnesses.
        let work = text.text.len() * read.len()
            + read
                .iter()
                .map(|(_, stored, _)| stored.text.len())
                .sum::<usize>();
        let inline = CpuThreads::inline();
        let cpu = if work <= INLINE_VERIFICATION_WORDS {
            &inline
        } else {
            cpu
        };
        let verified_text = text.clone();
        let (copies, read) = cpu
            .run("verification", move || {
                let started = std::time::Instant::now();
                let copies = copies_among(&verified_text.text, &read);
                metrics::verify_observe("compare", started);
                Ok((copies, read))
            })
            .await?;
        // A group is taken on its best-ranked copy on its story; a group
        // whose member is off its story can still be taken on its head.
        let mut taken_groups = Vec::new();
        let mut off_story_groups = Vec::new();
        let mut verified = Verified::default();
        for chosen in copies {
            let group = chosen.candidate.group;
            let is_head = chosen.candidate.source_seq == chosen.candidate.head_source_seq;
            if taken_groups.contains(&group) || (!is_head && off_story_groups.contains(&group)) {
                continue;
            }
            if !self
                .on_group_story(text, &chosen.candidate, &read, cpu)
                .await?
            {
                metrics::event("off_story");
                off_story_groups.push(group);
                continue;
            }
            taken_groups.push(group);
            match verified.chosen {
                None => verified.chosen = Some(chosen),
                Some(_) => verified.also_of.push(chosen.candidate.head_id.clone()),
            }
        }
        if !verified.also_of.is_empty() {
            metrics::event("also_copies");
        }
        Ok(verified)
    }

    /// Whether a text that copies `candidate` is on its group's story: the
    /// candidate is the head, or the text shares enough with the head (see
    /// [`GROUP_STORY_SHARE`]). `read`: the candidates' texts already read.
    async fn on_group_story(
        &self,
        text: &Arc<KnownText>,
        candidate: &Candidate,
        read: &[(Candidate, Arc<KnownText>, bool)],
        cpu: &CpuThreads,
    ) -> Result<bool, StageError> {
        let head_seq = candidate.head_source_seq;
        if candidate.source_seq == head_seq {
            return Ok(true);
        }
        let head = match read.iter().find(|(c, _, _)| c.source_seq == head_seq) {
            Some((_, stored, _)) => Some(stored.clone()),
            None => self.texts.text(head_seq).await.ok().flatten(),
        };
        // An unreadable head (out of NEWS_RAW) leaves the member's word.
        let Some(head) = head else {
            return Ok(true);
        };
        let text = text.clone();
        cpu.run("verification", move || Ok(on_story(&text.text, &head.text)))
            .await
    }

    async fn verdict_from(
        &self,
        applied: Applied,
        chosen: Option<Chosen>,
        also_of: Vec<Arc<str>>,
    ) -> Result<Verdict, StageError> {
        let Applied {
            verdict,
            redelivered,
            resend,
            replaced,
            ..
        } = applied;
        let (threshold, evidence) = match chosen {
            Some(c) => (c.verification.threshold, Some(c.verification.evidence)),
            None => (self.threshold, None),
        };
        // An exact copy is judged by its text alone: threshold 1, no evidence.
        let threshold_for = |method| match method {
            DuplicateMethod::Exact => 1.0,
            DuplicateMethod::Near => threshold,
        };
        let evidence_for = |method| match method {
            DuplicateMethod::Exact => None,
            DuplicateMethod::Near => evidence.clone(),
        };
        if let Some(Replaced {
            id,
            source_seq,
            method,
            similarity,
        }) = replaced
        {
            metrics::event("head_replaced");
            let stored = self
                .texts
                .text(source_seq)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            return Ok(Verdict::Original {
                replaced: ReplacedHead {
                    id: id.to_string(),
                    source_seq,
                    method,
                    similarity,
                    threshold: threshold_for(method),
                    evidence: evidence_for(method),
                    url: stored.url.clone(),
                    source: stored.source.clone(),
                    title: stored.title.clone(),
                },
            });
        }
        Ok(match verdict {
            IndexVerdict::Unique if resend => Verdict::Resend,
            IndexVerdict::Unique => Verdict::Unique { redelivered },
            IndexVerdict::Duplicate {
                of,
                method,
                similarity,
            } => Verdict::Duplicate {
                also_of: also_of
                    .iter()
                    .filter(|head| **head != of)
                    .map(|head| head.to_string())
                    .collect(),
                of: of.to_string(),
                method,
                similarity,
                threshold: threshold_for(method),
                evidence: evidence_for(method),
            },
        })
    }
}

impl<L: VerdictLog, T: ArticleTexts> Processor for DedupStage<L, T> {
    /// The article, the JSON it came with and its fingerprint; the verdict
    /// needs the fingerprint log and the candidates' texts.
    type Transformed = (StagedArticle, Option<ReceivedJson>, Option<Prepared>);
    type Finished = Processed;

    fn stage(&self) -> &'static str {
        STAGE
    }

    fn init_metrics(&self) {
        metrics::init();
    }

    fn transform(&self, input: Incoming<'_>) -> Result<Self::Transformed, StageError> {
        // The article is passed on unchanged but for its verdict: its JSON
        // is kept to be written back as it came.
        let (mut staged, received) = decode_staged_keeping_json(input.payload)?;
        html::attach_page(&mut staged, &self.limits.html);
        let prepared = self.prepare(&staged);
        Ok((staged, received, prepared))
    }

    async fn finish(
        &self,
        (staged, received, prepared): Self::Transformed,
        cpu: &CpuThreads,
    ) -> Result<Processed, StageError> {
        let verdict = self.judge(&staged, prepared, cpu).await?;
        Ok(outcome(staged, received.as_ref(), &verdict).into())
    }

    fn complete(&self, processed: Processed) -> Result<Processed, StageError> {
        Ok(processed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use index::{DupIndex, IndexSettings};
    use log::MemoryLog;
    use newsflow_core::contracts::{Article, STAGED_SCHEMA_VERSION};
    use texts::{MemoryTexts, StoredText};

    const STORY: &str = "The central bank raised its main interest rate by half a point on Tuesday, \
        the third increase this year, saying inflation was still far above its target.\n\
        The governor told reporters that further rises could not be ruled out if prices \
        kept climbing through the summer.\nMarkets had expected a smaller move, and the \
        currency rose sharply against the dollar after the announcement.\nEconomists said \
        the decision showed the bank was willing to risk slower growth to bring prices down.";

    type Stage = DedupStage<MemoryLog, MemoryTexts>;

    fn stage() -> Stage {
        DedupStage {
            texts: MemoryTexts::default(),
            log: MemoryLog::new(DupIndex::new(IndexSettings {
                near: true,
                threshold: DEFAULT_THRESHOLD,
                window_ms: i64::MAX / 4,
                capacity: 1000,
            })),
            threshold: DEFAULT_THRESHOLD,
            limits: IntakeLimits {
                min_text_words: 1,
                ..IntakeLimits::default()
            },
        }
    }

    fn staged(id: &str, seq: u64, text: &str) -> StagedArticle {
        StagedArticle {
            schema_version: STAGED_SCHEMA_VERSION,
            article: Article {
                id: Some(id.into()),
                text: Some(text.into()),
                ..Default::default()
            },
            source_seq: seq,
            received_at: "2024-01-15T00:00:00.000Z".into(),
            language: None,
            dedup: None,
            page: None,
            pipeline: vec![],
        }
    }

    /// The verdict, with the article's text stored where later candidates read it.
    async fn decide(stage: &Stage, staged: &StagedArticle) -> Verdict {
        let stored = StoredText::of_article(staged.article.clone(), &Default::default());
        stage.texts.insert(staged.source_seq, stored);
        stage.verdict(staged).await.unwrap()
    }

    /// `count` words of story `n`, no two stories sharing a word.
    fn story_words(n: usize, count: usize) -> String {
        (0..count)
            .map(|i| format!("s{n}w{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[tokio::test]
    async fn a_copy_of_a_members_second_story_does_not_join_the_group() {
        // A release (the head); a paper's piece that runs it and then a
        // second story (a member: the release is all inside it, at its
        // start); and a copy of that second story with a few lines more.
        let stage = stage();
        let (release, second) = (story_words(1, 80), story_words(2, 160));
        let piece = format!("{release}\n{second}");
        let copy = format!("{second}\n{}", story_words(3, 40));
        assert_eq!(
            decide(&stage, &staged("release", 1, &release)).await,
            Verdict::Unique { redelivered: false }
        );
        match decide(&stage, &staged("piece", 2, &piece)).await {
            Verdict::Duplicate { of, .. } => assert_eq!(of, "release"),
            other => panic!("the piece runs the release: {other:?}"),
        }
        // The copy is a copy of the piece by its text alone ...
        let (copy_text, piece_text) = (Text::new(None, &copy), Text::new(None, &piece));
        assert!(verify::verify(&copy_text, &piece_text, &[], false).copy);
        // ... but shares nothing with the release, the group's story.
        assert!(!on_story(&copy_text, &Text::new(None, &release)));
        assert_eq!(
            decide(&stage, &staged("copy", 3, &copy)).await,
            Verdict::Unique { redelivered: false }
        );
        // A copy of the release itself still joins the group.
        let release_copy = format!("{release} {}", story_words(4, 8));
        match decide(&stage, &staged("release-copy", 4, &release_copy)).await {
            Verdict::Duplicate { of, .. } => assert_eq!(of, "release"),
            other => panic!("a copy of the release: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_copy_of_two_groups_joins_one_and_names_the_others_head() {
        // Two versions of one story that share its core but too little to
        // be copies of each other (half of each), so they head two groups;
        // then a copy of the core, a copy of both.
        let stage = stage();
        let core = story_words(1, 60);
        let first = format!("{core}\n{}", story_words(2, 60));
        let second = format!("{core}\n{}", story_words(3, 60));
        let copy = format!("{core}\n{}", story_words(4, 10));
        for (id, seq, text) in [("first", 1, &first), ("second", 2, &second)] {
            assert_eq!(
                decide(&stage, &staged(id, seq, text)).await,
                Verdict::Unique { redelivered: false },
                "{id}"
            );
        }
        let also_of_second = |verdict: &Verdict| match verdict {
            Verdict::Duplicate { of, also_of, .. } => {
                assert_eq!(of, "first");
                assert_eq!(also_of, &["second".to_string()]);
            }
            other => panic!("a copy of both versions: {other:?}"),
        };
        let verdict = decide(&stage, &staged("copy", 3, &copy)).await;
        also_of_second(&verdict);
        let notice: DuplicateNotice =
            serde_json::from_slice(&outcome(staged("copy", 3, &copy), None, &verdict)[0].payload)
                .unwrap();
        assert_eq!(notice.also_duplicate_of, ["second"]);
        // An exact copy of the copy joins by its key, unverified: it names
        // no other group.
        match decide(&stage, &staged("exact", 4, &copy)).await {
            Verdict::Duplicate { of, also_of, .. } => {
                assert_eq!(of, "first");
                assert!(also_of.is_empty(), "{also_of:?}");
            }
            other => panic!("an exact copy of the copy: {other:?}"),
        }
        // The groups stay apart: an exact copy of the second version joins
        // the second group, headed by it.
        match decide(&stage, &staged("second-again", 5, &second)).await {
            Verdict::Duplicate { of, method, .. } => {
                assert_eq!((of.as_str(), method), ("second", DuplicateMethod::Exact));
            }
            other => panic!("an exact copy of the second version: {other:?}"),
        }
    }

    #[tokio::test]
    async fn near_copies_and_their_exact_copies_point_at_the_head() {
        let stage = stage();
        let dressed = format!(
            "LONDON (Reuters) - {STORY}\nReporting by Jane Doe; editing by John Roe, 2024."
        );
        let cut: String = STORY.split('\n').take(2).collect::<Vec<_>>().join("\n");
        let first = decide(&stage, &staged("a", 1, STORY)).await;
        assert_eq!(first, Verdict::Unique { redelivered: false });
        for (id, seq, text) in [("b", 2, dressed.as_str()), ("c", 3, cut.as_str())] {
            match decide(&stage, &staged(id, seq, text)).await {
                Verdict::Duplicate {
                    of,
                    method,
                    similarity,
                    threshold,
                    evidence,
                    also_of,
                } => {
                    assert_eq!((of.as_str(), method), ("a", DuplicateMethod::Near), "{id}");
                    assert!(also_of.is_empty(), "{id}: one group only: {also_of:?}");
                    assert!(similarity >= threshold, "{id}: {similarity}");
                    assert_eq!(threshold, verify::THRESHOLD);
                    let evidence = evidence.expect("a near copy keeps its evidence");
                    assert_eq!(evidence.compared_with, "a");
                    assert!(
                        evidence.longest_passage >= verify::PASSAGE_WORDS,
                        "{evidence:?}"
                    );
                }
                other => panic!("{id}: {other:?}"),
            }
        }
        // An exact copy of the near-copy b belongs to a's group too.
        let copy_of_copy = decide(&stage, &staged("d", 4, &dressed)).await;
        assert!(matches!(copy_of_copy, Verdict::Duplicate { of, .. } if of == "a"));
        // A redelivery of the near-copy gets the same verdict, not "copy of itself".
        let again = decide(&stage, &staged("b", 2, &dressed)).await;
        assert!(matches!(again, Verdict::Duplicate { of, .. } if of == "a"));
        let redelivered = decide(&stage, &staged("a", 1, STORY)).await;
        assert_eq!(redelivered, Verdict::Unique { redelivered: true });
    }

    #[tokio::test]
    async fn different_stories_stay_unique() {
        let stage = stage();
        let other = "Heavy rain flooded several villages in the north overnight, and rescue \
            teams used boats to reach families stranded on rooftops. The weather service \
            warned that more storms were expected before the weekend and asked residents \
            to stay away from rivers. Schools in the region will remain closed on Friday.";
        for (id, seq, text) in [("a", 1, STORY), ("b", 2, other)] {
            assert_eq!(
                decide(&stage, &staged(id, seq, text)).await,
                Verdict::Unique { redelivered: false }
            );
        }
    }

    #[tokio::test]
    async fn a_copy_under_another_id_is_an_exact_duplicate_of_the_first() {
        let stage = stage();
        let first = staged("a", 1, "The same wire story.\nSecond line.");
        let copy = staged("b", 2, "  THE SAME wire story. Second   line. ");
        assert_eq!(
            decide(&stage, &first).await,
            Verdict::Unique { redelivered: false }
        );
        assert_eq!(
            decide(&stage, &copy).await,
            Verdict::Duplicate {
                of: "a".into(),
                method: DuplicateMethod::Exact,
                similarity: 1.0,
                threshold: 1.0,
                evidence: None,
                also_of: Vec::new(),
            }
        );
    }

    #[tokio::test]
    async fn a_redelivery_is_never_a_duplicate_of_itself() {
        // The fingerprint is appended before the downstream publish: a crash
        // between the two redelivers the article, which appends again.
        let stage = stage();
        let article = staged("a", 7, "Text");
        assert_eq!(
            decide(&stage, &article).await,
            Verdict::Unique { redelivered: false }
        );
        assert_eq!(
            decide(&stage, &article).await,
            Verdict::Unique { redelivered: true }
        );
    }

    #[tokio::test]
    async fn a_second_publication_of_the_same_id_is_a_resend_not_a_duplicate() {
        let stage = stage();
        decide(&stage, &staged("a", 7, "Text")).await;
        let again = decide(&stage, &staged("a", 9, "Text")).await;
        assert_eq!(again, Verdict::Resend);
        let out = outcome(staged("a", 9, "Text"), None, &again).remove(0);
        assert_eq!(out.subject, subjects::UNIQUE);
        let passed: StagedArticle = serde_json::from_slice(&out.payload).unwrap();
        let dedup = passed.dedup.unwrap();
        assert_eq!((dedup.status.as_str(), dedup.resend), ("unique", true));
    }

    #[tokio::test]
    async fn texts_below_the_minimum_are_never_fingerprinted() {
        let mut stage = stage();
        stage.limits.min_text_words = 5;
        for (id, seq) in [("a", 1), ("b", 2)] {
            assert_eq!(
                decide(&stage, &staged(id, seq, "Too short.")).await,
                Verdict::Unchecked,
                "{id}"
            );
        }
        let out = outcome(staged("b", 2, "Too short."), None, &Verdict::Unchecked).remove(0);
        let passed: StagedArticle = serde_json::from_slice(&out.payload).unwrap();
        assert_eq!(passed.dedup.unwrap().status, "unchecked");
    }

    #[test]
    fn unique_articles_start_their_own_cluster() {
        let out = outcome(
            staged("a", 1, "x"),
            None,
            &Verdict::Unique { redelivered: false },
        )
        .remove(0);
        assert_eq!(out.subject, subjects::UNIQUE);
        assert_eq!(out.message_id, "a@1");
        let passed: StagedArticle = serde_json::from_slice(&out.payload).unwrap();
        assert_eq!(passed.dedup.unwrap().cluster_id, "a");
    }

    #[test]
    fn duplicates_become_notices() {
        let verdict = Verdict::Duplicate {
            of: "a".into(),
            method: DuplicateMethod::Exact,
            similarity: 1.0,
            threshold: 1.0,
            evidence: None,
            also_of: Vec::new(),
        };
        let out = outcome(staged("b", 2, "x"), None, &verdict).remove(0);
        assert_eq!(out.subject, subjects::DUPLICATES);
        let notice: DuplicateNotice = serde_json::from_slice(&out.payload).unwrap();
        assert_eq!(
            (notice.id.as_str(), notice.duplicate_of.as_str()),
            ("b", "a")
        );
        assert_eq!(notice.pipeline.last().unwrap().stage, "dedup");
    }

    #[tokio::test]
    async fn a_copy_processed_before_its_original_hands_the_record_back() {
        let stage = stage();
        let copy_text =
            format!("PARIS (AFP) - {STORY}\nAll rights reserved, reproduction forbidden.");
        let copy = staged("copy", 6, &copy_text);
        assert_eq!(
            decide(&stage, &copy).await,
            Verdict::Unique { redelivered: false }
        );
        let original = staged("orig", 5, STORY);
        let verdict = decide(&stage, &original).await;
        let Verdict::Original { replaced } = &verdict else {
            panic!("{verdict:?}");
        };
        assert_eq!((replaced.id.as_str(), replaced.source_seq), ("copy", 6));
        let out = outcome(original, None, &verdict);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].subject, subjects::UNIQUE);
        let notice: DuplicateNotice = serde_json::from_slice(&out[1].payload).unwrap();
        assert_eq!(
            (notice.id.as_str(), notice.duplicate_of.as_str()),
            ("copy", "orig")
        );
        assert!(notice.record_withdrawn);
        assert!(notice.evidence.is_some());
        // A third copy names the original.
        let third = decide(&stage, &staged("third", 7, &copy_text.to_uppercase())).await;
        assert!(matches!(third, Verdict::Duplicate { of, .. } if of == "orig"));
    }

    #[tokio::test]
    async fn texts_too_short_to_judge_are_never_near_copies_but_exact_copies_are() {
        let stage = stage();
        // Two captions of one photo, a word apart: 20 words, under verify::MIN_WORDS.
        let caption = "The governor speaks to reporters outside the central bank in the capital \
            on Tuesday after the board raised its main rate";
        assert!(newsflow_core::text::word_count(caption) < verify::MIN_WORDS);
        decide(&stage, &staged("a", 1, caption)).await;
        let edited = caption.replace("Tuesday", "Wednesday");
        assert_eq!(
            decide(&stage, &staged("b", 2, &edited)).await,
            Verdict::Unique { redelivered: false }
        );
        let exact = decide(&stage, &staged("c", 3, caption)).await;
        assert!(matches!(
            exact,
            Verdict::Duplicate {
                method: DuplicateMethod::Exact,
                ..
            }
        ));
    }
}
