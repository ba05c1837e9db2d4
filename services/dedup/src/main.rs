//! `newsflow-dedup`: the duplicate-detection service.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Parser;
use newsflow_core::config::CommonArgs;
use newsflow_core::service::{self, StageBinary};
use newsflow_core::{subjects, topology};
use newsflow_dedup::store::KvStore;
use newsflow_dedup::{DedupStage, VERSION};

/// Drops copies of articles already seen: reads `news.stage.detected`, passes
/// first copies on to `news.stage.unique` and reports the others on
/// `news.duplicates` with the id of the original.
///
/// The fingerprints live in the JetStream KV bucket `newsflow_dedup_exact`
/// (window: `streams.dedup_window_hours`), so replicas and restarts agree.
/// Run as many replicas as you like: they share the durable consumer `dedup`.
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = service::load_settings(&BINARY, &args.common)?;
    let streams = settings.streams.clone();
    service::run(&BINARY, settings, async |js| {
        let bucket = topology::ensure_dedup_bucket(js, &streams)
            .await
            .context("opening the dedup bucket")?;
        Ok(DedupStage {
            store: KvStore::new(bucket),
        })
    })
    .await
}
