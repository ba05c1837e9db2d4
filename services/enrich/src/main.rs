//! `newsflow-enrich`: the enrichment service.

use std::net::SocketAddr;

use clap::Parser;
use newsflow_core::config::CommonArgs;
use newsflow_core::service::{self, StageBinary};
use newsflow_core::{subjects, topology};
use newsflow_enrich::{EnrichStage, VERSION};

/// Turns unique articles from `news.stage.unique` into enriched records on
/// `news.enriched`: cleaned text, title, date, authors, dateline, word count.
///
/// Run as many replicas as you like: they share the durable consumer `enrich`.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

const BINARY: StageBinary = StageBinary {
    name: "newsflow-enrich",
    version: VERSION,
    default_metrics_addr: SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        9103,
    ),
    consumer: &topology::ENRICH,
    outputs: &[subjects::ENRICHED],
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = service::load_settings(&BINARY, &args.common)?;
    service::run(&BINARY, settings, async |_js| Ok(EnrichStage)).await
}
