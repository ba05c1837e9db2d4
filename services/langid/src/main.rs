//! `newsflow-langid`: the language-detection service.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Parser;
use newsflow_core::config::CommonArgs;
use newsflow_core::service::{self, StageBinary};
use newsflow_core::{subjects, topology};
use newsflow_langid::{LangidConfig, LangidStage, VERSION};

/// Detects the language of each article on `news.raw` and passes it on to
/// `news.stage.detected`. Invalid articles go to `news.dlq` with the reason.
///
/// Run as many replicas as you like: they share the durable consumer `langid`.
/// Stops on SIGTERM or Ctrl-C after finishing the messages in flight.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

const BINARY: StageBinary = StageBinary {
    name: "newsflow-langid",
    version: VERSION,
    default_metrics_addr: SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        9101,
    ),
    consumer: &topology::LANGID,
    outputs: &[subjects::DETECTED],
};

fn main() -> anyhow::Result<()> {
    service::block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = service::load_settings(&BINARY, &args.common)?;
    let config: LangidConfig = settings
        .section("langid")
        .context("reading the [langid] settings")?;
    let stage = LangidStage::new(&config, settings.intake_limits())
        .context("building the language detector")?;
    if config.fallback && !stage.detector().has_fallback() {
        tracing::warn!(
            "[langid] fallback is on but no second detector is available (built \
             without the cargo feature lingua-fallback, or fewer than two configured \
             languages it knows); unsure detections keep whatlang's answer"
        );
    }
    tracing::info!(
        languages = stage.detector().allowlist().len(),
        fallback = stage.detector().has_fallback(),
        "language detector ready"
    );
    service::run(&BINARY, settings, async |_js| Ok(stage)).await
}
