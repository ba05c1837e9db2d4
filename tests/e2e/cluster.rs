//! A three-node JetStream cluster with R3 streams loses a node mid-run.
//!
//! The services connect to the list of the three nodes. While the dead
//! node's stream and consumer leaders are elected again elsewhere, publishes
//! meet no responders or `no stream found`; the loop retries them in place
//! (`consumer.publish_retry_ms`) instead of NAKing, so the node loss costs
//! no message a delivery; every id comes out exactly once. Not yet true of
//! dedup's read-back of its own fingerprint, so the test is ignored by
//! default (`cargo test --test e2e cluster -- --ignored`).

use std::time::{Duration, Instant};

use async_nats::jetstream;
use newsflow_tests::{NatsServer, Pipeline, free_port, nats_config};

use crate::crash::{assert_exactly_once, publish_all, reach};
use crate::{FAST_REDELIVERY, Outcomes, wait_for_outcomes, wait_for_stream};

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
        let js = connect(&self.nodes).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        // (async-nats cannot parse 2.9's clustered account info: a stream
        // created and deleted is the readiness check.)
        let probe = jetstream::stream::Config {
            name: "CLUSTER_READY".into(),
            subjects: vec!["cluster.ready".into()],
            ..Default::default()
        };
        while let Err(err) = js.create_stream(probe.clone()).await {
            assert!(
                Instant::now() < deadline,
                "the cluster elected no JetStream leader: {err}; node 0 log:\n{}",
                self.nodes[0].log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        js.delete_stream("CLUSTER_READY").await.unwrap();
        js
    }
}

/// A JetStream context connected to any of `nodes`.
async fn connect(nodes: &[NatsServer]) -> jetstream::Context {
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

#[tokio::test]
#[ignore = "dedup's fingerprint tail does not yet ride out a node loss without NAKs (see the end of the test); run with --ignored"]
async fn a_node_lost_mid_run_costs_no_delivery_and_no_article() {
    const ARTICLES: usize = 2000;
    let mut cluster = Cluster::start();
    let js = cluster.jetstream().await;
    let mut env = FAST_REDELIVERY.to_vec();
    env.push(("NEWSFLOW__STREAMS__REPLICAS", "3"));
    let pipeline = Pipeline::start(&cluster.url(), &env);
    for stream in ["NEWS_RAW", "NEWS_ENRICHED", "NEWS_DUPLICATES", "NEWS_DLQ"] {
        wait_for_stream(&js, stream).await;
    }
    let ids = publish_all(&js, ARTICLES).await;
    reach(&js, 400).await;
    cluster.nodes[0].kill();

    let js = connect(&cluster.nodes[1..]).await;
    wait_for_outcomes(&js, ARTICLES as u64, Duration::from_secs(180)).await;
    // The node comes back (its streams catch up) before the outcomes are read.
    cluster.nodes[0].restart();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let outcomes = Outcomes::read(&js).await;
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
    eprintln!("after the node loss: {retried_in_place} publishes retried in place; NAKs: {naks:?}");
    // The loop's own publishes never NAK: they are retried in place.
    let publish_naks: Vec<_> = naks
        .iter()
        .filter(|(labels, _)| labels.contains("error_type=\"publish"))
        .collect();
    assert!(
        publish_naks.is_empty(),
        "transient cluster states NAKed messages (each NAK costs a delivery): {publish_naks:?}"
    );
    // Known gap: dedup's own fingerprint read-back (`fingerprints`) still
    // NAKs while its tail of the fingerprint stream recovers from the lost
    // node (measured: 0 to 1,758 NAKs of 2,000 articles), and one run of
    // three on nats-server 2.9 stalled: hence `#[ignore]`.
    let fingerprint_naks: f64 = naks
        .iter()
        .filter(|(labels, _)| labels.contains("fingerprints"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(fingerprint_naks, 0.0, "dedup fingerprint read-backs NAKed");
}
