//! newsflow dedup: the second stage.
//!
//! Consumes staged articles from `news.stage.detected`. An article whose
//! normalized body text (NFKC, lower case, white space folded) was seen before
//! becomes a duplicate notice on `news.duplicates`; any other article goes on
//! to `news.stage.unique` with its `dedup` verdict.
//!
//! "Seen" lives in the JetStream KV bucket `newsflow_dedup_exact`, claimed with
//! an atomic `create`, so any number of replicas and restarts agree. The claim
//! stores `id@source_seq`: a redelivered article finds its own claim and is
//! passed on again, never reported as a duplicate of itself.

mod metrics;
pub mod store;

use bytes::Bytes;
use newsflow_core::contracts::{
    DedupInfo, DuplicateMethod, DuplicateNotice, RECORD_SCHEMA_VERSION, StagedArticle,
};
use newsflow_core::intake::decode_staged;
use newsflow_core::runtime::{Incoming, Outgoing, Processed, Processor, StageError};
use newsflow_core::text::{html_to_text, normalize_for_identity};
use newsflow_core::{stamp, subjects};

use store::{Claim, SeenStore};

pub const STAGE: &str = "dedup";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The exact-duplicate fingerprint of an article: a hash of its normalized
/// body text (the headline is left out: syndicated copies often change it).
pub fn fingerprint(staged: &StagedArticle) -> String {
    let article = &staged.article;
    let body = match (&article.text, &article.html) {
        (Some(text), _) if !text.trim().is_empty() => normalize_for_identity(text),
        (_, Some(html)) => normalize_for_identity(&html_to_text(html).text),
        _ => String::new(),
    };
    let hash = blake3::hash(body.as_bytes());
    format!("x{}", &hash.to_hex()[..32])
}

/// What dedup decided for one article.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// First time seen (or a redelivery of the first): pass it on.
    Unique { redelivered: bool },
    /// A copy of an earlier article.
    Duplicate {
        of: String,
        method: DuplicateMethod,
        similarity: f64,
    },
}

/// The pure decision, from the article's claim and the store's answer.
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
        },
    }
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
        } => {
            let notice = DuplicateNotice {
                id: staged.id().to_string(),
                schema_version: RECORD_SCHEMA_VERSION,
                duplicate_of: of.clone(),
                method: *method,
                similarity: *similarity,
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

/// The dedup stage over a [`SeenStore`].
pub struct DedupStage<S> {
    pub store: S,
}

impl<S: SeenStore> Processor for DedupStage<S> {
    fn stage(&self) -> &'static str {
        STAGE
    }

    fn init_metrics(&self) {
        metrics::init();
    }

    async fn process(&self, input: Incoming<'_>) -> Result<Processed, StageError> {
        let staged = decode_staged(input.payload)?;
        let key = fingerprint(&staged);
        let claimant = staged.message_id();
        let claim = self
            .store
            .claim(&key, &claimant)
            .await
            .map_err(|err| StageError::transient("kv", err.to_string()))?;
        let verdict = decide(&claimant, &claim);
        match &verdict {
            Verdict::Unique { redelivered: false } => metrics::verdict("unique"),
            Verdict::Unique { redelivered: true } => metrics::verdict("redelivered"),
            Verdict::Duplicate { method, of, .. } => {
                metrics::verdict("duplicate");
                metrics::duplicate(method.as_str());
                tracing::debug!(id = staged.id(), duplicate_of = %of, "duplicate");
            }
        }
        Ok(vec![outcome(staged, &verdict)].into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use newsflow_core::contracts::{Article, STAGED_SCHEMA_VERSION};
    use store::MemoryStore;

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
                similarity: 1.0
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
