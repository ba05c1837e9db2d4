//! `newsflow-dedup`: the duplicate-detection service.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Parser;
use newsflow_core::config::CommonArgs;
use newsflow_core::service::{self, StageBinary};
use newsflow_core::{subjects, topology};
use newsflow_dedup::index::{DupIndex, IndexSettings};
use newsflow_dedup::log::NatsLog;
use newsflow_dedup::texts::NatsTexts;
use newsflow_dedup::{DedupSettings, DedupStage, VERSION};

/// Drops copies of articles already seen: reads `news.stage.detected`, passes
/// first copies on to `news.stage.unique` and reports the others on
/// `news.duplicates` with the id of the original.
///
/// Candidates proposed by MinHash/LSH are verified on both texts (the
/// candidate's read back from `NEWS_RAW`). Every article appends its
/// fingerprint (exact-copy key, MinHash sketch, the candidate it copies)
/// to the stream `DEDUP_FINGERPRINTS`, which every replica reads into its own
/// index at start and keeps tailing (window: `streams.dedup_window_hours`);
/// the stream's order decides which of two copies came first, so replicas
/// and restarts agree. Run as many replicas as you like: they share the
/// durable consumer `dedup`.
/// Settings: `[dedup]` `near`, `threshold`, `index_capacity`.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

const BINARY: StageBinary = StageBinary {
    name: "newsflow-dedup",
    version: VERSION,
    default_metrics_addr: SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        9102,
    ),
    consumer: &topology::DEDUP,
    outputs: &[subjects::UNIQUE, subjects::DUPLICATES],
};

fn main() -> anyhow::Result<()> {
    service::block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = service::load_settings(&BINARY, &args.common)?;
    let streams = settings.streams.clone();
    let dedup: DedupSettings = settings.section("dedup")?;
    let limits = settings.intake_limits();
    let append_retry = settings.consumer.publish_retry();
    service::run(&BINARY, settings, async |js| {
        if streams.manage {
            topology::ensure_dedup_fingerprints(js, &streams)
                .await
                .context("creating the fingerprint stream")?;
        } else {
            wait_for_stream(js, subjects::STREAM_DEDUP_FINGERPRINTS).await;
        }
        let index = DupIndex::new(IndexSettings {
            near: dedup.near,
            threshold: dedup.threshold,
            window_ms: i64::try_from(streams.dedup_window_hours * 3_600_000)
                .context("dedup_window_hours is too large")?,
            capacity: dedup.index_capacity,
        });
        let log = NatsLog::start(js.clone(), index)
            .await
            .context("rebuilding the duplicate index from the fingerprint stream")?
            .with_append_retry(append_retry);
        // Candidates' texts are read from NEWS_RAW: it must exist even when
        // dedup starts before langid (or before an operator creates it).
        if streams.manage {
            topology::ensure_stream(js, topology::stream_for(subjects::RAW), &streams)
                .await
                .context("creating NEWS_RAW, where candidates' texts are read")?;
        } else {
            wait_for_stream(js, subjects::STREAM_RAW).await;
        }
        let raw = js
            .get_stream(subjects::STREAM_RAW)
            .await
            .context("opening NEWS_RAW, where candidates' texts are read")?;
        Ok(DedupStage {
            log,
            texts: NatsTexts {
                stream: raw,
                html: limits.html,
            },
            threshold: dedup.threshold,
            limits,
        })
    })
    .await
}

/// Waits until an operator has created `name` (`streams.manage = false`).
async fn wait_for_stream(js: &async_nats::jetstream::Context, name: &str) {
    loop {
        match topology::check_stream(js, name).await {
            Ok(line) => {
                tracing::debug!("{line}");
                return;
            }
            Err(err) => {
                tracing::warn!(error = %newsflow_core::telemetry::chain(&err), "waiting for a stream");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}
