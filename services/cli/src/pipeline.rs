//! `newsflow pipeline`: langid, dedup and enrich in one service process,
//! from `news.raw` to `news.enriched`, `news.duplicates` and `news.dlq`.
//!
//! The fused deployment for small installations and a box shared with its
//! broker: one durable consumer (`pipeline` on `NEWS_RAW`) instead of three
//! hops through `NEWS_DETECTED` and `NEWS_UNIQUE`. It runs the services'
//! own code (langid's staging of a message, dedup's fingerprint and
//! `finish`, enrich's `transform`) inside the services' loop
//! (`newsflow_core::runtime`), so the guarantees are theirs: the input is
//! acked only after every output's PubAck, outputs carry the same
//! `Nats-Msg-Id`s as the separate stages give them (so a record is the
//! separate pipeline's, apart from its stamps' times), and dedup reads and
//! appends the same `DEDUP_FINGERPRINTS` stream as separate dedup replicas.
//! A dead letter carries the raw article and names the stage inside that
//! refused it.
//!
//! The CPU work runs on the loop's CPU threads in two steps, each held to
//! `consumer.time_limit_ms`: langid and dedup's fingerprint in `transform`,
//! enrich in `complete`, after dedup's verdict came back from NATS in
//! `finish`. Langid's staged article reaches dedup as a value, and dedup's
//! reaches enrich as a value: nothing is encoded between the stages.

use newsflow_core::contracts::StagedArticle;
use newsflow_core::runtime::{CpuThreads, Incoming, Processed, Processor, StageError};
use newsflow_core::subjects;
use newsflow_dedup::log::VerdictLog;
use newsflow_dedup::texts::ArticleTexts;
use newsflow_dedup::{Decided, DedupStage, Prepared};
use newsflow_enrich::EnrichStage;
use newsflow_langid::LangidStage;

/// Stage name of the fused loop: its metrics' `stage` label.
pub const STAGE: &str = "pipeline";

/// Default of `[dedup] text_cache_mb` in the fused process, in MiB (the
/// dedup service's is 64): the process holds enrich's dictionaries and
/// models beside dedup's texts, and the cache is what grows with the
/// articles seen. 8 MiB keeps the texts of about 1,900 news articles of
/// 4 KB; older candidates are read from `NEWS_RAW` (in the bench: 10 MB
/// less than with 16 MiB, the server's bytes out per article 12.2 KB
/// against 12.0 with the extra reads).
pub const TEXT_CACHE_MB: usize = 8;

/// The three stages as one processor.
pub struct FusedStage<L, T> {
    pub langid: LangidStage,
    pub dedup: DedupStage<L, T>,
    pub enrich: EnrichStage,
}

impl<L: VerdictLog, T: ArticleTexts> Processor for FusedStage<L, T> {
    /// Dedup's article and fingerprint (no JSON kept: the article goes to
    /// enrich as a value); the verdict needs NATS.
    type Transformed = (StagedArticle, Option<Prepared>);
    /// Dedup's verdict made: the article for enrich, the notices.
    type Finished = Decided;

    const COMPLETES: bool = true;

    fn stage(&self) -> &'static str {
        STAGE
    }

    fn init_metrics(&self) {
        self.langid.init_metrics();
        self.dedup.init_metrics();
        self.enrich.init_metrics();
    }

    /// Langid's staged article goes to dedup as it is: encoding it for
    /// dedup's transform to decode again is what the separate services pay
    /// for their hop. Dedup's transform does nothing else to it (langid
    /// already read the page), so only its fingerprint and words are taken.
    fn transform(&self, input: Incoming<'_>) -> Result<Self::Transformed, StageError> {
        let staged = self
            .langid
            .stage_message(input)
            .map_err(|rejection| rejection.in_stage(self.langid.stage()))?;
        let prepared = self.dedup.prepare(&staged);
        Ok((staged, prepared))
    }

    async fn finish(
        &self,
        (staged, prepared): Self::Transformed,
        cpu: &CpuThreads,
    ) -> Result<Decided, StageError> {
        let verdict = self
            .dedup
            .judge(&staged, prepared, cpu)
            .await
            .map_err(|err| err.in_stage(self.dedup.stage()))?;
        Ok(newsflow_dedup::decided(staged, &verdict))
    }

    /// The article dedup passes on goes to enrich as it is, as langid's
    /// went to dedup; its record comes first, as the separate dedup
    /// publishes the article before a notice.
    fn complete(&self, decided: Decided) -> Result<Processed, StageError> {
        let Decided { passed_on, notices } = decided;
        let record = passed_on.map(|staged| self.enrich.record_message(staged));
        Ok(record.into_iter().chain(notices).collect::<Vec<_>>().into())
    }
}

/// Flags of `newsflow pipeline` beside the global ones (`--nats-url`,
/// `--config`, credentials).
#[derive(Debug, clap::Args)]
pub struct PipelineArgs {
    /// Address to serve /metrics, /healthz and /livez on [default: 127.0.0.1:9106].
    #[arg(long, env = "METRICS_ADDR", value_name = "HOST:PORT")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Log format (level from RUST_LOG, default info).
    #[arg(long, env = "NEWSFLOW_LOG_FORMAT", value_enum)]
    pub log_format: Option<newsflow_core::config::LogFormat>,
    /// Articles processed at once by this replica [default: consumer.concurrency].
    #[arg(long, env = "NEWSFLOW_CONCURRENCY")]
    pub concurrency: Option<std::num::NonZeroUsize>,
}

const BINARY: newsflow_core::service::StageBinary = newsflow_core::service::StageBinary {
    name: "newsflow-pipeline",
    version: env!("CARGO_PKG_VERSION"),
    default_metrics_addr: std::net::SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        9106,
    ),
    consumer: &newsflow_core::topology::PIPELINE,
    outputs: &[subjects::ENRICHED, subjects::DUPLICATES],
};

/// Runs the fused pipeline until SIGTERM or Ctrl-C, then drains as the
/// services do.
///
/// # Errors
/// When the configuration is invalid, a stage cannot be built, or the server
/// refuses a stream or the consumer.
pub async fn run(common: newsflow_core::config::CommonArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let settings = newsflow_core::service::load_settings(&BINARY, &common)?;
    let langid_config: newsflow_langid::LangidConfig = settings
        .section("langid")
        .context("reading the [langid] settings")?;
    let langid = LangidStage::new(&langid_config, settings.intake_limits())
        .context("building the language detector")?;
    let mut dedup_settings: newsflow_dedup::DedupSettings = settings
        .section("dedup")
        .context("reading the [dedup] settings")?;
    dedup_settings.text_cache_mb.get_or_insert(TEXT_CACHE_MB);
    let enrich_config: newsflow_enrich::service::EnrichConfig = settings
        .section("enrich")
        .context("reading the [enrich] settings")?;
    let enrich = newsflow_enrich::service::start(&enrich_config, settings.intake_limits().html)?;
    let streams = settings.streams.clone();
    let limits = settings.intake_limits();
    let append_retry = settings.consumer.publish_retry();
    newsflow_core::service::run(&BINARY, settings, async |js| {
        let dedup =
            newsflow_dedup::nats::connect(js, &streams, &dedup_settings, limits, append_retry)
                .await?;
        Ok(FusedStage {
            langid,
            dedup,
            enrich,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use newsflow_core::intake::IntakeLimits;
    use newsflow_core::runtime::Outgoing;
    use newsflow_dedup::index::{DupIndex, IndexSettings};
    use newsflow_dedup::log::MemoryLog;
    use newsflow_dedup::texts::MemoryTexts;

    use super::*;

    fn fused() -> FusedStage<MemoryLog, MemoryTexts> {
        let limits = IntakeLimits::default();
        FusedStage {
            langid: LangidStage::new(&newsflow_langid::LangidConfig::default(), limits).unwrap(),
            dedup: DedupStage {
                log: MemoryLog::new(DupIndex::new(IndexSettings {
                    near: true,
                    threshold: newsflow_dedup::DEFAULT_THRESHOLD,
                    window_ms: i64::MAX / 4,
                    capacity: 1000,
                })),
                texts: MemoryTexts::default(),
                threshold: newsflow_dedup::DEFAULT_THRESHOLD,
                limits,
            },
            enrich: EnrichStage::new(None, limits.html),
        }
    }

    fn raw(payload: &[u8], sequence: u64) -> Incoming<'_> {
        Incoming {
            payload,
            subject: subjects::RAW,
            stream_sequence: sequence,
            delivered: 1,
            stored_at: chrono::Utc::now(),
        }
    }

    async fn run(
        stage: &FusedStage<MemoryLog, MemoryTexts>,
        payload: &[u8],
        sequence: u64,
    ) -> Result<Vec<Outgoing>, StageError> {
        let transformed = stage.transform(raw(payload, sequence))?;
        let finished = stage.finish(transformed, &CpuThreads::inline()).await?;
        Ok(stage.complete(finished)?.messages)
    }

    const STORY: &str = "The port authority said on Monday that the new container terminal \
        would open in the spring, two years later than planned, after a dispute over the \
        dredging contract delayed the work. Shipping companies had expected to move their \
        services to the terminal this year and will now stay at the old quays.";

    #[tokio::test]
    async fn an_article_becomes_a_record_and_its_copy_a_notice_with_the_stages_ids() {
        let stage = fused();
        let article = serde_json::json!({"id": "a1", "text": STORY}).to_string();
        let outputs = run(&stage, article.as_bytes(), 7).await.unwrap();
        assert_eq!(outputs.len(), 1);
        assert_eq!(outputs[0].subject, subjects::ENRICHED);
        assert_eq!(outputs[0].message_id, "a1@7");
        let record: serde_json::Value = serde_json::from_slice(&outputs[0].payload).unwrap();
        let stages: Vec<&str> = record["pipeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["stage"].as_str().unwrap())
            .collect();
        assert_eq!(stages, ["langid", "dedup", "enrich"]);

        let copy = serde_json::json!({"id": "b1", "text": STORY}).to_string();
        let outputs = run(&stage, copy.as_bytes(), 8).await.unwrap();
        assert_eq!(outputs.len(), 1);
        assert_eq!(outputs[0].subject, subjects::DUPLICATES);
        assert_eq!(outputs[0].message_id, "b1@8");
    }

    #[tokio::test]
    async fn a_refused_article_names_the_stage_inside_that_refused_it() {
        let stage = fused();
        let Err(StageError::Rejected(rejection)) =
            run(&stage, b"{\"id\": \"x\", \"text\": ", 1).await
        else {
            panic!("invalid JSON is refused");
        };
        assert_eq!(rejection.stage, Some("langid"));
        assert_eq!(rejection.code, "invalid_json");
    }
}
