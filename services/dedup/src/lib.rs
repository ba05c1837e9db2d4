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
//!   4-shingles, and their 64-hash MinHash sketch: the article's
//!   [`Fingerprint`], 149 bytes plus its id.
//! * [`index`]: the deterministic duplicate index: exact keys, then LSH bands
//!   over the sketches (Jaccard or containment against a threshold).
//! * [`log`]: the stream `DEDUP_FINGERPRINTS` every replica appends to and
//!   tails into its index; its order settles races between replicas.
//!
//! Every article appends its fingerprint and takes the verdict the log gives
//! it. A copy of a near-copy points at the group's head.
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
pub mod shingle;
pub mod sketch;

use bytes::Bytes;
use newsflow_core::contracts::{
    DedupInfo, DuplicateMethod, DuplicateNotice, RECORD_SCHEMA_VERSION, StagedArticle,
};
use newsflow_core::html;
use newsflow_core::intake::{IntakeLimits, decode_staged};
use newsflow_core::runtime::{Incoming, Outgoing, Processed, Processor, StageError};
use newsflow_core::text::word_count;
use newsflow_core::{stamp, subjects};
use serde::Deserialize;

use index::{Applied, IndexVerdict};
use log::VerdictLog;
use sketch::{Fingerprint, Sketch};

pub const STAGE: &str = "dedup";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Default near-duplicate threshold on the similarity score (the larger of
/// estimated Jaccard and containment, see [`sketch::Similarity::score`]).
pub const DEFAULT_THRESHOLD: f64 = 0.7;
/// Default number of texts the in-memory index holds, for each of the exact
/// and near lookups: a 7-day window of 1 million articles a day fits.
pub const DEFAULT_CAPACITY: usize = 8_000_000;

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
    /// Most texts the in-memory index of one replica holds, for each of the
    /// exact and near lookups; beyond it the oldest are no longer compared
    /// against. See deploy/README.md for the memory this takes.
    pub index_capacity: usize,
}

impl Default for DedupSettings {
    fn default() -> Self {
        Self {
            near: true,
            threshold: DEFAULT_THRESHOLD,
            index_capacity: DEFAULT_CAPACITY,
        }
    }
}

/// What dedup decided for one article.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// First time seen (or a redelivery of the first): pass it on.
    Unique { redelivered: bool },
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
    },
}

/// Builds the message the verdict calls for.
pub fn outcome(mut staged: StagedArticle, verdict: &Verdict) -> Outgoing {
    let message_id = staged.message_id();
    staged.pipeline.push(stamp(STAGE, VERSION));
    match verdict {
        Verdict::Unique { .. } | Verdict::Resend | Verdict::Unchecked => {
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

/// The dedup stage: verdicts from a [`VerdictLog`].
pub struct DedupStage<L> {
    pub log: L,
    /// The near-duplicate threshold, reported in notices.
    pub threshold: f64,
    /// `min_text_words` (shorter texts get no fingerprint) and the bounds on
    /// reading a page that an older langid passed on as raw HTML.
    pub limits: IntakeLimits,
}

impl<L: VerdictLog> DedupStage<L> {
    /// The article's fingerprint: CPU work on its text, no NATS. `None` for
    /// a text too short to judge (`text.min_words`).
    pub fn fingerprint(&self, staged: &StagedArticle) -> Option<Fingerprint> {
        let body = staged.body();
        if word_count(body) < self.limits.min_text_words {
            return None;
        }
        let analysis = shingle::analyze(body);
        Some(Fingerprint {
            source_seq: staged.source_seq,
            id: staged.id().to_string(),
            exact: analysis.exact,
            sketch: Sketch::of_shingles(&analysis.shingles),
        })
    }

    /// The verdict for one article (no publishing).
    ///
    /// # Errors
    /// Transient errors of the fingerprint log.
    pub async fn verdict(&self, staged: &StagedArticle) -> Result<Verdict, StageError> {
        self.verdict_of(self.fingerprint(staged)).await
    }

    /// The verdict the fingerprint log gives a fingerprint.
    ///
    /// # Errors
    /// Transient errors of the fingerprint log.
    pub async fn verdict_of(
        &self,
        fingerprint: Option<Fingerprint>,
    ) -> Result<Verdict, StageError> {
        let Some(fingerprint) = fingerprint else {
            return Ok(Verdict::Unchecked);
        };
        let Applied {
            verdict,
            redelivered,
            resend,
        } = self.log.decide(fingerprint).await.map_err(|err| {
            StageError::transient_caused(
                "fingerprints",
                "appending to or reading the fingerprint stream",
                err,
            )
        })?;
        Ok(match verdict {
            IndexVerdict::Unique if resend => Verdict::Resend,
            IndexVerdict::Unique => Verdict::Unique { redelivered },
            IndexVerdict::Duplicate {
                of,
                method,
                similarity,
                ..
            } => Verdict::Duplicate {
                of: of.to_string(),
                method,
                similarity,
                threshold: match method {
                    DuplicateMethod::Exact => 1.0,
                    DuplicateMethod::Near => self.threshold,
                },
            },
        })
    }
}

impl<L: VerdictLog> Processor for DedupStage<L> {
    /// The article and its fingerprint; the verdict needs the fingerprint log.
    type Transformed = (StagedArticle, Option<Fingerprint>);

    fn stage(&self) -> &'static str {
        STAGE
    }

    fn init_metrics(&self) {
        metrics::init();
    }

    fn transform(&self, input: Incoming<'_>) -> Result<Self::Transformed, StageError> {
        let mut staged = decode_staged(input.payload)?;
        html::attach_page(&mut staged, &self.limits.html);
        let fingerprint = self.fingerprint(&staged);
        Ok((staged, fingerprint))
    }

    async fn finish(
        &self,
        (staged, fingerprint): Self::Transformed,
    ) -> Result<Processed, StageError> {
        let verdict = self.verdict_of(fingerprint).await?;
        match &verdict {
            Verdict::Unique { redelivered: false } => metrics::verdict("unique"),
            Verdict::Unique { redelivered: true } => metrics::verdict("redelivered"),
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
        Ok(vec![outcome(staged, &verdict)].into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use index::{DupIndex, IndexSettings};
    use log::MemoryLog;
    use newsflow_core::contracts::{Article, STAGED_SCHEMA_VERSION};

    const STORY: &str = "The central bank raised its main interest rate by half a point on Tuesday, \
        the third increase this year, saying inflation was still far above its target.\n\
        The governor told reporters that further rises could not be ruled out if prices \
        kept climbing through the summer.\nMarkets had expected a smaller move, and the \
        currency rose sharply against the dollar after the announcement.\nEconomists said \
        the decision showed the bank was willing to risk slower growth to bring prices down.";

    fn stage() -> DedupStage<MemoryLog> {
        DedupStage {
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

    #[tokio::test]
    async fn near_copies_and_their_exact_copies_point_at_the_head() {
        let stage = stage();
        let dressed = format!(
            "LONDON (Reuters) - {STORY}\nReporting by Jane Doe; editing by John Roe, 2024."
        );
        let cut: String = STORY.split('\n').take(2).collect::<Vec<_>>().join("\n");
        let first = stage.verdict(&staged("a", 1, STORY)).await.unwrap();
        assert_eq!(first, Verdict::Unique { redelivered: false });
        for (id, seq, text) in [("b", 2, dressed.as_str()), ("c", 3, cut.as_str())] {
            match stage.verdict(&staged(id, seq, text)).await.unwrap() {
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
        let copy_of_copy = stage.verdict(&staged("d", 4, &dressed)).await.unwrap();
        assert!(matches!(copy_of_copy, Verdict::Duplicate { of, .. } if of == "a"));
        // A redelivery of the near-copy gets the same verdict, not "copy of itself".
        let again = stage.verdict(&staged("b", 2, &dressed)).await.unwrap();
        assert!(matches!(again, Verdict::Duplicate { of, .. } if of == "a"));
        let redelivered = stage.verdict(&staged("a", 1, STORY)).await.unwrap();
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
                stage.verdict(&staged(id, seq, text)).await.unwrap(),
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
            stage.verdict(&first).await.unwrap(),
            Verdict::Unique { redelivered: false }
        );
        assert_eq!(
            stage.verdict(&copy).await.unwrap(),
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
        // The fingerprint is appended before the downstream publish: a crash
        // between the two redelivers the article, which appends again.
        let stage = stage();
        let article = staged("a", 7, "Text");
        assert_eq!(
            stage.verdict(&article).await.unwrap(),
            Verdict::Unique { redelivered: false }
        );
        assert_eq!(
            stage.verdict(&article).await.unwrap(),
            Verdict::Unique { redelivered: true }
        );
    }

    #[tokio::test]
    async fn a_second_publication_of_the_same_id_is_a_resend_not_a_duplicate() {
        let stage = stage();
        stage.verdict(&staged("a", 7, "Text")).await.unwrap();
        let again = stage.verdict(&staged("a", 9, "Text")).await.unwrap();
        assert_eq!(again, Verdict::Resend);
        let out = outcome(staged("a", 9, "Text"), &again);
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
                stage.verdict(&staged(id, seq, "Too short.")).await.unwrap(),
                Verdict::Unchecked,
                "{id}"
            );
        }
        let out = outcome(staged("b", 2, "Too short."), &Verdict::Unchecked);
        let passed: StagedArticle = serde_json::from_slice(&out.payload).unwrap();
        assert_eq!(passed.dedup.unwrap().status, "unchecked");
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
