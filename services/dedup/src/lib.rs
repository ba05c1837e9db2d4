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
//! * [`store`]: exact copies. The BLAKE3 hash of the normalized body is claimed
//!   in the JetStream KV bucket `newsflow_dedup_exact` with an atomic `create`
//!   storing `id@source_seq`; a redelivered article finds its own claim.
//! * [`shingle`], [`sketch`]: the text normalized (NFKC, case, Arabic letter
//!   variants, diacritics, digits of every script, punctuation, furniture
//!   lines) into word 4-shingles, and their 64-hash MinHash sketch.
//! * [`index`]: the deterministic near-duplicate index (LSH bands over the
//!   sketches, Jaccard or containment against a threshold).
//! * [`log`]: the stream `DEDUP_FINGERPRINTS` every replica appends to and
//!   tails into its index; its order settles races between replicas.
//!
//! An article that is not an exact copy appends its fingerprint and takes the
//! verdict the log gives it. An exact copy takes the verdict of the article
//! holding the claim: a copy of a near-copy points at the group's head.

pub mod index;
pub mod log;
mod metrics;
pub mod shingle;
pub mod sketch;
pub mod store;

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use newsflow_core::contracts::{
    DedupInfo, DuplicateMethod, DuplicateNotice, RECORD_SCHEMA_VERSION, StagedArticle,
};
use newsflow_core::intake::decode_staged;
use newsflow_core::runtime::{Incoming, Outgoing, Processed, Processor, StageError};
use newsflow_core::text::html_to_text;
use newsflow_core::{stamp, subjects};
use serde::Deserialize;

use index::NearVerdict;
use log::VerdictLog;
use sketch::{Fingerprint, Sketch};
use store::{Claim, SeenStore};

pub const STAGE: &str = "dedup";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Default near-duplicate threshold on the similarity score (the larger of
/// estimated Jaccard and containment, see [`sketch::Similarity::score`]).
pub const DEFAULT_THRESHOLD: f64 = 0.7;
/// Default number of cluster heads the in-memory index holds (about 650
/// bytes each): a 7-day window of 1 million articles a day, 30 % copies, fits.
pub const DEFAULT_CAPACITY: usize = 8_000_000;

/// Deliveries an exact copy waits for the fingerprint of the article it
/// copies before naming that article without knowing its group.
pub const HOLDER_ATTEMPTS: i64 = 3;

/// The `[dedup]` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupSettings {
    /// Detect near-duplicates; `false` leaves exact copies only.
    pub near: bool,
    /// Similarity score (larger of estimated Jaccard and containment) from
    /// which an article is a near-copy. Changing it changes the verdicts a
    /// restarted replica rebuilds, so change it on all replicas at once.
    pub threshold: f64,
    /// Most unique articles the in-memory index of one replica holds (about
    /// 650 bytes each); beyond it the oldest are no longer compared against.
    pub index_capacity: usize,
    /// Milliseconds an exact copy waits for the fingerprint of the article it
    /// copies (appended right after that article's claim) to learn its group.
    pub holder_wait_ms: u64,
}

impl Default for DedupSettings {
    fn default() -> Self {
        Self {
            near: true,
            threshold: DEFAULT_THRESHOLD,
            index_capacity: DEFAULT_CAPACITY,
            holder_wait_ms: 3000,
        }
    }
}

/// The body text the fingerprints are taken from (the headline is left out:
/// syndicated copies often change it).
pub fn body(staged: &StagedArticle) -> Cow<'_, str> {
    let article = &staged.article;
    match (&article.text, &article.html) {
        (Some(text), _) if !text.trim().is_empty() => Cow::Borrowed(text.as_str()),
        (_, Some(html)) => Cow::Owned(html_to_text(html).text),
        _ => Cow::Borrowed(""),
    }
}

/// The exact-duplicate key of an analysed body: `x` and 32 hex digits.
pub fn exact_key(analysis: &shingle::Analysis) -> String {
    let mut key = String::with_capacity(33);
    key.push('x');
    for byte in analysis.exact {
        key.push_str(&format!("{byte:02x}"));
    }
    key
}

/// The exact-duplicate key of an article: a hash of the normalized words of
/// its body (see [`shingle::Analysis::exact`]).
pub fn fingerprint(staged: &StagedArticle) -> String {
    exact_key(&shingle::analyze(&body(staged)))
}

/// What dedup decided for one article.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// First time seen (or a redelivery of the first): pass it on.
    Unique { redelivered: bool },
    /// A copy of an earlier article.
    Duplicate {
        /// The earliest article of the group.
        of: String,
        method: DuplicateMethod,
        similarity: f64,
        /// The threshold `similarity` reached (1.0 for exact copies).
        threshold: f64,
    },
}

/// The exact-copy decision, from the article's claim and the store's answer.
pub fn decide(claimant: &str, claim: &Claim) -> Verdict {
    match claim {
        Claim::First => Verdict::Unique { redelivered: false },
        Claim::HeldBy(holder) if holder == claimant => Verdict::Unique { redelivered: true },
        Claim::HeldBy(holder) => Verdict::Duplicate {
            of: holder
                .rsplit_once('@')
                .map_or(holder.as_str(), |(id, _)| id)
                .to_string(),
            method: DuplicateMethod::Exact,
            similarity: 1.0,
            threshold: 1.0,
        },
    }
}

/// The `NEWS_RAW` sequence in a claim value `id@source_seq`.
fn holder_seq(holder: &str) -> Option<u64> {
    holder
        .rsplit_once('@')
        .and_then(|(_, seq)| seq.parse().ok())
}

/// Builds the message the verdict calls for.
pub fn outcome(mut staged: StagedArticle, verdict: &Verdict) -> Outgoing {
    let message_id = staged.message_id();
    staged.pipeline.push(stamp(STAGE, VERSION));
    match verdict {
        Verdict::Unique { .. } => {
            staged.dedup = Some(DedupInfo {
                status: "unique".into(),
                cluster_id: staged.id().to_string(),
            });
            Outgoing {
                subject: subjects::UNIQUE,
                output: "next",
                message_id,
                payload: Bytes::from(
                    serde_json::to_vec(&staged).expect("staged article serializes"),
                ),
            }
        }
        Verdict::Duplicate {
            of,
            method,
            similarity,
            threshold,
        } => {
            let notice = DuplicateNotice {
                id: staged.id().to_string(),
                schema_version: RECORD_SCHEMA_VERSION,
                duplicate_of: of.clone(),
                method: *method,
                similarity: round3(*similarity),
                threshold: *threshold,
                url: staged.article.url,
                source: staged.article.source,
                title: staged.article.title,
                language: staged.language,
                pipeline: staged.pipeline,
            };
            Outgoing {
                subject: subjects::DUPLICATES,
                output: "duplicates",
                message_id,
                payload: Bytes::from(serde_json::to_vec(&notice).expect("notice serializes")),
            }
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The dedup stage: exact claims in a [`SeenStore`], near-duplicate verdicts
/// from a [`VerdictLog`] (`None`: exact copies only).
pub struct DedupStage<S, L> {
    pub store: S,
    pub log: Option<L>,
    pub threshold: f64,
    /// How long an exact copy waits to learn the group of the article it copies.
    pub holder_wait: Duration,
}

impl<S: SeenStore> DedupStage<S, log::MemoryLog> {
    /// A stage that finds exact copies only.
    pub fn exact_only(store: S) -> Self {
        Self {
            store,
            log: None,
            threshold: 1.0,
            holder_wait: Duration::ZERO,
        }
    }
}

impl<S: SeenStore, L: VerdictLog> DedupStage<S, L> {
    /// The verdict for one article (no publishing).
    ///
    /// # Errors
    /// Transient errors of the KV bucket or the fingerprint log.
    ///
    /// `delivered` is the delivery attempt of the input: an exact copy whose
    /// holder's fingerprint is not known yet (the holder is still in flight,
    /// or its replica died) is retried rather than guessed, up to the
    /// [`HOLDER_ATTEMPTS`]th attempt, after which it names the holder itself.
    pub async fn verdict(
        &self,
        staged: &StagedArticle,
        delivered: i64,
    ) -> Result<Verdict, StageError> {
        let analysis = shingle::analyze(&body(staged));
        let key = exact_key(&analysis);
        let claimant = staged.message_id();
        let claim = self
            .store
            .claim(&key, &claimant)
            .await
            .map_err(|err| StageError::transient("kv", err.to_string()))?;
        let verdict = decide(&claimant, &claim);
        let Some(log) = &self.log else {
            return Ok(verdict);
        };
        match (verdict, &claim) {
            (exact @ Verdict::Duplicate { .. }, Claim::HeldBy(holder)) => {
                // Same text as the holder: same group. If the holder is itself
                // a near-copy, point at its head, with its similarity.
                let Some(seq) = holder_seq(holder) else {
                    return Ok(exact);
                };
                Ok(match log.verdict_of(seq, self.holder_wait).await {
                    Some(NearVerdict::Duplicate { of, similarity, .. }) => Verdict::Duplicate {
                        of: of.to_string(),
                        method: DuplicateMethod::Near,
                        similarity,
                        threshold: self.threshold,
                    },
                    Some(NearVerdict::Unique) => exact,
                    None if delivered < HOLDER_ATTEMPTS => {
                        return Err(StageError::transient(
                            "fingerprints",
                            format!(
                                "the fingerprint of {holder}, which {} copies exactly, is not known yet",
                                staged.message_id()
                            ),
                        ));
                    }
                    None => exact,
                })
            }
            (unique, _) => {
                let fingerprint = Fingerprint {
                    source_seq: staged.source_seq,
                    id: staged.id().to_string(),
                    sketch: Sketch::of_shingles(&analysis.shingles),
                };
                let near = log
                    .decide(fingerprint)
                    .await
                    .map_err(|err| StageError::transient("fingerprints", err.to_string()))?;
                Ok(match near {
                    NearVerdict::Unique => unique,
                    NearVerdict::Duplicate { of, similarity, .. } => Verdict::Duplicate {
                        of: of.to_string(),
                        method: DuplicateMethod::Near,
                        similarity,
                        threshold: self.threshold,
                    },
                })
            }
        }
    }
}

impl<S: SeenStore, L: VerdictLog> Processor for DedupStage<S, L> {
    fn stage(&self) -> &'static str {
        STAGE
    }

    fn init_metrics(&self) {
        metrics::init();
    }

    async fn process(&self, input: Incoming<'_>) -> Result<Processed, StageError> {
        let staged = decode_staged(input.payload)?;
        let verdict = self.verdict(&staged, input.delivered).await?;
        match &verdict {
            Verdict::Unique { redelivered: false } => metrics::verdict("unique"),
            Verdict::Unique { redelivered: true } => metrics::verdict("redelivered"),
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
        Ok(vec![outcome(staged, &verdict)].into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use index::{IndexSettings, NearIndex};
    use log::MemoryLog;
    use newsflow_core::contracts::{Article, STAGED_SCHEMA_VERSION};
    use store::MemoryStore;

    const STORY: &str = "The central bank raised its main interest rate by half a point on Tuesday, \
        the third increase this year, saying inflation was still far above its target.\n\
        The governor told reporters that further rises could not be ruled out if prices \
        kept climbing through the summer.\nMarkets had expected a smaller move, and the \
        currency rose sharply against the dollar after the announcement.\nEconomists said \
        the decision showed the bank was willing to risk slower growth to bring prices down.";

    fn near_stage() -> DedupStage<MemoryStore, MemoryLog> {
        DedupStage {
            store: MemoryStore::default(),
            log: Some(MemoryLog::new(NearIndex::new(IndexSettings {
                threshold: DEFAULT_THRESHOLD,
                window_ms: i64::MAX / 4,
                capacity: 1000,
            }))),
            threshold: DEFAULT_THRESHOLD,
            holder_wait: Duration::ZERO,
        }
    }

    #[tokio::test]
    async fn near_copies_and_their_exact_copies_point_at_the_head() {
        let stage = near_stage();
        let dressed = format!(
            "LONDON (Reuters) - {STORY}\nReporting by Jane Doe; editing by John Roe, 2024."
        );
        let cut: String = STORY.split('\n').take(2).collect::<Vec<_>>().join("\n");
        let first = stage.verdict(&staged("a", 1, STORY), 1).await.unwrap();
        assert_eq!(first, Verdict::Unique { redelivered: false });
        for (id, seq, text) in [("b", 2, dressed.as_str()), ("c", 3, cut.as_str())] {
            match stage.verdict(&staged(id, seq, text), 1).await.unwrap() {
                Verdict::Duplicate {
                    of,
                    method,
                    similarity,
                    threshold,
                } => {
                    assert_eq!((of.as_str(), method), ("a", DuplicateMethod::Near), "{id}");
                    assert!(similarity >= threshold, "{id}: {similarity}");
                    assert_eq!(threshold, DEFAULT_THRESHOLD);
                }
                other => panic!("{id}: {other:?}"),
            }
        }
        // An exact copy of the near-copy b belongs to a's group too.
        let copy_of_copy = stage.verdict(&staged("d", 4, &dressed), 1).await.unwrap();
        assert!(matches!(copy_of_copy, Verdict::Duplicate { of, .. } if of == "a"));
        // A redelivery of the near-copy gets the same verdict, not "copy of itself".
        let again = stage.verdict(&staged("b", 2, &dressed), 1).await.unwrap();
        assert!(matches!(again, Verdict::Duplicate { of, .. } if of == "a"));
        let redelivered = stage.verdict(&staged("a", 1, STORY), 1).await.unwrap();
        assert_eq!(redelivered, Verdict::Unique { redelivered: true });
    }

    #[tokio::test]
    async fn different_stories_stay_unique_with_near_detection_on() {
        let stage = near_stage();
        let other = "Heavy rain flooded several villages in the north overnight, and rescue \
            teams used boats to reach families stranded on rooftops. The weather service \
            warned that more storms were expected before the weekend and asked residents \
            to stay away from rivers. Schools in the region will remain closed on Friday.";
        for (id, seq, text) in [("a", 1, STORY), ("b", 2, other)] {
            assert_eq!(
                stage.verdict(&staged(id, seq, text), 1).await.unwrap(),
                Verdict::Unique { redelivered: false }
            );
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
            pipeline: vec![],
        }
    }

    async fn verdict(store: &MemoryStore, article: &StagedArticle) -> Verdict {
        let claimant = article.message_id();
        let claim = store.claim(&fingerprint(article), &claimant).await.unwrap();
        decide(&claimant, &claim)
    }

    #[tokio::test]
    async fn a_copy_under_another_id_is_a_duplicate_of_the_first() {
        let store = MemoryStore::default();
        let first = staged("a", 1, "The same wire story.\nSecond line.");
        let copy = staged("b", 2, "  THE SAME wire story. Second   line. ");
        assert_eq!(
            verdict(&store, &first).await,
            Verdict::Unique { redelivered: false }
        );
        assert_eq!(
            verdict(&store, &copy).await,
            Verdict::Duplicate {
                of: "a".into(),
                method: DuplicateMethod::Exact,
                similarity: 1.0,
                threshold: 1.0,
            }
        );
    }

    #[tokio::test]
    async fn a_redelivery_is_never_a_duplicate_of_itself() {
        let store = MemoryStore::default();
        let article = staged("a", 7, "Text");
        assert_eq!(
            verdict(&store, &article).await,
            Verdict::Unique { redelivered: false }
        );
        assert_eq!(
            verdict(&store, &article).await,
            Verdict::Unique { redelivered: true }
        );
    }

    #[tokio::test]
    async fn a_second_publication_of_the_same_id_is_a_duplicate() {
        let store = MemoryStore::default();
        verdict(&store, &staged("a", 7, "Text")).await;
        let again = verdict(&store, &staged("a", 9, "Text")).await;
        assert!(matches!(again, Verdict::Duplicate { of, .. } if of == "a"));
    }

    #[test]
    fn different_texts_have_different_fingerprints() {
        assert_ne!(
            fingerprint(&staged("a", 1, "one")),
            fingerprint(&staged("a", 1, "two"))
        );
        assert_eq!(
            fingerprint(&staged("a", 1, "ﬁne")),
            fingerprint(&staged("b", 2, "FINE"))
        );
    }

    #[test]
    fn unique_articles_start_their_own_cluster() {
        let out = outcome(staged("a", 1, "x"), &Verdict::Unique { redelivered: false });
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
        };
        let out = outcome(staged("b", 2, "x"), &verdict);
        assert_eq!(out.subject, subjects::DUPLICATES);
        let notice: DuplicateNotice = serde_json::from_slice(&out.payload).unwrap();
        assert_eq!(
            (notice.id.as_str(), notice.duplicate_of.as_str()),
            ("b", "a")
        );
        assert_eq!(notice.pipeline.last().unwrap().stage, "dedup");
    }
}
