//! `newsflow`: the command line of the newsflow pipeline.

mod bench;
mod bench_broker;
mod bench_secured;
mod detect;
mod extract;
mod generate;
mod pipeline;
mod process;
mod publish;
mod replay;
mod sources;
mod table;
mod tail;
mod wait;

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
///
/// Exit status of every command: 0 on success; 1 when the command failed
/// (the reason is printed on stderr: NATS unreachable, a stream missing, an
/// input refused, ...); 2 when the command line itself is wrong. Each
/// command's --help says what counts as failure for it.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// NATS server URL, or several comma-separated (used by setup, publish,
    /// tail, wait, bench, replay, sink and pipeline) [default: nats://127.0.0.1:4222,
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
    ///
    /// Exit status: 0 when everything exists as configured; 1 when NATS
    /// cannot be reached or the server refuses a stream or consumer (the
    /// message names it and the server's reason, e.g. a setting that
    /// conflicts with the existing object).
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
    /// Print the messages of a subject from the start of its stream.
    ///
    /// As JSON lines (the default, for programs) or as a table for people
    /// (`--format table`: per record its id, language, dedup status, title,
    /// top entities, countries and categories; per duplicate notice the
    /// original it copies; per dead letter the stage, code, whole reason and
    /// the start of the payload). Dead letters (news.dlq) print in JSON as
    /// objects with the stage, the error and the original payload. Stops when
    /// nothing arrives for --timeout seconds, or with --follow keeps waiting
    /// for new messages until Ctrl-C.
    ///
    /// Exit status: 0 when the messages were read (also when there were none,
    /// and when --follow is stopped with Ctrl-C); 1 when no stream holds the
    /// subject (run `newsflow setup`), NATS cannot be reached, or stdout
    /// cannot be written.
    Tail {
        /// Subject to read: news.enriched, news.duplicates, news.dlq, news.raw, ...
        #[arg(long, default_value = subjects::ENRICHED)]
        subject: String,
        /// Stop after this many messages.
        #[arg(long)]
        count: Option<usize>,
        /// Stop when nothing arrives for this many seconds (ignored with --follow).
        #[arg(long, default_value_t = 5.0)]
        timeout: f64,
        /// Keep waiting for new messages after the last one, until Ctrl-C.
        #[arg(long, short = 'f')]
        follow: bool,
        /// `json` (one line per message, as stored) or `table` (a few lines
        /// per message cut to the terminal width; COLUMNS sets the width when
        /// stdout is not a terminal).
        #[arg(long, value_enum, default_value_t = tail::Format::Json)]
        format: tail::Format,
    },
    /// Wait until the running services have handled everything published so far.
    ///
    /// Polls the durable consumers of langid, dedup and enrich until none
    /// has a message pending or unacknowledged, so every article published
    /// before has its record, duplicate notice or dead letter. Scripts run
    /// it between `publish` and `tail`.
    ///
    /// Exit status: 0 once the pipeline is idle; 1 when --timeout passes
    /// first (the message says which stage still has messages: is its
    /// service running?) or a consumer cannot be read (run `newsflow setup`).
    Wait {
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60.0)]
        timeout: f64,
        /// Wait for the fused deployment's consumer (`pipeline`, of
        /// `newsflow pipeline`) instead of the three services' ones.
        #[arg(long)]
        fused: bool,
    },
    /// Measure throughput and latency of the running services against a no-op relay.
    ///
    /// Exit status: 0 when the runs finished and the report was printed; 1
    /// when the services are not running or a run did not finish in time.
    Bench(bench::BenchArgs),
    /// Run one no-op relay hop (started by `bench`).
    #[command(hide = true)]
    RelayHop(bench::RelayArgs),
    /// Detect the language of each stdin line (or JSON article with --json),
    /// with exactly the transform the langid service uses; prints JSON lines.
    ///
    /// Works without NATS. A --json line that is not an article prints
    /// `{"error": ...}` and the run goes on.
    ///
    /// Exit status: 0 when every line was read and answered; 1 when the
    /// configuration is invalid or stdin/stdout fail.
    Detect(detect::DetectArgs),
    /// Extract title, publication time and main text from HTML pages, without NATS.
    ///
    /// Reads JSON lines `{"id", "url", "html"}` from the files given, or from
    /// stdin with `-`, runs the HTML extraction the enrich service uses on
    /// each page and prints one JSON line `{"id", "title", "published_at",
    /// "text"}` per page. A malformed line or a page that fails is reported on
    /// stderr with its line number and skipped; the exit status is then
    /// non-zero. Used by `deploy/eval/extraction/` to score the extraction.
    ///
    /// Exit status: 0 when every page was extracted; 1 when a line or page
    /// failed (the others are still printed) or a file cannot be read.
    Extract(extract::ExtractArgs),
    /// Store records and duplicate notices in a database, as a service.
    ///
    /// `newsflow sink postgres --dsn DSN` reads news.enriched and
    /// news.duplicates on two durable consumers (`sink-postgres-records`,
    /// `sink-postgres-duplicates`) and upserts into the tables
    /// `newsflow_records` and `newsflow_duplicates` (created when missing;
    /// README, "Records into PostgreSQL"). A message is acked only after its
    /// transaction commits. Metrics on --metrics-addr (default
    /// 127.0.0.1:9105); SIGTERM finishes the messages in flight and exits 0.
    ///
    /// Exit status: 0 after a SIGTERM or Ctrl-C; 1 when PostgreSQL or NATS
    /// refuses it at start (the message says which and why).
    Sink {
        #[command(subcommand)]
        target: SinkTarget,
    },
    /// Run langid, dedup and enrich on articles in this process, without NATS.
    ///
    /// Reads what `publish` reads (files, directories, `-` for JSON lines on
    /// stdin) and runs each article, in input order, through the services'
    /// own transforms, with dedup's index and the candidates' texts in
    /// memory. Prints records and duplicate notices (they have
    /// `duplicate_of`) as JSON lines on stdout, dead letters on stderr as
    /// JSON lines `{"dead_letter": FILE:LINE, "stage", "code", "reason"}`,
    /// and a summary line on stderr. For backfills, evaluation and trying
    /// newsflow without a server.
    ///
    /// Exit status: 0 when every input became a record or a notice; 1 when
    /// an input was dead-lettered (unless --allow-errors; the others are
    /// still printed), the configuration is invalid or stdout fails.
    Process(process::ProcessArgs),
    /// Publish stored articles of NEWS_RAW to news.raw again, so they run
    /// through the pipeline once more (after rules or lists changed).
    ///
    /// Each replayed article carries `replay: {"of_seq", "run"}` (its
    /// original NEWS_RAW sequence and the run id), which its record keeps:
    /// the new record supersedes the old one (consumers upsert by id).
    /// Dedup sees a replayed article as a resend of itself (passed on as
    /// unique with `resend: true`) or as a copy of its group's original,
    /// as the first time. `Nats-Msg-Id` is `<id>@replay:<run>:<seq>`: a
    /// replay is never dropped as a repeat of the original, and the same
    /// run started again (--run-id) stores nothing twice.
    ///
    /// Exit status: 0 when every article in the range was republished (or
    /// was already stored by this run); 1 when NATS or the stream fail, or
    /// a publish was not acknowledged.
    Replay(replay::ReplayArgs),
    /// Run langid, dedup and enrich in this one process, as a service.
    ///
    /// The fused deployment, for small installations and a box shared with
    /// its broker: reads news.raw on one durable consumer (`pipeline`) and
    /// publishes to news.enriched, news.duplicates and news.dlq with the
    /// separate services' guarantees: an article is acked only after every
    /// output is stored, outputs carry the same Nats-Msg-Id as the separate
    /// services give them, a dead letter names the stage that refused the
    /// article, and dedup shares DEDUP_FINGERPRINTS with separate dedup
    /// replicas (both kinds can run against one NATS). Settings as the
    /// services read them ([langid], [dedup], [enrich], [consumer], ...).
    /// Metrics on --metrics-addr (default 127.0.0.1:9106), with
    /// stage="pipeline" on the loop's metrics and the stages' own metrics as
    /// the services export them. SIGTERM or Ctrl-C finishes the articles in
    /// flight and exits.
    ///
    /// Exit status: 0 after a SIGTERM or Ctrl-C; 1 when the configuration is
    /// invalid or NATS refuses a stream or the consumer (the message says
    /// which and why).
    Pipeline(pipeline::PipelineArgs),
}

#[derive(Debug, Subcommand)]
enum SinkTarget {
    /// Records and notices into PostgreSQL.
    Postgres(SinkPostgresArgs),
}

#[derive(Debug, clap::Args)]
struct SinkPostgresArgs {
    /// PostgreSQL connection string, as a URL
    /// (`postgres://user:password@host:5432/db`) or `key=value` pairs.
    /// No TLS: use a loopback or private network address.
    #[arg(long, env = "NEWSFLOW_SINK_DSN", hide_env_values = true)]
    dsn: String,
    /// Address to serve /metrics and /healthz on [default: 127.0.0.1:9105].
    #[arg(long, env = "METRICS_ADDR", value_name = "HOST:PORT")]
    metrics_addr: Option<std::net::SocketAddr>,
    /// Log format (level from RUST_LOG, default info).
    #[arg(long, env = "NEWSFLOW_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    /// Messages in flight at once per stream; they share transactions, so
    /// more in flight means fewer, larger commits. It takes the place of
    /// `consumer.concurrency` (32, set for the stages) for the sink; keep
    /// it at most `consumer.max_ack_pending` (2048).
    #[arg(long, env = "NEWSFLOW_CONCURRENCY", default_value = "1024")]
    concurrency: std::num::NonZeroUsize,
}

/// `newsflow sink postgres`: a service, with the services' settings and logs.
async fn run_sink(cli: &Cli, target: &SinkTarget) -> anyhow::Result<()> {
    let SinkTarget::Postgres(args) = target;
    let common = newsflow_core::config::CommonArgs {
        config: cli.config.clone(),
        nats_url: cli.nats_url.clone(),
        nats: cli.nats.clone(),
        metrics_addr: args.metrics_addr,
        log_format: args.log_format,
        concurrency: Some(args.concurrency),
    };
    let settings = common
        .load(newsflow_sink::DEFAULT_METRICS_ADDR)
        .context("loading configuration")?;
    newsflow_core::telemetry::init(settings.log_format, "info");
    newsflow_sink::run(settings, &args.dsn).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Sink { target } = &cli.command {
        return run_sink(&cli, target).await;
    }
    if let Command::Pipeline(args) = &cli.command {
        return pipeline::run(newsflow_core::config::CommonArgs {
            config: cli.config.clone(),
            nats_url: cli.nats_url.clone(),
            nats: cli.nats.clone(),
            metrics_addr: args.metrics_addr,
            log_format: args.log_format,
            concurrency: args.concurrency,
        })
        .await;
    }
    newsflow_core::telemetry::init(LogFormat::Human, "warn");
    if let Command::Extract(args) = &cli.command {
        return extract::run(args);
    }
    let settings = load_settings(&cli)?;
    if let Command::Detect(args) = &cli.command {
        return detect::run(args, &settings);
    }
    if let Command::Bench(args) = &cli.command
        && let Some(path) = &args.write_articles
    {
        return bench::write_articles(args, path);
    }
    if let Command::Process(args) = &cli.command {
        let started = Instant::now();
        let summary = process::run(args, &settings).await?;
        eprintln!(
            "processed: {} records, {} duplicate notices, {} dead letters in {:.1}s",
            summary.records,
            summary.duplicates,
            summary.dead_letters,
            started.elapsed().as_secs_f64()
        );
        if summary.dead_letters > 0 && !args.allow_errors {
            anyhow::bail!(
                "inputs dead-lettered: {} (reasons above); the others were printed \
                 (--allow-errors exits 0 in that case)",
                summary.dead_letters
            );
        }
        return Ok(());
    }
    // The relay hops by a name of their own, so the bench's per-connection
    // counters tell them from the bench itself.
    let name = if matches!(cli.command, Command::RelayHop(_)) {
        "newsflow-relay-hop"
    } else {
        "newsflow-cli"
    };
    let client =
        newsflow_core::nats::connect(&settings.nats_url, &settings.nats, name, false).await?;
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
            let summary = publish::publish_items(
                &js,
                &subject,
                items,
                std::io::stderr().is_terminal(),
                settings.consumer.publish_retry(),
            )
            .await?;
            eprintln!(
                "{}",
                publish::summary_line(&summary, &subject, inputs.len(), started)
            );
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
            follow,
            format,
        } => {
            let options = tail::TailOptions {
                count,
                idle: (!follow).then(|| Duration::from_secs_f64(timeout.max(0.0))),
                format,
                width: tail::terminal_width(),
            };
            let mut stdout = std::io::stdout().lock();
            let printed = tail::tail(&js, &subject, options, &mut stdout).await?;
            if format == tail::Format::Table {
                let noun = if printed == 1 { "message" } else { "messages" };
                eprintln!("({printed} {noun} on {subject})");
            }
        }
        Command::Wait { timeout, fused } => {
            let consumers: &[topology::ConsumerSpec] = if fused {
                &[topology::PIPELINE]
            } else {
                topology::CONSUMERS
            };
            wait::until_idle(&js, consumers, Duration::from_secs_f64(timeout.max(0.0))).await?;
        }
        Command::Bench(args) => bench::run(&js, &settings.nats_url, &settings, args).await?,
        Command::RelayHop(args) => bench::relay_hop(js.clone(), &settings, &args).await?,
        Command::Replay(args) => {
            replay::run(&js, &args, settings.consumer.publish_retry()).await?;
        }
        Command::Detect(_) | Command::Extract(_) => unreachable!("handled before connecting"),
        Command::Sink { .. } | Command::Process(_) | Command::Pipeline(_) => {
            unreachable!("handled before connecting")
        }
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
