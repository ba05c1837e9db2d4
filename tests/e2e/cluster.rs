//! A three-node JetStream cluster with R3 streams loses a node mid-run.
//!
//! The services connect to the list of the three nodes; one more enrich
//! replica starts while the lost node is down, listed first. The node lost is
//! the one serving dedup's tail of the fingerprint stream (a single-replica
//! ordered consumer), so dedup's read-back of its own fingerprints must
//! recover as well as the loop's publishes. While the lost node's stream
//! and consumer leaders are elected again elsewhere, publishes meet no
//! responders or `no stream found`; the loop retries them in place
//! (`consumer.publish_retry_ms`), and dedup's tail resubscribes when it falls
//! silent while records are awaited, reading the awaited records by
//! sequence while no new subscription can be made (on nats-server 2.9
//! under load, making a consumer after a node loss timed out for 40-56 s,
//! longer than an article waits for its verdict). Every id comes out
//! exactly once, and no message is delivered more than twice (a node loss
//! may cost a message one redelivery: its ack or in-progress ack went to
//! the lost node). A failure prints where each missing article is (stream,
//! consumer states, the services' lines about it) and every service's
//! warnings by kind.

use std::time::{Duration, Instant};

use async_nats::jetstream;
use futures::StreamExt;
use newsflow_tests::{NatsServer, Pipeline, eventually, free_port, nats_config};

use crate::crash::{assert_exactly_once, publish_all, reach};
use crate::{
    FAST_REDELIVERY, Outcomes, PIPELINE_STREAMS, article_id, consumer_state, ids_without_outcome,
    outcomes_len, wait_for_stream,
};

/// Three nats-servers routed to each other, each with its own store.
struct Cluster {
    nodes: Vec<NatsServer>,
    _configs: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Self {
        let configs = tempfile::tempdir().unwrap();
        std::fs::copy(
            nats_config("limits.conf"),
            configs.path().join("limits.conf"),
        )
        .unwrap();
        let routes: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let nodes = (0..3)
            .map(|i| {
                let others: Vec<String> = (0..3)
                    .filter(|&j| j != i)
                    .map(|j| format!("nats-route://127.0.0.1:{}", routes[j]))
                    .collect();
                let config = format!(
                    "include ./limits.conf\nserver_name: n{i}\ncluster {{\n  name: newsflow-test\n  listen: 127.0.0.1:{}\n  routes: [{}]\n}}\n",
                    routes[i],
                    others.join(", ")
                );
                let path = configs.path().join(format!("n{i}.conf"));
                std::fs::write(&path, config).unwrap();
                NatsServer::start_with_config(&path, &[])
            })
            .collect();
        Self {
            nodes,
            _configs: configs,
        }
    }

    /// The nodes' URLs, comma-separated, as `NATS_URL` takes them.
    fn url(&self) -> String {
        self.nodes
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A JetStream context once the cluster has elected its meta leader.
    async fn jetstream(&self) -> jetstream::Context {
        let js = connect(&self.nodes.iter().collect::<Vec<_>>()).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        // (async-nats cannot parse 2.9's clustered account info: a stream
        // created and then deleted is the readiness check. Both steps are
        // retried: while the meta leader is still settling, a create can
        // answer and the delete right after it still meet `stream not
        // found`, as happened once in CI.)
        let probe = jetstream::stream::Config {
            name: "CLUSTER_READY".into(),
            subjects: vec!["cluster.ready".into()],
            ..Default::default()
        };
        loop {
            let outcome = match js.create_stream(probe.clone()).await {
                Ok(_) => js
                    .delete_stream("CLUSTER_READY")
                    .await
                    .map(|_| ())
                    .map_err(|err| format!("deleting the probe stream: {err}")),
                Err(err) => Err(format!("creating the probe stream: {err}")),
            };
            let Err(err) = outcome else { break };
            assert!(
                Instant::now() < deadline,
                "the cluster elected no JetStream leader: {err}; node 0 log:\n{}",
                self.nodes[0].log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        js
    }
}

/// A JetStream context connected to any of `nodes`.
async fn connect(nodes: &[&NatsServer]) -> jetstream::Context {
    let addresses: Vec<async_nats::ServerAddr> =
        nodes.iter().map(|n| n.url().parse().unwrap()).collect();
    jetstream::new(async_nats::connect(addresses.as_slice()).await.unwrap())
}

/// The sum of every sample of a counter family on a service's /metrics.
fn counter_total(service: &newsflow_tests::Service, family: &str) -> f64 {
    let (_, body) = service.http_get("/metrics");
    body.lines()
        .filter(|line| line.starts_with(family) && line[family.len()..].starts_with(['{', ' ']))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The server (`n0`, `n1`, `n2`) serving dedup's tail of the fingerprint
/// stream: its one ordered consumer's leader.
async fn tail_server(js: &jetstream::Context) -> Option<String> {
    let stream = js.get_stream("DEDUP_FINGERPRINTS").await.ok()?;
    let mut consumers = stream.consumers();
    let mut servers = Vec::new();
    while let Some(Ok(info)) = consumers.next().await {
        servers.extend(info.cluster.and_then(|c| c.leader));
    }
    (servers.len() == 1).then(|| servers.remove(0))
}

/// Every message of stream `name` as (sequence, article id), read with an
/// ordered consumer until `expected` came or nothing came for 2 s.
async fn ids_in_stream(js: &jetstream::Context, name: &str, expected: u64) -> Vec<(u64, String)> {
    let Ok(stream) = js.get_stream(name).await else {
        return Vec::new();
    };
    let Ok(consumer) = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
    else {
        return Vec::new();
    };
    let Ok(mut messages) = consumer.messages().await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while (out.len() as u64) < expected {
        let Ok(Some(Ok(message))) =
            tokio::time::timeout(Duration::from_secs(2), messages.next()).await
        else {
            break;
        };
        let sequence = message.info().map_or(0, |i| i.stream_sequence);
        let id = article_id(&message.payload).unwrap_or_default();
        out.push((sequence, id));
    }
    out
}

/// A service's warnings by kind (their text up to the first field), each
/// with its count and its first and last line: what went wrong, for the
/// test's output.
fn warning_summary(service: &newsflow_tests::Service) -> String {
    use std::fmt::Write;
    let log = service.log();
    let mut kinds: Vec<(String, usize, &str, &str)> = Vec::new();
    for line in log.lines().filter(|l| l.contains(" WARN ")) {
        let text = line.split(" WARN ").nth(1).unwrap_or(line);
        let kind: String = text
            .split_whitespace()
            .take_while(|word| !word.contains('='))
            .collect::<Vec<_>>()
            .join(" ");
        match kinds.iter_mut().find(|(k, ..)| *k == kind) {
            Some(entry) => {
                entry.1 += 1;
                entry.3 = line;
            }
            None => kinds.push((kind, 1, line, line)),
        }
    }
    let mut summary = String::new();
    for (kind, count, first, last) in kinds {
        let _ = writeln!(
            summary,
            "  {count} x {kind}\n    first: {first}\n    last:  {last}"
        );
    }
    summary
}

/// Where the articles of `missing` got to, for the failure message: every
/// stream's state and where each article is in it, every stage consumer's
/// state, and the lines the services logged about each article.
async fn whereabouts(
    js: &jetstream::Context,
    missing: &[&String],
    pipeline: &Pipeline,
    cluster: &Cluster,
) -> String {
    use std::fmt::Write;
    let mut report = String::new();
    // Per missing id and stage: the stream sequence its stage saw it at.
    let mut sequences: Vec<(String, &'static str, u64)> = Vec::new();
    for (name, stage) in PIPELINE_STREAMS.iter().take(6).copied() {
        let Ok(mut stream) = js.get_stream(name).await else {
            let _ = writeln!(report, "{name}: cannot be read");
            continue;
        };
        let info = stream.info().await.ok();
        let (messages, last, cluster_state) = info.as_ref().map_or((0, 0, None), |i| {
            (i.state.messages, i.state.last_sequence, i.cluster.clone())
        });
        let read = ids_in_stream(js, name, messages).await;
        let _ = writeln!(
            report,
            "{name}: {messages} messages (last sequence {last}), {} read back; cluster {cluster_state:?}",
            read.len()
        );
        for id in missing {
            let at: Vec<u64> = read
                .iter()
                .filter(|(_, read_id)| read_id == *id)
                .map(|(sequence, _)| *sequence)
                .collect();
            let _ = writeln!(report, "  {id} at sequences {at:?}");
            if let Some(stage) = stage {
                sequences.extend(at.iter().map(|&s| (id.to_string(), stage, s)));
            }
        }
        if let Some(stage) = stage {
            let _ = writeln!(report, "  {}", consumer_state(&stream, stage).await);
        }
    }
    for service in pipeline.services() {
        let log = service.log();
        let stage = service.name.trim_start_matches("newsflow-");
        let warnings = log.lines().filter(|l| l.contains("WARN")).count();
        let _ = writeln!(
            report,
            "{}: {warnings} warnings; about the missing:",
            service.name
        );
        for line in log.lines() {
            let about = missing.iter().any(|id| line.contains(id.as_str()))
                || sequences.iter().any(|(_, s, sequence)| {
                    *s == stage && line.contains(&format!("stream_sequence={sequence} "))
                });
            if about || line.contains("still being worked on") {
                let _ = writeln!(report, "  {line}");
            }
        }
    }
    for (i, node) in cluster.nodes.iter().enumerate() {
        let log = node.log();
        let notable: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("[WRN]") || l.contains("[ERR]"))
            .collect();
        let _ = writeln!(
            report,
            "n{i}: {} warnings and errors, the last 15:",
            notable.len()
        );
        for line in notable.iter().rev().take(15).rev() {
            let _ = writeln!(report, "  {line}");
        }
    }
    report
}

/// How many messages a stage took, in all and at their first or second
/// delivery (from its `newsflow_pipeline_message_deliveries` histogram).
#[derive(Debug, Default)]
struct Deliveries {
    stage: String,
    first: f64,
    up_to_second: f64,
    total: f64,
}

fn deliveries(service: &newsflow_tests::Service) -> Vec<Deliveries> {
    let (_, body) = service.http_get("/metrics");
    let mut stages: Vec<Deliveries> = Vec::new();
    for line in body.lines() {
        let Some(rest) = line.strip_prefix("newsflow_pipeline_message_deliveries_") else {
            continue;
        };
        let (series, value) = rest.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap();
        let stage = series
            .split("stage=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let at = match stages.iter().position(|d| d.stage == stage) {
            Some(at) => at,
            None => {
                stages.push(Deliveries {
                    stage: stage.to_string(),
                    ..Deliveries::default()
                });
                stages.len() - 1
            }
        };
        if series.starts_with("count") {
            stages[at].total = value;
        } else if series.contains("le=\"1\"") {
            stages[at].first = value;
        } else if series.contains("le=\"2\"") {
            stages[at].up_to_second = value;
        }
    }
    stages
}

#[tokio::test]
async fn a_node_lost_mid_run_costs_at_most_one_delivery_and_no_article() {
    const ARTICLES: usize = 2000;
    let mut cluster = Cluster::start();
    let js = cluster.jetstream().await;
    let mut env = FAST_REDELIVERY.to_vec();
    env.push(("NEWSFLOW__STREAMS__REPLICAS", "3"));
    // Longer than FAST_REDELIVERY's 4 s (production: 30 s): a consumer
    // whose leader is being elected again takes no in-progress acks, and on
    // this shared machine an election can outlast 4 s, which redelivers a
    // message still being worked on.
    env.push(("NEWSFLOW__CONSUMER__ACK_WAIT_SECS", "10"));
    let pipeline = Pipeline::start(&cluster.url(), &env);
    for stream in ["NEWS_RAW", "NEWS_ENRICHED", "NEWS_DUPLICATES", "NEWS_DLQ"] {
        wait_for_stream(&js, stream).await;
    }
    let ids = publish_all(&js, ARTICLES).await;
    reach(&js, 400).await;
    let tail = tail_server(&js).await;
    let lost = tail
        .as_deref()
        .and_then(|name| name.strip_prefix('n')?.parse::<usize>().ok())
        .unwrap_or(0);
    eprintln!("dedup's tail is served by {tail:?}: losing n{lost}");
    let started = Instant::now();
    cluster.nodes[lost].kill();

    let living: Vec<&NatsServer> = (0..3)
        .filter(|&i| i != lost)
        .map(|i| &cluster.nodes[i])
        .collect();
    let js = connect(&living).await;
    // Item 3: a replica started while a listed node is down (listed first)
    // connects to the others and consumes.
    let listed: Vec<String> = std::iter::once(lost)
        .chain((0..3).filter(|&i| i != lost))
        .map(|i| cluster.nodes[i].url())
        .collect();
    let late_enrich = newsflow_tests::Service::start("newsflow-enrich", &listed.join(","), &env);
    // Counted, not read, while the cluster is short of a node: the ordered
    // consumers that read the outcomes may not be made then (their creation
    // timed out on 2.9.10). Not asserted: the ids are checked below, once
    // the node is back, and the assertions say where missing ones are.
    let deadline = Instant::now() + Duration::from_secs(120);
    while outcomes_len(&js).await < ARTICLES as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "{} outcomes {:.1} s after the node loss",
        outcomes_len(&js).await,
        started.elapsed().as_secs_f64()
    );
    assert!(
        eventually(Duration::from_secs(30), || {
            late_enrich.http_get("/healthz").0 == 200
        })
        .await,
        "an enrich replica started with the lost node first in its list is not consuming:\n{}",
        late_enrich.log()
    );
    // The node comes back (its streams catch up) before the outcomes are read.
    cluster.nodes[lost].restart();
    tokio::time::sleep(Duration::from_secs(5)).await;
    // A copy decided before its source adds a notice withdrawing its record,
    // so the count can be reached with sources still on their way.
    ids_without_outcome(&js, &ids, Duration::from_secs(30)).await;
    let outcomes = Outcomes::read(&js).await;
    let counts = outcomes.id_counts();
    let missing: Vec<&String> = ids.iter().filter(|id| !counts.contains_key(*id)).collect();
    if !missing.is_empty() {
        eprintln!(
            "articles without an outcome: {missing:?}; where they are:\n{}",
            whereabouts(&js, &missing, &pipeline, &cluster).await
        );
    }
    assert_exactly_once(&outcomes, &ids);

    // NAKs by error type, over the three services.
    let mut naks: Vec<(String, f64)> = Vec::new();
    for service in pipeline.services() {
        let (_, body) = service.http_get("/metrics");
        for line in body
            .lines()
            .filter(|l| l.starts_with("newsflow_pipeline_messages_failed_total{"))
        {
            let (labels, value) = line.rsplit_once(' ').unwrap();
            let value: f64 = value.parse().unwrap();
            if value > 0.0 {
                naks.push((labels.to_string(), value));
            }
        }
    }
    let retried_in_place: f64 = pipeline
        .services()
        .iter()
        .map(|s| counter_total(s, "newsflow_pipeline_publish_retries_total"))
        .sum();
    let resubscribed = counter_total(
        &pipeline.dedup,
        "newsflow_dedup_events_total{event=\"tail_resubscribed\"}",
    );
    eprintln!(
        "after the node loss: {retried_in_place} publishes retried in place, dedup's tail resubscribed {resubscribed} times; NAKs: {naks:?}"
    );
    for service in pipeline.services() {
        eprintln!("{} warnings:\n{}", service.name, warning_summary(service));
    }
    // When each leader was elected again: elections that outlast the
    // retries in place (`publish_retry_ms`) or the verdict wait cost
    // deliveries.
    for (i, node) in cluster.nodes.iter().enumerate().filter(|(i, _)| *i != lost) {
        let log = node.log();
        let elections: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("JetStream cluster new") && l.contains("leader"))
            .collect();
        eprintln!("n{i} elections:\n  {}", elections.join("\n  "));
    }
    let mut over_two = Vec::new();
    for service in pipeline.services() {
        for counts in deliveries(service) {
            eprintln!(
                "{}: {} messages taken, {} redelivered once, {} more often",
                counts.stage,
                counts.total,
                counts.up_to_second - counts.first,
                counts.total - counts.up_to_second
            );
            assert!(
                counts.total > 0.0,
                "{} reports no message taken",
                counts.stage
            );
            if counts.total > counts.up_to_second {
                over_two.push((counts.stage, counts.total - counts.up_to_second));
            }
        }
    }
    assert!(
        over_two.is_empty(),
        "messages delivered more than twice during the node loss, by stage: {over_two:?}; NAKs: {naks:?}"
    );
    // The loop's own publishes (outputs and dead letters) and dedup's
    // fingerprint read-backs never NAK: they are retried in place, or wait
    // for the tail to resubscribe.
    let transient_naks: Vec<_> = naks
        .iter()
        .filter(|(labels, _)| labels.contains("publish") || labels.contains("fingerprints"))
        .collect();
    assert!(
        transient_naks.is_empty(),
        "transient cluster states NAKed messages (each NAK costs a delivery): {transient_naks:?}"
    );
}
