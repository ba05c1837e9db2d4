//! `newsflow process`: the three stages in one process, without NATS.
//!
//! Each article goes through the fused pipeline's processor (its
//! `transform`, `finish` and `complete`, the services' own code), in input
//! order: langid, then dedup with its index and the candidates' texts in
//! memory instead of the `DEDUP_FINGERPRINTS` and `NEWS_RAW` streams, then
//! enrich. Input number n
//! plays the part of `NEWS_RAW` sequence n, so verdicts, cluster ids and
//! message ids come out as a live pipeline gives them for the same articles
//! published in the same order. Records and duplicate notices are printed
//! as JSON lines on stdout, dead letters on stderr with the stage, code and
//! reason.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use newsflow_core::config::Settings;
use newsflow_core::contracts::Article;
use newsflow_core::runtime::{CpuThreads, Incoming, Outgoing, Processor, StageError};
use newsflow_core::subjects;
use newsflow_dedup::index::{DupIndex, IndexSettings};
use newsflow_dedup::log::MemoryLog;
use newsflow_dedup::texts::{MemoryTexts, StoredText};
use newsflow_dedup::{DedupSettings, DedupStage};
use newsflow_enrich::EnrichStage;
use newsflow_enrich::watchlist::Watchlist;
use newsflow_langid::{LangidConfig, LangidStage};
use serde::Deserialize;

use crate::pipeline::{FusedStage, STAGE};
use crate::sources::{self, Item};

#[derive(Debug, clap::Args)]
pub struct ProcessArgs {
    /// Files, directories, or `-` for JSON lines on stdin (as `publish` reads them).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Exit 0 even when some inputs were dead-lettered.
    #[arg(long)]
    pub allow_errors: bool,
}

/// The watch-list key of the `[enrich]` section (the service reads more keys).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnrichWatchlist {
    watchlist: Option<PathBuf>,
}

/// The three stages, as the services build them from the same settings.
pub struct Stages {
    fused: FusedStage<MemoryLog, MemoryTexts>,
    html: newsflow_core::html::HtmlLimits,
}

impl Stages {
    /// # Errors
    /// When a section of the configuration is invalid or the watch-list cannot be read.
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let limits = settings.intake_limits();
        let langid_config: LangidConfig = settings
            .section("langid")
            .context("reading the [langid] settings")?;
        let langid =
            LangidStage::new(&langid_config, limits).context("building the language detector")?;
        let dedup_settings: DedupSettings = settings
            .section("dedup")
            .context("reading the [dedup] settings")?;
        let dedup = DedupStage {
            log: MemoryLog::new(DupIndex::new(IndexSettings {
                near: dedup_settings.near,
                threshold: dedup_settings.threshold,
                window_ms: i64::try_from(settings.streams.dedup_window_hours * 3_600_000)
                    .context("dedup_window_hours is too large")?,
                capacity: dedup_settings.index_capacity,
            })),
            texts: MemoryTexts::default(),
            threshold: dedup_settings.threshold,
            limits,
        };
        let enrich_config: EnrichWatchlist = settings
            .section("enrich")
            .context("reading the [enrich] settings")?;
        let watchlist = match &enrich_config.watchlist {
            Some(path) => {
                Some(Arc::new(Watchlist::load(path).with_context(|| {
                    format!("loading the watch-list {}", path.display())
                })?))
            }
            None => None,
        };
        Ok(Self {
            fused: FusedStage {
                langid,
                dedup,
                enrich: EnrichStage::new(watchlist, limits.html),
            },
            html: limits.html,
        })
    }

    /// Runs one article (input number `sequence`) through the stages; returns
    /// what reached the output subjects, or the stage that refused it and why.
    pub async fn run(
        &self,
        payload: &[u8],
        sequence: u64,
    ) -> Result<Vec<Outgoing>, (&'static str, StageError)> {
        let transformed = self
            .fused
            .transform(Incoming {
                payload,
                subject: subjects::RAW,
                stream_sequence: sequence,
                delivered: 1,
                stored_at: chrono::Utc::now(),
            })
            .map_err(with_stage)?;
        // Dedup reads candidates' texts from NEWS_RAW; here they are kept in memory.
        if let Ok(article) = serde_json::from_slice::<Article>(payload) {
            self.fused
                .dedup
                .texts
                .insert(sequence, StoredText::of_article(article, &self.html));
        }
        let decided = self
            .fused
            .finish(transformed, &CpuThreads::inline())
            .await
            .map_err(with_stage)?;
        let processed = self.fused.complete(decided).map_err(with_stage)?;
        Ok(processed.messages)
    }
}

/// The error with the stage inside the pipeline that refused the article
/// (a transient error names the pipeline).
fn with_stage(err: StageError) -> (&'static str, StageError) {
    let stage = match &err {
        StageError::Rejected(rejection) => rejection.stage.unwrap_or(STAGE),
        StageError::Transient { .. } => STAGE,
    };
    (stage, err)
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Summary {
    pub records: usize,
    pub duplicates: usize,
    pub dead_letters: usize,
}

/// Reads the inputs, runs every article, prints the outcomes.
///
/// # Errors
/// When the stages cannot be built or stdout cannot be written.
pub async fn run(args: &ProcessArgs, settings: &Settings) -> anyhow::Result<Summary> {
    let stages = Stages::new(settings)?;
    // Not validated here: langid's transform refuses what the service would,
    // with the same code and reason.
    let options = sources::ReadOptions {
        validate: false,
        limits: settings.intake_limits(),
    };
    let mut items = Vec::new();
    for path in &sources::expand(&args.paths) {
        sources::read_path(path, options, &mut items);
    }
    let mut summary = Summary::default();
    let mut stdout = std::io::stdout().lock();
    let mut sequence = 0;
    for item in items {
        match item {
            Item::Skipped { origin, reason } => {
                summary.dead_letters += 1;
                eprintln!(
                    "{}",
                    dead_letter_line(&origin, "input", "unreadable", &reason)
                );
            }
            Item::Article {
                origin, payload, ..
            } => {
                sequence += 1;
                match stages.run(&payload, sequence).await {
                    Ok(outputs) => {
                        for output in outputs {
                            if output.subject == subjects::DUPLICATES {
                                summary.duplicates += 1;
                            } else {
                                summary.records += 1;
                            }
                            stdout
                                .write_all(&output.payload)
                                .and_then(|()| stdout.write_all(b"\n"))
                                .context("writing to stdout")?;
                        }
                    }
                    Err((stage, err)) => {
                        summary.dead_letters += 1;
                        let (code, reason) = match &err {
                            StageError::Rejected(rejection) => {
                                (rejection.code, rejection.reason.clone())
                            }
                            StageError::Transient { kind, .. } => {
                                (*kind, newsflow_core::telemetry::chain(&err).to_string())
                            }
                        };
                        eprintln!("{}", dead_letter_line(&origin, stage, code, &reason));
                    }
                }
            }
        }
    }
    stdout.flush().context("writing to stdout")?;
    Ok(summary)
}

/// A dead letter on stderr: one JSON line with where the input came from.
fn dead_letter_line(origin: &str, stage: &str, code: &str, reason: &str) -> String {
    serde_json::json!({
        "dead_letter": origin,
        "stage": stage,
        "code": code,
        "reason": reason,
    })
    .to_string()
}
