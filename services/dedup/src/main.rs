//! `newsflow-dedup`: the duplicate-detection service.

use std::net::SocketAddr;

use clap::Parser;
use newsflow_core::config::CommonArgs;
use newsflow_core::service::{self, StageBinary};
use newsflow_core::{subjects, topology};
use newsflow_dedup::{DedupSettings, VERSION};

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
        newsflow_dedup::nats::connect(js, &streams, &dedup, limits, append_retry).await
    })
    .await
}
