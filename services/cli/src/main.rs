//! `newsflow`: the command line of the newsflow pipeline.

mod bench;
mod detect;
mod extract;
mod generate;
mod publish;
mod sources;
mod tail;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use newsflow_core::config::{LogFormat, Settings};
use newsflow_core::{subjects, topology};

/// newsflow: streaming ingestion of news articles over NATS JetStream.
///
/// Crawlers publish articles to `news.raw`; the services newsflow-langid,
/// newsflow-dedup and newsflow-enrich turn them into enriched records on
/// `news.enriched` (copies go to `news.duplicates`, rejects to `news.dlq`).
/// This tool sets the streams up, publishes articles, reads the results and
/// measures throughput.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// NATS server URL, or several comma-separated [default: nats://127.0.0.1:4222,
    /// or `nats_url` of the config file].
    #[arg(long, global = true, env = "NATS_URL", value_name = "URL[,URL...]")]
    nats_url: Option<String>,
    #[command(flatten)]
    nats: newsflow_core::config::NatsArgs,
    /// TOML config file (stream and consumer settings used by `setup`).
    #[arg(long, global = true, env = "NEWSFLOW_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or update every stream and durable consumer, and print them.
    ///
    /// Safe to run any number of times: it converges the server to the
    /// configuration and keeps the data. Services do the same for what they use.
    Setup,
    /// Publish articles to news.raw.
    ///
    /// PATH can be a .txt file (one plain-text article, id = file stem), an
    /// .html file (one page), a .json file (one article object), a .jsonl or
    /// .ndjson file (one article per line), a directory (its files), or `-`
    /// for JSON lines on stdin. Each article is checked as the pipeline will;
    /// invalid ones are reported with file and line and the others still go.
    /// `Nats-Msg-Id` is the article id, so publishing the same files twice
    /// within the duplicate window stores them once.
    ///
    /// Exit status: 0 when every input was published or already stored; 1
    /// when an input was refused (unless --allow-errors) or a publish failed.
    Publish {
        /// Files, directories, or `-` for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Publish inputs as they are, without checking them (to exercise the dead-letter path).
        #[arg(long)]
        no_validate: bool,
        /// Exit 0 even when some inputs were refused (the valid ones are published either way).
        #[arg(long)]
        allow_errors: bool,
        /// Subject to publish to.
        #[arg(long, default_value = subjects::RAW)]
        subject: String,
    },
    /// Print messages of a subject from the start of its stream as JSON lines.
    ///
    /// Dead letters (news.dlq) print as objects with the stage, the error and
    /// the original payload.
    Tail {
        /// Subject to read.
        #[arg(long, default_value = subjects::ENRICHED)]
        subject: String,
        /// Stop after this many messages.
        #[arg(long)]
        count: Option<usize>,
        /// Stop when nothing arrives for this many seconds.
        #[arg(long, default_value_t = 5.0)]
        timeout: f64,
    },
    /// Measure throughput and latency of the running services against a no-op relay.
    Bench(bench::BenchArgs),
    /// Run one no-op relay hop (started by `bench`).
    #[command(hide = true)]
    RelayHop(bench::RelayArgs),
    /// Detect the language of each stdin line (or JSON article with --json),
    /// with exactly the transform the langid service uses; prints JSON lines.
    Detect(detect::DetectArgs),
    /// Extract title, publication time and main text from HTML pages, without NATS.
    ///
    /// Reads JSON lines `{"id", "url", "html"}` from the files given, or from
    /// stdin with `-`, runs the HTML extraction the enrich service uses on
    /// each page and prints one JSON line `{"id", "title", "published_at",
    /// "text"}` per page. A malformed line or a page that fails is reported on
    /// stderr with its line number and skipped; the exit status is then
    /// non-zero. Used by `deploy/eval/extraction/` to score the extraction.
    Extract(extract::ExtractArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    newsflow_core::telemetry::init(LogFormat::Human, "warn");
    if let Command::Extract(args) = &cli.command {
        return extract::run(args);
    }
    let settings = load_settings(&cli)?;
    if let Command::Detect(args) = &cli.command {
        return detect::run(args, &settings);
    }
    let client =
        newsflow_core::nats::connect(&settings.nats_url, &settings.nats, "newsflow-cli", false)
            .await?;
    let js = newsflow_core::nats::jetstream(client.clone(), 4096);
    match cli.command {
        Command::Setup => {
            let report = topology::ensure_all(&js, &settings.streams, &settings.consumer)
                .await
                .context("setting up streams and consumers")?;
            for line in report {
                println!("{line}");
            }
        }
        Command::Publish {
            paths,
            no_validate,
            allow_errors,
            subject,
        } => {
            let started = Instant::now();
            let raw = topology::stream_for(subjects::RAW);
            if settings.streams.manage {
                topology::ensure_stream(&js, raw, &settings.streams).await
            } else {
                topology::check_stream(&js, raw.name).await
            }
            .context("ensuring the input stream")?;
            let options = sources::ReadOptions {
                validate: !no_validate,
                limits: settings.intake_limits(),
            };
            let inputs = sources::expand(&paths);
            let mut items = Vec::new();
            for path in &inputs {
                sources::read_path(path, options, &mut items);
            }
            let summary =
                publish::publish_items(&js, &subject, items, std::io::stderr().is_terminal())
                    .await?;
            eprintln!("{}", publish::summary_line(&summary, inputs.len(), started));
            if summary.failed > 0 {
                anyhow::bail!("{} articles could not be published", summary.failed);
            }
            if summary.skipped > 0 && !allow_errors {
                anyhow::bail!(
                    "inputs refused: {} (reasons above); the valid ones were published \
                     (--allow-errors exits 0 in that case)",
                    summary.skipped
                );
            }
        }
        Command::Tail {
            subject,
            count,
            timeout,
        } => {
            let idle = Duration::from_secs_f64(timeout.max(0.0));
            let mut stdout = std::io::stdout().lock();
            tail::tail(&js, &subject, count, idle, &mut stdout).await?;
        }
        Command::Bench(args) => bench::run(&js, &settings.nats_url, &settings, args).await?,
        Command::RelayHop(args) => bench::relay_hop(js.clone(), &settings, &args).await?,
        Command::Detect(_) | Command::Extract(_) => unreachable!("handled before connecting"),
    }
    client
        .flush()
        .await
        .context("flushing the NATS connection")?;
    Ok(())
}

fn load_settings(cli: &Cli) -> anyhow::Result<Settings> {
    let args = newsflow_core::config::CommonArgs {
        config: cli.config.clone(),
        nats_url: cli.nats_url.clone(),
        nats: cli.nats.clone(),
        ..Default::default()
    };
    args.load(Settings::default().metrics_addr)
        .context("loading configuration")
}
