//! `newsflow bench`: end-to-end throughput and latency of the deployments
//! (the separate services, the fused `newsflow pipeline`), next to a no-op
//! relay with the same number of JetStream hops as the separate services, in
//! one run, with the CPU time per article and peak memory of every process.
//!
//! The bench starts each deployment itself, one after the other, from the
//! binaries beside it, and stops it after its runs. Every run publishes
//! generated articles the same way and waits for one outcome per article
//! (record, duplicate notice or dead letter for a deployment; the relayed
//! message for the relay): first everything at once (throughput), then with
//! `--rate` at a steady offered rate (the latency an article sees when the
//! pipeline keeps up). The relay runs the same consume → publish → ack loop
//! as the services with a transform that does nothing, as three separate
//! processes, so the ratio shows what the services' own work costs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use async_nats::jetstream;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use newsflow_core::config::Settings;
use newsflow_core::runtime::{CpuThreads, Incoming, Outgoing, Processed, Processor, StageError};
use newsflow_core::subjects;
use newsflow_core::topology::{self, ConsumerSpec, StreamRole, StreamSpec};
use serde::Deserialize;

use crate::bench_broker;
use crate::bench_secured::{self, SecuredServer};
use crate::generate;

/// Arguments of `newsflow bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Articles per run (pipeline and relay each).
    #[arg(long, default_value_t = 20_000)]
    pub articles: usize,
    /// Share of generated articles that are exact copies of earlier ones.
    #[arg(long, default_value_t = 0.1)]
    pub duplicates: f64,
    /// Read articles from a JSON-lines file instead of generating them
    /// (ids are replaced so runs do not collide).
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Articles sent (and not measured) before each run, to warm up.
    #[arg(long, default_value_t = 500)]
    pub warmup: usize,
    /// Give up on a run after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Only measure the pipeline (skip the relay).
    #[arg(long)]
    pub skip_relay: bool,
    /// What to measure: the whole pipeline (from `news.raw`), or the dedup
    /// stage alone (staged articles published straight to its input,
    /// `news.stage.detected`; only newsflow-dedup needs to run, and no relay
    /// is measured).
    #[arg(long, value_enum, default_value_t = Target::Pipeline)]
    pub stage: Target,
    /// Process ids of nats-server and the services to charge CPU to
    /// (comma-separated); by default every process with their names.
    #[arg(long, value_delimiter = ',')]
    pub pids: Vec<u32>,
    /// Deployments to measure one after the other, each started by the bench
    /// from the binaries beside it and stopped after its runs: `separate`
    /// (newsflow-langid, -dedup, -enrich) and `fused` (newsflow pipeline).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "separate,fused"
    )]
    pub deployments: Vec<Deployment>,
    /// After each throughput run, offer articles at this steady rate
    /// (articles/s) for --rate-seconds and report the end-to-end latency at
    /// that rate.
    #[arg(long, value_name = "ARTICLES_PER_SECOND")]
    pub rate: Option<f64>,
    /// Length of each steady-rate run.
    #[arg(long, default_value_t = 10.0)]
    pub rate_seconds: f64,
    /// Purge the pipeline's streams (NEWS_RAW, the internal and outcome
    /// streams, DEDUP_FINGERPRINTS) before each deployment starts, so each
    /// begins with an empty store. For a private server only
    /// (deploy/local/bench.sh passes it); without it the bench refuses to
    /// start a deployment while NEWS_RAW holds messages.
    #[arg(long)]
    pub fresh: bool,
    /// Write the generated articles (--articles, --duplicates) to FILE as
    /// JSON lines and exit, without NATS: for profiling a stage on the
    /// bench's articles with `newsflow process`.
    #[arg(long, value_name = "FILE")]
    pub write_articles: Option<PathBuf>,
    /// Measure each deployment also against a nats-server the bench starts
    /// (NATS_SERVER_BIN) from this secured config
    /// (deploy/nats/nats-server-secured.conf, with its auth.conf beside it)
    /// with TLS on, each service as its own user, in --secured-pairs pairs
    /// of runs without and with it, printed side by side (needs --fresh).
    #[arg(long, value_name = "CONFIG")]
    pub secured: Option<PathBuf>,
    /// With --secured: pairs of one unsecured and one secured run of each
    /// deployment, each pair on articles of its own, the side that runs
    /// first alternating from pair to pair; every pair is printed with the
    /// load average and the CPU per article, then the medians.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub secured_pairs: usize,
    /// nats-server's monitoring address (its `-m` port, HOST:PORT): the
    /// server's messages, bytes and JetStream API calls per article, and each
    /// client's, are read from it before and after each throughput run.
    #[arg(long, value_name = "HOST:PORT", env = "NATS_MONITOR")]
    pub nats_monitor: Option<String>,
    /// Sort every message through the server during each throughput run by
    /// what it is (pull requests, deliveries, acks, publishes, PubAcks, API
    /// calls) and print them per article. It subscribes to `>`, so the
    /// run's speed and CPU figures are not comparable with a run without it.
    #[arg(long)]
    pub count_operations: bool,
    /// Start the deployments from the binaries in DIR (newsflow-langid,
    /// -dedup, -enrich, and newsflow for the fused pipeline) instead of
    /// those beside this one: to compare two builds with one bench, old
    /// and new in turn.
    #[arg(long, value_name = "DIR")]
    pub binaries: Option<PathBuf>,
}

/// A way of running the stages (`newsflow bench --deployments`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Deployment {
    /// The three services, one process each (the reference architecture).
    Separate,
    /// `newsflow pipeline`: the three stages in one process.
    Fused,
}

impl Deployment {
    fn name(self) -> &'static str {
        match self {
            Self::Separate => "separate",
            Self::Fused => "fused",
        }
    }

    /// The processes it runs: binary name beside `newsflow`, arguments.
    fn processes(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Self::Separate => &[
                ("newsflow-langid", &[]),
                ("newsflow-dedup", &[]),
                ("newsflow-enrich", &[]),
            ],
            Self::Fused => &[("newsflow", &["pipeline"])],
        }
    }

    fn consumers(self) -> &'static [ConsumerSpec] {
        match self {
            Self::Separate => topology::CONSUMERS,
            Self::Fused => std::slice::from_ref(&topology::PIPELINE),
        }
    }
}

/// What `newsflow bench` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Pipeline,
    Dedup,
}

/// The hidden `newsflow relay-hop` subcommand the bench spawns.
#[derive(Debug, clap::Args)]
pub struct RelayArgs {
    /// Which hop (0, 1 or 2).
    #[arg(long)]
    pub hop: usize,
}

const RELAY_HOPS: usize = 3;
const RELAY_SUBJECTS: [&str; RELAY_HOPS + 1] = [
    "bench.relay.0",
    "bench.relay.1",
    "bench.relay.2",
    "bench.relay.3",
];
const RELAY_STREAMS: [&str; RELAY_HOPS + 1] = [
    "BENCH_RELAY_0",
    "BENCH_RELAY_1",
    "BENCH_RELAY_2",
    "BENCH_RELAY_3",
];
const RELAY_CONSUMERS: [ConsumerSpec; RELAY_HOPS] = [
    ConsumerSpec {
        durable: "relay0",
        stream: RELAY_STREAMS[0],
        subject: RELAY_SUBJECTS[0],
    },
    ConsumerSpec {
        durable: "relay1",
        stream: RELAY_STREAMS[1],
        subject: RELAY_SUBJECTS[1],
    },
    ConsumerSpec {
        durable: "relay2",
        stream: RELAY_STREAMS[2],
        subject: RELAY_SUBJECTS[2],
    },
];
const RELAY_NAMES: [&str; RELAY_HOPS] = ["relay0", "relay1", "relay2"];

/// Forwards every message unchanged to the next hop.
struct Relay {
    hop: usize,
}

impl Processor for Relay {
    type Transformed = Processed;
    type Finished = Processed;

    fn stage(&self) -> &'static str {
        RELAY_NAMES[self.hop]
    }

    fn transform(&self, input: Incoming<'_>) -> Result<Processed, StageError> {
        Ok(vec![Outgoing {
            subject: RELAY_SUBJECTS[self.hop + 1],
            output: "next",
            message_id: input.stream_sequence.to_string(),
            payload: Bytes::copy_from_slice(input.payload),
        }]
        .into())
    }

    async fn finish(
        &self,
        processed: Processed,
        _cpu: &CpuThreads,
    ) -> Result<Processed, StageError> {
        Ok(processed)
    }

    fn complete(&self, processed: Processed) -> Result<Processed, StageError> {
        Ok(processed)
    }
}

/// Runs one relay hop until SIGTERM (used by the bench, in its own process).
///
/// # Errors
/// When the hop number is out of range or the consumer cannot be created.
pub async fn relay_hop(
    js: jetstream::Context,
    settings: &Settings,
    args: &RelayArgs,
) -> anyhow::Result<()> {
    if args.hop >= RELAY_HOPS {
        bail!("--hop must be below {RELAY_HOPS}, got {}", args.hop);
    }
    let shutdown = newsflow_core::shutdown::on_signal();
    newsflow_core::runtime::run_stage(
        js,
        &RELAY_CONSUMERS[args.hop],
        settings.consumer.clone(),
        Relay { hop: args.hop },
        shutdown,
        newsflow_core::runtime::Readiness::default(),
    )
    .await?;
    Ok(())
}

/// `--write-articles FILE`: the generated articles as JSON lines, no NATS.
///
/// # Errors
/// When the file cannot be written.
pub fn write_articles(args: &BenchArgs, path: &std::path::Path) -> anyhow::Result<()> {
    let run_id = format!("{:x}", chrono::Utc::now().timestamp_millis());
    let mut lines = Vec::new();
    for article in generate::articles(&run_id, args.articles, args.duplicates) {
        lines.extend_from_slice(&article.payload);
        lines.push(b'\n');
    }
    std::fs::write(path, lines).with_context(|| format!("writing {}", path.display()))
}

/// Runs the benchmark and prints its report; the last line is
/// `separate <X> articles/s (ratio <X/R>), fused <Y> articles/s (ratio <Y/R>), relay <R> articles/s`.
///
/// # Errors
/// When the services are not running, or a run does not finish in time.
pub async fn run(
    js: &jetstream::Context,
    nats_url: &str,
    settings: &Settings,
    args: BenchArgs,
) -> anyhow::Result<()> {
    let client = js.client();
    let run_id = format!("{:x}", chrono::Utc::now().timestamp_millis());
    let articles = match &args.input {
        Some(path) => read_input(path, &run_id, 0, args.articles)?,
        None => generate::articles(&run_id, args.articles, args.duplicates),
    };
    let warmup = match &args.input {
        Some(path) => read_input(path, &format!("{run_id}w"), args.articles, args.warmup)?,
        None => generate::articles(&format!("{run_id}w"), args.warmup, args.duplicates),
    };
    let total_bytes: usize = articles.iter().map(|a| a.payload.len()).sum();
    println!(
        "{} articles, {:.1} KB on average, {} warm-up articles per run",
        articles.len(),
        total_bytes as f64 / articles.len().max(1) as f64 / 1024.0,
        warmup.len()
    );
    // The services started here inherit it; it moves their resident memory
    // (deploy/README.md, "Allocator arenas").
    println!(
        "malloc arenas: {}",
        std::env::var("MALLOC_ARENA_MAX").map_or_else(
            |_| "glibc's default (MALLOC_ARENA_MAX unset)".to_string(),
            |max| format!("MALLOC_ARENA_MAX={max}")
        )
    );

    let timeout = Duration::from_secs(args.timeout);
    if args.stage == Target::Dedup {
        return run_dedup_stage(&client, js, &articles, &warmup, timeout, &args.pids).await;
    }
    let secured = match &args.secured {
        // Each pair starts the deployment again on the bench's server.
        Some(_) if !args.fresh => bail!(
            "--secured needs --fresh (the bench empties the streams of its own \
             server before each run; deploy/local/bench.sh passes it)"
        ),
        Some(config) => Some(SecuredServer::start(config, settings).await?),
        None => None,
    };
    let probe = BrokerProbe {
        monitor: args.nats_monitor.as_deref().map(bench_broker::Monitor::new),
        watch_url: args.count_operations.then(|| nats_url.to_string()),
    };
    let mut measured = Vec::new();
    let mut secured_rates = Vec::new();
    for (index, deployment) in args.deployments.iter().enumerate() {
        // Fresh articles for each deployment: the same ones again would all
        // be copies of the first deployment's (in DEDUP_FINGERPRINTS).
        let tag = format!("{run_id}{index}");
        let (articles, warmup) = match &args.input {
            Some(_) if index == 0 => (articles.clone(), warmup.clone()),
            _ => articles_for(&args, &tag)?,
        };
        let mut services =
            DeploymentProcesses::start(js, *deployment, nats_url, &args, None).await?;
        let result = measure(
            &client,
            js,
            &Route::pipeline(),
            &services.labelled(&args.pids),
            &articles,
            &warmup,
            &args,
            &format!("{} deployment", deployment.name()),
            &probe,
        )
        .await;
        services.stop().await;
        let result = result?;
        if let Some(server) = &secured {
            let mut pairs = Vec::with_capacity(args.secured_pairs);
            for pair in 0..args.secured_pairs {
                let (articles, warmup) = articles_for(&args, &format!("{tag}p{pair}"))?;
                pairs.push(
                    secured_pair(
                        js,
                        nats_url,
                        server,
                        *deployment,
                        pair,
                        &articles,
                        &warmup,
                        &args,
                    )
                    .await?,
                );
            }
            secured_rates.push((deployment.name(), pairs));
        }
        measured.push((deployment.name(), result));
    }
    if let Some(server) = secured {
        bench_secured::print_comparison(&secured_rates, server.violations());
    }

    if args.skip_relay {
        for (name, (run, _)) in &measured {
            println!("{name} {:.0} articles/s, relay not measured", run.rate());
        }
        return Ok(());
    }
    let relay = {
        let mut hops = RelayProcesses::start(js, nats_url, settings).await?;
        let mut processes = find_processes(&["nats-server"], &args.pids);
        processes.extend(hops.children.iter().filter_map(tokio::process::Child::id));
        let relay = measure(
            &client,
            js,
            &Route::relay(),
            &processes,
            &articles,
            &warmup,
            &args,
            "relay",
            &probe,
        )
        .await;
        hops.stop(js).await;
        relay?
    };
    println!();
    println!(
        "side by side (throughput with everything published at once; latency at the steady rate):"
    );
    for (name, (run, at_rate)) in measured
        .iter()
        .chain(std::iter::once(&("relay", relay.clone())))
    {
        let latency = at_rate.as_ref().map_or_else(
            || "no --rate run".to_string(),
            |r| format!("at {:.0}/s: {}", r.offered, r.run.latency()),
        );
        println!(
            "  {name:<9} {:>6.0} articles/s, ratio to the relay {:.2}; {latency}",
            run.rate(),
            run.rate() / relay.0.rate(),
        );
    }
    let line: Vec<String> = measured
        .iter()
        .map(|(name, (run, _))| {
            format!(
                "{name} {:.0} articles/s (ratio {:.2})",
                run.rate(),
                run.rate() / relay.0.rate()
            )
        })
        .collect();
    println!(
        "{}, relay {:.0} articles/s",
        line.join(", "),
        relay.0.rate()
    );
    Ok(())
}

/// Fresh articles and warm-up articles for a run tagged `tag` (ids of their
/// own: articles seen before would all be copies in DEDUP_FINGERPRINTS).
fn articles_for(
    args: &BenchArgs,
    tag: &str,
) -> anyhow::Result<(Vec<generate::Generated>, Vec<generate::Generated>)> {
    Ok(match &args.input {
        Some(path) => (
            read_input(path, tag, 0, args.articles)?,
            read_input(path, &format!("{tag}w"), args.articles, args.warmup)?,
        ),
        None => (
            generate::articles(tag, args.articles, args.duplicates),
            generate::articles(&format!("{tag}w"), args.warmup, args.duplicates),
        ),
    })
}

/// Pair number `pair` of the secured comparison: `deployment` on the same
/// articles unsecured (on the bench's server) and secured, the unsecured
/// run first in even pairs and second in odd ones, so a change in the
/// machine's load during the bench falls on both sides alike.
#[allow(clippy::too_many_arguments)]
async fn secured_pair(
    js: &jetstream::Context,
    nats_url: &str,
    server: &SecuredServer,
    deployment: Deployment,
    pair: usize,
    articles: &[generate::Generated],
    warmup: &[generate::Generated],
    args: &BenchArgs,
) -> anyhow::Result<bench_secured::Pair> {
    let secured_first = pair % 2 == 1;
    let load_before = bench_secured::load_average();
    let sides = if secured_first {
        [true, false]
    } else {
        [false, true]
    };
    let mut runs = Vec::with_capacity(2);
    for is_secured in sides {
        let on = is_secured.then_some(server);
        let run = comparison_run(js, nats_url, on, deployment, articles, warmup, args).await?;
        runs.push((is_secured, run));
    }
    let side = |wanted: bool| {
        runs.iter()
            .find_map(|(is_secured, run)| (*is_secured == wanted).then_some(run))
            .expect("both sides ran")
    };
    let (unsecured, secured) = (side(false), side(true));
    Ok(bench_secured::Pair {
        unsecured: (unsecured.rate(), unsecured.cpu_us_per_article),
        secured: (secured.rate(), secured.cpu_us_per_article),
        secured_first,
        load: (load_before, bench_secured::load_average()),
    })
}

/// One throughput run of the secured comparison: `deployment` started
/// afresh on the bench's server (`secured` None) or on the secured one, its
/// processes then running as their users over TLS (the server has a store
/// of its own). Both sides are measured alike: warm-up and run, no
/// steady-rate run, no broker probe.
async fn comparison_run(
    js: &jetstream::Context,
    nats_url: &str,
    secured: Option<&SecuredServer>,
    deployment: Deployment,
    articles: &[generate::Generated],
    warmup: &[generate::Generated],
    args: &BenchArgs,
) -> anyhow::Result<RunResult> {
    let (js, url) = match secured {
        Some(server) => (server.client("bench").await?, server.url()),
        None => (js.clone(), nats_url.to_string()),
    };
    let mut services = DeploymentProcesses::start(
        &js,
        deployment,
        &url,
        &BenchArgs {
            fresh: true,
            ..args.clone()
        },
        secured,
    )
    .await?;
    let processes = match secured {
        Some(server) => {
            let mut processes = vec![server.pid()];
            processes.extend(
                services
                    .children
                    .iter()
                    .filter_map(tokio::process::Child::id),
            );
            processes
        }
        None => services.labelled(&args.pids),
    };
    let name = match secured {
        Some(_) => format!("{} deployment, authenticated, over TLS", deployment.name()),
        None => format!("{} deployment, unsecured", deployment.name()),
    };
    let result = measure(
        &js.client(),
        &js,
        &Route::pipeline(),
        &processes,
        articles,
        warmup,
        &BenchArgs {
            rate: None,
            ..args.clone()
        },
        &name,
        &BrokerProbe::default(),
    )
    .await;
    services.stop().await;
    Ok(result?.0)
}

/// Where a run publishes and where its outcomes arrive.
struct Route {
    input: &'static str,
    outputs: Vec<&'static str>,
}

impl Route {
    fn pipeline() -> Self {
        Self {
            input: subjects::RAW,
            outputs: vec![subjects::ENRICHED, subjects::DUPLICATES, subjects::DLQ],
        }
    }

    fn relay() -> Self {
        Self {
            input: RELAY_SUBJECTS[0],
            outputs: vec![RELAY_SUBJECTS[RELAY_HOPS]],
        }
    }
}

/// What is read of the broker around each throughput run.
#[derive(Default)]
struct BrokerProbe {
    /// nats-server's counters, before and after.
    monitor: Option<bench_broker::Monitor>,
    /// Every message sorted by kind (a subscriber to `>` on this server).
    watch_url: Option<String>,
}

/// A steady-rate run: the rate offered and what came of it.
#[derive(Clone)]
struct AtRate {
    offered: f64,
    run: RunResult,
}

/// Warm-up, a throughput run (everything published at once) with the CPU
/// per article of `processes`, then with --rate a steady-rate run; prints
/// each as it ends.
#[allow(clippy::too_many_arguments)]
async fn measure(
    client: &async_nats::Client,
    js: &jetstream::Context,
    route: &Route,
    processes: &[u32],
    articles: &[generate::Generated],
    warmup: &[generate::Generated],
    args: &BenchArgs,
    name: &str,
    probe: &BrokerProbe,
) -> anyhow::Result<(RunResult, Option<AtRate>)> {
    let timeout = Duration::from_secs(args.timeout);
    run_measured(
        client,
        js,
        route.input,
        &route.outputs,
        warmup,
        timeout,
        None,
    )
    .await?;
    let watcher = match &probe.watch_url {
        Some(url) => Some(bench_broker::Watcher::start(url).await?),
        None => None,
    };
    let broker_before = match &probe.monitor {
        Some(monitor) => Some(monitor.snapshot().await?),
        None => None,
    };
    let before = cpu_snapshot(processes);
    let run = run_measured(
        client,
        js,
        route.input,
        &route.outputs,
        articles,
        timeout,
        None,
    )
    .await?;
    let after = cpu_snapshot(processes);
    println!("{}", run.describe(name));
    let run = RunResult {
        cpu_us_per_article: print_cpu(&before, &after, articles.len()),
        ..run
    };
    if let (Some(monitor), Some(broker_before)) = (&probe.monitor, broker_before) {
        // The last acks follow the last outcome by a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let broker_after = monitor.snapshot().await?;
        bench_broker::print_per_article(&broker_before, &broker_after, articles.len());
    }
    if let Some(watcher) = watcher {
        watcher.finish(articles.len()).await;
    }
    let Some(rate) = args.rate else {
        return Ok((run, None));
    };
    // Ids of their own, distinct from the throughput run's.
    let count = (rate * args.rate_seconds).round().max(1.0) as usize;
    let steady = generate::articles(
        &format!("{:x}r", chrono::Utc::now().timestamp_millis()),
        count,
        args.duplicates,
    );
    let before = cpu_snapshot(processes);
    let at_rate = run_measured(
        client,
        js,
        route.input,
        &route.outputs,
        &steady,
        timeout,
        Some(rate),
    )
    .await?;
    let after = cpu_snapshot(processes);
    println!(
        "{} at a steady {rate:.0} articles/s: {}",
        name,
        at_rate.latency()
    );
    print_cpu(&before, &after, steady.len());
    Ok((
        run,
        Some(AtRate {
            offered: rate,
            run: at_rate,
        }),
    ))
}

/// Articles `skip..skip + limit` of a JSON-lines file, under ids of run
/// `run_id`. The warm-up reads the lines after the measured ones: the same
/// texts again would all be exact copies of the warm-up's, and the
/// measured run would mostly make duplicate notices.
fn read_input(
    path: &PathBuf,
    run_id: &str,
    skip: usize,
    limit: usize,
) -> anyhow::Result<Vec<generate::Generated>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (index, line) in text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .skip(skip)
        .take(limit)
    {
        let mut value: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a JSON article", path.display(), index + 1))?;
        let id = format!("bench-{run_id}-{index:07}");
        value["id"] = serde_json::Value::String(id.clone());
        out.push(generate::Generated {
            id,
            payload: serde_json::to_vec(&value)?,
        });
    }
    if out.len() < limit {
        println!(
            "note: {} holds only {} articles after line {skip}",
            path.display(),
            out.len()
        );
    }
    Ok(out)
}

/// Measures the dedup stage alone: the articles, wrapped as langid would
/// wrap them, go straight to its input; its unique, duplicate and dead-letter
/// outputs are counted.
async fn run_dedup_stage(
    client: &async_nats::Client,
    js: &jetstream::Context,
    articles: &[generate::Generated],
    warmup: &[generate::Generated],
    timeout: Duration,
    pids: &[u32],
) -> anyhow::Result<()> {
    ensure_services_running(js, &[topology::DEDUP]).await?;
    // The articles are stored in `news.raw` first (no langid runs), where
    // dedup reads a candidate's text to verify it; each staged article
    // carries its own `news.raw` sequence, as langid would pass it on.
    let stored = |list: &[generate::Generated]| {
        let js = js.clone();
        let payloads: Vec<Vec<u8>> = list.iter().map(|a| a.payload.clone()).collect();
        async move {
            let mut sequences = Vec::with_capacity(payloads.len());
            let mut acks = Vec::with_capacity(1000);
            for payload in payloads {
                acks.push(js.publish(subjects::RAW, payload.into()).await?);
                if acks.len() == 1000 {
                    for ack in acks.drain(..) {
                        sequences.push(ack.await?.sequence);
                    }
                }
            }
            for ack in acks {
                sequences.push(ack.await?.sequence);
            }
            anyhow::Ok(sequences)
        }
    };
    let staged = |list: &[generate::Generated], sequences: Vec<u64>| -> anyhow::Result<Vec<_>> {
        let received_at = newsflow_core::now_rfc3339();
        list.iter()
            .zip(sequences)
            .map(|(article, source_seq)| {
                let article: serde_json::Value = serde_json::from_slice(&article.payload)?;
                let id = article["id"].as_str().unwrap_or_default().to_string();
                let staged = serde_json::json!({
                    "schema_version": newsflow_core::contracts::STAGED_SCHEMA_VERSION,
                    "article": article,
                    "source_seq": source_seq,
                    "received_at": received_at,
                    "pipeline": [],
                });
                Ok(generate::Generated {
                    id,
                    payload: serde_json::to_vec(&staged)?,
                })
            })
            .collect()
    };
    let warmup = staged(
        warmup,
        stored(warmup)
            .await
            .context("storing articles in news.raw")?,
    )?;
    let articles = staged(
        articles,
        stored(articles)
            .await
            .context("storing articles in news.raw")?,
    )?;
    let outputs = [subjects::UNIQUE, subjects::DUPLICATES, subjects::DLQ];
    run_measured(
        client,
        js,
        subjects::DETECTED,
        &outputs,
        &warmup,
        timeout,
        None,
    )
    .await?;
    let processes = find_processes(&["newsflow-dedup", "nats-server"], pids);
    let before = cpu_snapshot(&processes);
    let run = run_measured(
        client,
        js,
        subjects::DETECTED,
        &outputs,
        &articles,
        timeout,
        None,
    )
    .await?;
    let after = cpu_snapshot(&processes);
    println!("{}", run.describe("dedup stage"));
    print_cpu(&before, &after, articles.len());
    println!("dedup stage {:.0} articles/s", run.rate());
    Ok(())
}

/// Fails unless each stage has a consumer pulling (a service replica running).
async fn ensure_services_running(
    js: &jetstream::Context,
    consumers: &[ConsumerSpec],
) -> anyhow::Result<()> {
    for spec in consumers {
        if pull_requests_waiting(js, spec).await == 0 {
            bail!(
                "no {} service is pulling from {}: start the services first (deploy/local/run.sh does)",
                spec.durable,
                spec.stream
            );
        }
    }
    Ok(())
}

/// Pull requests waiting on a durable consumer: more than zero while some
/// process consumes it (0 when it does not exist).
async fn pull_requests_waiting(js: &jetstream::Context, spec: &ConsumerSpec) -> usize {
    let waiting = async {
        let stream = js.get_stream(spec.stream).await.ok()?;
        let mut consumer: jetstream::consumer::PullConsumer =
            stream.get_consumer(spec.durable).await.ok()?;
        consumer.info().await.ok().map(|i| i.num_waiting)
    };
    waiting.await.unwrap_or(0)
}

/// Timing of one run.
#[derive(Clone)]
struct RunResult {
    articles: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// CPU time of the measured processes per article, in µs (0 where the
    /// run's CPU was not read).
    cpu_us_per_article: f64,
}

impl RunResult {
    fn rate(&self) -> f64 {
        self.articles as f64 / self.elapsed.as_secs_f64()
    }

    /// `end-to-end latency p50 … ms, p99 … ms, max … ms`.
    fn latency(&self) -> String {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let pick = |q: f64| {
            sorted
                .get(((sorted.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or_default()
        };
        format!(
            "end-to-end latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            pick(0.5).as_secs_f64() * 1e3,
            pick(0.99).as_secs_f64() * 1e3,
            pick(1.0).as_secs_f64() * 1e3,
        )
    }

    fn describe(&self, name: &str) -> String {
        format!(
            "{name}: {} articles in {:.2}s = {:.0} articles/s; {}",
            self.articles,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.latency()
        )
    }
}

/// The article id of an output: at the top of records, notices and the
/// relay's messages; under `article` in staged articles.
#[derive(Deserialize)]
struct IdOnly {
    id: Option<String>,
    article: Option<ArticleId>,
}

#[derive(Deserialize)]
struct ArticleId {
    id: Option<String>,
}

impl IdOnly {
    fn into_id(self) -> Option<String> {
        self.id.or(self.article.and_then(|a| a.id))
    }
}

/// Publishes the articles to `input`, all at once or at a steady `rate`
/// (articles/s), and waits for one message per article on the output subjects.
async fn run_measured(
    client: &async_nats::Client,
    js: &jetstream::Context,
    input: &str,
    outputs: &[&str],
    articles: &[generate::Generated],
    timeout: Duration,
    rate: Option<f64>,
) -> anyhow::Result<RunResult> {
    if articles.is_empty() {
        return Ok(RunResult {
            articles: 0,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
            cpu_us_per_article: 0.0,
        });
    }
    let sent: Arc<Mutex<HashMap<String, Instant>>> =
        Arc::new(Mutex::new(HashMap::with_capacity(articles.len())));
    let expected = articles.len();
    let mut subscriptions = Vec::new();
    for subject in outputs {
        subscriptions.push(
            client
                .subscribe(subject.to_string())
                .await
                .with_context(|| format!("subscribing to {subject}"))?,
        );
    }
    client.flush().await.context("flushing subscriptions")?;
    let collector = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let mut merged = futures::stream::select_all(subscriptions);
            let mut latencies = Vec::with_capacity(expected);
            while latencies.len() < expected {
                let Some(message) = merged.next().await else {
                    break;
                };
                let received = Instant::now();
                let Some(id) = serde_json::from_slice::<IdOnly>(&message.payload)
                    .ok()
                    .and_then(IdOnly::into_id)
                else {
                    continue;
                };
                if let Some(at) = sent.lock().expect("lock").remove(&id) {
                    latencies.push(received - at);
                }
            }
            latencies
        })
    };
    let started = Instant::now();
    let mut acks = FuturesUnordered::new();
    for (index, article) in articles.iter().enumerate() {
        if let Some(rate) = rate {
            // On a schedule, not after a pause per article: a late publish
            // does not push back the ones after it.
            let due = started + Duration::from_secs_f64(index as f64 / rate);
            loop {
                // Collect acknowledgements while waiting, so they do not pile up.
                tokio::select! {
                    () = tokio::time::sleep_until(due.into()) => break,
                    Some(ack) = acks.next(), if !acks.is_empty() => {
                        let ack: Result<jetstream::publish::PublishAck, _> = ack;
                        ack.context("publish not acknowledged")?;
                    }
                }
            }
        }
        sent.lock()
            .expect("lock")
            .insert(article.id.clone(), Instant::now());
        let publish = jetstream::message::PublishMessage::build()
            .payload(Bytes::from(article.payload.clone()))
            .message_id(&article.id);
        let ack = js
            .send_publish(input.to_string(), publish)
            .await
            .context("publishing")?;
        acks.push(async move { ack.await });
        while acks.len() >= 1024 {
            if let Some(ack) = acks.next().await {
                ack.context("publish not acknowledged")?;
            }
        }
    }
    while let Some(ack) = acks.next().await {
        ack.context("publish not acknowledged")?;
    }
    let latencies = match tokio::time::timeout(timeout, collector).await {
        Ok(joined) => joined.context("collector task")?,
        Err(_) => bail!("timed out after {timeout:?} waiting for outputs on {outputs:?}"),
    };
    let elapsed = started.elapsed();
    if latencies.len() < expected {
        bail!("only {} of {expected} outcomes arrived", latencies.len());
    }
    Ok(RunResult {
        articles: expected,
        elapsed,
        latencies,
        cpu_us_per_article: 0.0,
    })
}

/// The processes of one deployment, started by the bench.
struct DeploymentProcesses {
    children: Vec<tokio::process::Child>,
}

impl DeploymentProcesses {
    /// Starts `deployment` from the binaries beside this one (or in
    /// `--binaries`) and waits until it pulls from each of its consumers;
    /// with `--fresh`, the pipeline's streams are purged first.
    async fn start(
        js: &jetstream::Context,
        deployment: Deployment,
        nats_url: &str,
        args: &BenchArgs,
        secured: Option<&SecuredServer>,
    ) -> anyhow::Result<Self> {
        for spec in topology::CONSUMERS.iter().chain([&topology::PIPELINE]) {
            if pull_requests_waiting(js, spec).await > 0 {
                bail!(
                    "a process already pulls from the consumer {} on {}: stop the running \
                     services, the bench starts the deployments it measures itself",
                    spec.durable,
                    spec.stream
                );
            }
        }
        if args.fresh {
            purge_pipeline_streams(js).await?;
        } else {
            let held = match js.get_stream(subjects::STREAM_RAW).await {
                Ok(mut stream) => stream.info().await.map_or(0, |i| i.state.messages),
                Err(_) => 0,
            };
            if held > 0 {
                bail!(
                    "{} holds {held} messages, which the {} deployment would process first: \
                     run the bench on a server of its own (deploy/local/bench.sh), or pass \
                     --fresh to purge the pipeline's streams",
                    subjects::STREAM_RAW,
                    deployment.name()
                );
            }
        }
        let exe = std::env::current_exe().context("locating the newsflow binary")?;
        let dir = match &args.binaries {
            Some(dir) => dir.as_path(),
            None => exe
                .parent()
                .context("the directory of the newsflow binary")?,
        };
        let mut children = Vec::new();
        for (binary, args) in deployment.processes() {
            let path = dir.join(binary);
            let env = match secured {
                Some(server) => server.env_for(binary)?,
                None => Vec::new(),
            };
            let child = tokio::process::Command::new(&path)
                .args(*args)
                .envs(env)
                .env("NATS_URL", nats_url)
                .env("METRICS_ADDR", "127.0.0.1:0")
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .with_context(|| format!("starting {}", path.display()))?;
            children.push(child);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        for spec in deployment.consumers() {
            while pull_requests_waiting(js, spec).await == 0 {
                if Instant::now() > deadline {
                    bail!(
                        "the {} deployment did not start pulling from {} within 60 s",
                        deployment.name(),
                        spec.durable
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(Self { children })
    }

    /// Its process ids, with nats-server's, to charge CPU to.
    fn labelled(&self, pids: &[u32]) -> Vec<u32> {
        let mut processes = find_processes(&["nats-server"], pids);
        processes.extend(self.children.iter().filter_map(tokio::process::Child::id));
        processes
    }

    /// Stops the processes with SIGTERM (they drain) and waits for them.
    async fn stop(&mut self) {
        for child in &self.children {
            if let Some(pid) = child.id() {
                let _ = tokio::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .await;
            }
        }
        for child in &mut self.children {
            if tokio::time::timeout(Duration::from_secs(30), child.wait())
                .await
                .is_err()
            {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
        }
    }
}

/// Empties every stream of the pipeline, so the next deployment starts as on
/// a new server (its consumers then have nothing pending).
async fn purge_pipeline_streams(js: &jetstream::Context) -> anyhow::Result<()> {
    let names = topology::STREAMS
        .iter()
        .map(|spec| spec.name)
        .chain([subjects::STREAM_DEDUP_FINGERPRINTS]);
    for name in names {
        if let Ok(stream) = js.get_stream(name).await {
            stream
                .purge()
                .await
                .with_context(|| format!("purging the stream {name}"))?;
        }
    }
    Ok(())
}

/// Three relay hops as child processes, with their streams.
struct RelayProcesses {
    children: Vec<tokio::process::Child>,
}

impl RelayProcesses {
    async fn start(
        js: &jetstream::Context,
        nats_url: &str,
        settings: &Settings,
    ) -> anyhow::Result<Self> {
        for (index, name) in RELAY_STREAMS.iter().enumerate() {
            let _ = js.delete_stream(name).await;
            let spec = StreamSpec {
                name,
                subject: RELAY_SUBJECTS[index],
                role: StreamRole::Internal,
                description: "newsflow bench relay hop",
            };
            topology::ensure_stream(js, &spec, &settings.streams)
                .await
                .context("creating relay streams")?;
        }
        let exe = std::env::current_exe().context("locating the newsflow binary")?;
        let mut children = Vec::new();
        for hop in 0..RELAY_HOPS {
            let child = tokio::process::Command::new(&exe)
                .args([
                    "relay-hop",
                    "--hop",
                    &hop.to_string(),
                    "--nats-url",
                    nats_url,
                ])
                .kill_on_drop(true)
                .spawn()
                .context("starting a relay hop")?;
            children.push(child);
        }
        // Wait until every hop is pulling.
        let deadline = Instant::now() + Duration::from_secs(20);
        for spec in &RELAY_CONSUMERS {
            loop {
                if pull_requests_waiting(js, spec).await > 0 {
                    break;
                }
                if Instant::now() > deadline {
                    bail!("relay hop {} did not start", spec.durable);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(Self { children })
    }

    async fn stop(&mut self, js: &jetstream::Context) {
        for child in &mut self.children {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        for name in RELAY_STREAMS {
            let _ = js.delete_stream(name).await;
        }
    }
}

/// CPU seconds (user and system), read and write system calls, and peak
/// resident memory of each named process.
#[derive(Debug, Clone, Default)]
struct ProcessStats {
    user_seconds: f64,
    system_seconds: f64,
    /// `syscr` + `syscw` of `/proc/PID/io`: reads and writes on sockets and
    /// files, about one per wake-up of a process that handles one message
    /// at a time, fewer when it handles several per wake-up.
    syscalls: u64,
    peak_rss_mb: f64,
    count: usize,
}

/// The name the bench's own process is reported under: it publishes the
/// articles and reads every outcome, on the same cores as what it measures.
const BENCH_CLIENT: &str = "(bench client)";

/// Ids of the processes named `names`, limited to `only` when it is not empty.
fn find_processes(names: &[&str], only: &[u32]) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id() && (only.is_empty() || only.contains(pid)))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| names.contains(&comm.trim()))
        })
        .collect()
}

/// CPU time, system calls and peak memory of the given processes, by
/// process name, and of the bench itself (as [`BENCH_CLIENT`]).
fn cpu_snapshot(pids: &[u32]) -> HashMap<String, ProcessStats> {
    let ticks = clock_ticks_per_second();
    let mut stats: HashMap<String, ProcessStats> = HashMap::new();
    let own = std::process::id();
    for pid in pids.iter().copied().chain([own]) {
        let path = std::path::PathBuf::from(format!("/proc/{pid}"));
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        // The fused pipeline runs the same binary as the bench.
        let name = if pid == own {
            BENCH_CLIENT
        } else {
            comm.trim()
        };
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |index: usize| {
            fields
                .get(index)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let status_kb = |key: &str| {
            std::fs::read_to_string(path.join("status"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix(key))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                })
                .unwrap_or(0.0)
        };
        let io_count = |io: &str, key: &str| {
            io.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        let syscalls = std::fs::read_to_string(path.join("io"))
            .map(|io| io_count(&io, "syscr:") + io_count(&io, "syscw:"))
            .unwrap_or(0);
        let entry = stats.entry(name.to_string()).or_default();
        entry.user_seconds += field(11) / ticks;
        entry.system_seconds += field(12) / ticks;
        entry.syscalls += syscalls;
        entry.peak_rss_mb = entry.peak_rss_mb.max(status_kb("VmHWM:") / 1024.0);
        entry.count += 1;
    }
    stats
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// Prints each process's CPU time (user and system) and system calls per
/// article, and returns the total CPU time (µs) of the measured processes;
/// the bench's own CPU is printed after the total, not in it.
fn print_cpu(
    before: &HashMap<String, ProcessStats>,
    after: &HashMap<String, ProcessStats>,
    articles: usize,
) -> f64 {
    let mut names: Vec<&String> = after.keys().filter(|n| *n != BENCH_CLIENT).collect();
    names.sort();
    let per_article = |seconds: f64| seconds / articles as f64 * 1e6;
    let line = |name: &str, end: &ProcessStats| {
        let start = before.get(name).cloned().unwrap_or_default();
        let user = per_article(end.user_seconds - start.user_seconds);
        let system = per_article(end.system_seconds - start.system_seconds);
        let syscalls = end.syscalls.saturating_sub(start.syscalls) as f64 / articles as f64;
        println!(
            "  {name:<16} {:>7.1} µs CPU per article (user {user:.0}, system {system:.0}), {syscalls:.1} read/write syscalls per article ({} process{}), peak RSS {:.1} MB",
            user + system,
            end.count,
            if end.count == 1 { "" } else { "es" },
            end.peak_rss_mb
        );
        user + system
    };
    let mut total = 0.0;
    for name in names {
        total += line(name, &after[name]);
    }
    println!("  {:<16} {total:>7.1} µs CPU per article", "total");
    if let Some(own) = after.get(BENCH_CLIENT) {
        line(BENCH_CLIENT, own);
    }
    total
}
