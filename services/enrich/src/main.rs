//! `newsflow-enrich`: the enrichment service.

use std::net::SocketAddr;

use clap::Parser;
use newsflow_core::config::CommonArgs;
use newsflow_core::service::{self, StageBinary};
use newsflow_core::{subjects, topology};
use newsflow_enrich::VERSION;
use newsflow_enrich::service::EnrichConfig;

/// Turns unique articles from `news.stage.unique` into enriched records on
/// `news.enriched`: cleaned text, title, dates, authors, domain, entities,
/// countries, categories, keywords, quotes, numbers, summary.
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

fn main() -> anyhow::Result<()> {
    service::block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = service::load_settings(&BINARY, &args.common)?;
    let config: EnrichConfig = settings.section("enrich")?;
    let stage = newsflow_enrich::service::start(&config, settings.intake_limits().html)?;
    service::run(&BINARY, settings, async |_js| Ok(stage)).await
}
