//! End-to-end tests: real nats-server, real service processes, real Prometheus.
//!
//! One test binary (modules below) so the harness is shared. Each test starts
//! its own nats-server on a free loopback port with a temporary store.

/// Runs the end-to-end test `async fn $name(Deployment)` against each
/// deployment, as the tests `$name::separate` and `$name::fused`.
macro_rules! for_each_deployment {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn separate() {
                super::$name(newsflow_tests::Deployment::Separate).await;
            }

            #[tokio::test]
            async fn fused() {
                super::$name(newsflow_tests::Deployment::Fused).await;
            }
        }
    };
}

mod bad_input;
mod cli;
mod cluster;
mod crash;
mod dead_letters;
mod dedup_order;
mod dedup_replicas;
mod dedup_tail;
mod flow;
// The HTTP ingest gateway and the Python, Node and Scrapy clients
mod clients;
mod gateway;
mod nats_access;
mod observability;
mod process;
mod readme_record;
mod replay;
mod sink;
mod stalls;
mod web_pages;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use newsflow_core::subjects;
use newsflow_tests::{Deployment, NatsServer, Received, Stages, collect};

/// Settings that make redelivery after a crash quick in tests.
pub const FAST_REDELIVERY: &[(&str, &str)] = &[
    ("NEWSFLOW__CONSUMER__ACK_WAIT_SECS", "4"),
    ("NEWSFLOW__CONSUMER__MAX_ACK_PENDING", "512"),
    ("NEWSFLOW__CONSUMER__RETRY_BASE_DELAY_MS", "100"),
    ("NEWSFLOW__STREAMS__DEDUP_WINDOW_HOURS", "1"),
];

/// A nats-server with the stages running against it.
pub struct Stack {
    pub nats: NatsServer,
    pub pipeline: Stages,
    pub js: jetstream::Context,
}

impl Stack {
    /// The three separate services.
    pub async fn start() -> Self {
        Self::start_as(Deployment::Separate).await
    }

    pub async fn start_as(deployment: Deployment) -> Self {
        Self::start_deployment(deployment, FAST_REDELIVERY).await
    }

    pub async fn start_with(env: &[(&str, &str)]) -> Self {
        Self::start_deployment(Deployment::Separate, env).await
    }

    pub async fn start_deployment(deployment: Deployment, env: &[(&str, &str)]) -> Self {
        let nats = NatsServer::start();
        let pipeline = Stages::start(deployment, &nats.url(), env);
        let js = nats.jetstream().await;
        // The services create NEWS_RAW after their metrics port opens (the
        // harness's sign of life); a publish before it would find no stream.
        wait_for_stream(&js, subjects::STREAM_RAW).await;
        Self { nats, pipeline, js }
    }
}

/// Messages in the stream holding `subject` (0 if it does not exist yet).
pub async fn stream_len(js: &jetstream::Context, subject: &str) -> u64 {
    let name = newsflow_core::topology::stream_for(subject).name;
    match js.get_stream(name).await {
        Ok(mut stream) => stream.info().await.map(|i| i.state.messages).unwrap_or(0),
        Err(_) => 0,
    }
}

/// Waits until the stream `name` exists (services create theirs at start).
pub async fn wait_for_stream(js: &jetstream::Context, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while js.get_stream(name).await.is_err() {
        assert!(Instant::now() < deadline, "stream {name} never appeared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Messages across the three outcome streams: records, duplicate notices, dead letters.
pub async fn outcomes_len(js: &jetstream::Context) -> u64 {
    stream_len(js, subjects::ENRICHED).await
        + stream_len(js, subjects::DUPLICATES).await
        + stream_len(js, subjects::DLQ).await
}

/// Waits until `expected` outcomes are stored; panics with the count reached.
pub async fn wait_for_outcomes(js: &jetstream::Context, expected: u64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut seen = 0;
    while Instant::now() < deadline {
        seen = outcomes_len(js).await;
        if seen >= expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("only {seen} of {expected} outcomes after {timeout:?}");
}

/// Waits until every id of `ids` has an outcome. Counting outcome messages
/// is not enough: a copy that reached dedup before its original gives back
/// its record with a notice, two messages for one id.
pub async fn wait_for_every_id(js: &jetstream::Context, ids: &[&str], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let counts = Outcomes::read(js).await.id_counts();
        let missing: Vec<&&str> = ids.iter().filter(|id| !counts.contains_key(**id)).collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no outcome after {timeout:?} for {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every message of the stream holding `subject`; none when the stream is
/// empty or not created yet (each service creates its output streams at start).
async fn read_all(js: &jetstream::Context, subject: &str) -> Vec<Received> {
    match stream_len(js, subject).await as usize {
        0 => Vec::new(),
        count => collect(js, subject, count, Duration::from_secs(2)).await,
    }
}

/// The article id of a message of any stream: raw articles and outcomes
/// carry `id`, stage inputs `article.id`.
pub fn article_id(payload: &[u8]) -> Option<String> {
    let value = serde_json::from_slice::<serde_json::Value>(payload).ok()?;
    value["id"]
        .as_str()
        .or(value["article"]["id"].as_str())
        .map(str::to_string)
}

/// Every outcome message, by subject.
pub struct Outcomes {
    pub enriched: Vec<Received>,
    pub duplicates: Vec<Received>,
    pub dead_letters: Vec<Received>,
}

impl Outcomes {
    pub async fn read(js: &jetstream::Context) -> Self {
        Self {
            enriched: read_all(js, subjects::ENRICHED).await,
            duplicates: read_all(js, subjects::DUPLICATES).await,
            dead_letters: read_all(js, subjects::DLQ).await,
        }
    }

    /// How many times each article id appears across all outcomes.
    pub fn id_counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for message in self.enriched.iter().chain(&self.duplicates) {
            let id = message.json()["id"]
                .as_str()
                .expect("outcome has an id")
                .to_string();
            *counts.entry(id).or_default() += 1;
        }
        for message in &self.dead_letters {
            let id = article_id(&message.payload)
                .unwrap_or_else(|| String::from_utf8_lossy(&message.payload).into_owned());
            *counts.entry(id).or_default() += 1;
        }
        counts
    }

    /// Enriched records by id.
    pub fn records(&self) -> HashMap<String, serde_json::Value> {
        self.enriched
            .iter()
            .map(|m| {
                let v = m.json();
                (v["id"].as_str().unwrap().to_string(), v)
            })
            .collect()
    }
}
