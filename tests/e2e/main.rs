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

use std::collections::{HashMap, HashSet};
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

/// The pipeline's streams and stage consumers, for failure messages: each
/// stream's message count, each stage consumer's progress.
pub async fn pipeline_state(js: &jetstream::Context) -> String {
    let mut report = String::new();
    for (name, stage) in PIPELINE_STREAMS {
        let Ok(mut stream) = js.get_stream(name).await else {
            report.push_str(&format!("{name}: cannot be read\n"));
            continue;
        };
        let messages = stream.info().await.map_or(0, |i| i.state.messages);
        report.push_str(&format!("{name}: {messages} messages\n"));
        if let Some(stage) = stage {
            report.push_str(&format!("  {}\n", consumer_state(&stream, stage).await));
        }
    }
    report
}

/// The streams an article passes through, with the stage consuming each.
pub const PIPELINE_STREAMS: [(&str, Option<&str>); 7] = [
    ("NEWS_RAW", Some("langid")),
    ("NEWS_DETECTED", Some("dedup")),
    ("NEWS_UNIQUE", Some("enrich")),
    ("NEWS_ENRICHED", None),
    ("NEWS_DUPLICATES", None),
    ("NEWS_DLQ", None),
    ("DEDUP_FINGERPRINTS", None),
];

/// One line on the durable consumer `stage` of `stream`: what it has
/// delivered, what waits for an ack and what is still to deliver.
pub async fn consumer_state(stream: &jetstream::stream::Stream, stage: &str) -> String {
    let info = match stream
        .get_consumer::<jetstream::consumer::pull::Config>(stage)
        .await
    {
        Ok(mut consumer) => consumer.info().await.cloned(),
        Err(e) => return format!("consumer {stage}: cannot be read: {e}"),
    };
    match info {
        Ok(info) => format!(
            "consumer {stage}: num_pending {}, num_ack_pending {}, num_redelivered {}, num_waiting {}, delivered up to {}, ack floor {}, leader {:?}",
            info.num_pending,
            info.num_ack_pending,
            info.num_redelivered,
            info.num_waiting,
            info.delivered.stream_sequence,
            info.ack_floor.stream_sequence,
            info.cluster.as_ref().and_then(|c| c.leader.clone())
        ),
        Err(e) => format!("consumer {stage}: no info: {e}"),
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

/// Waits until every id of `ids` has an outcome; panics naming the ids
/// without one after `timeout`. Counting outcome messages is not enough: a
/// copy that reached dedup before its original gives back its record with
/// a notice, two messages for one id, so the count can be reached with an
/// article still undecided.
pub async fn wait_for_every_id<S: AsRef<str>>(
    js: &jetstream::Context,
    ids: impl IntoIterator<Item = S> + Copy,
    timeout: Duration,
) {
    let missing = ids_without_outcome(js, ids, timeout).await;
    assert!(
        missing.is_empty(),
        "no outcome after {timeout:?} for {} ids (first 10: {:?})",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
}

/// Waits until every id of `ids` has an outcome, and no further outcome
/// came for one poll (the fused pipeline publishes a withdrawal notice
/// beside the original's record, so one may be seen a moment before the
/// other), or until `timeout`; returns the ids still without an outcome.
pub async fn ids_without_outcome<S: AsRef<str>>(
    js: &jetstream::Context,
    ids: impl IntoIterator<Item = S> + Copy,
    timeout: Duration,
) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let expected = ids.into_iter().count() as u64;
    let mut complete_at = None;
    loop {
        let stored = outcomes_len(js).await;
        let timed_out = Instant::now() > deadline;
        // Each id needs an outcome message: read them all only once there are enough.
        if stored >= expected || timed_out {
            let counts = Outcomes::read(js).await.id_counts();
            let missing: Vec<String> = ids
                .into_iter()
                .filter(|id| !counts.contains_key(id.as_ref()))
                .map(|id| id.as_ref().to_string())
                .collect();
            if timed_out || (missing.is_empty() && complete_at == Some(stored)) {
                return missing;
            }
            complete_at = missing.is_empty().then_some(stored);
        }
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

    /// How many outcomes each article id has: its records, notices and dead
    /// letters, a record withdrawn by a later notice counting once with that
    /// notice (see [`withdrawn_ids`]); more than one is a doubled article.
    pub fn id_counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        let id_of = |message: &Received| {
            message.json()["id"]
                .as_str()
                .expect("outcome has an id")
                .to_string()
        };
        let mut withdrawn = withdrawn_ids(&self.duplicates);
        for id in self.enriched.iter().map(id_of) {
            // A second record of a withdrawn id still counts: a double.
            if !withdrawn.remove(&id) {
                *counts.entry(id).or_default() += 1;
            }
        }
        for id in self.duplicates.iter().map(id_of) {
            *counts.entry(id).or_default() += 1;
        }
        for message in &self.dead_letters {
            let id = article_id(&message.payload)
                .unwrap_or_else(|| String::from_utf8_lossy(&message.payload).into_owned());
            *counts.entry(id).or_default() += 1;
        }
        counts
    }

    /// Records in effect by id: every record but those a later notice
    /// withdrew (see [`withdrawn_ids`]).
    pub fn records_in_effect(&self) -> HashMap<String, serde_json::Value> {
        let mut records = self.records();
        for id in withdrawn_ids(&self.duplicates) {
            records.remove(&id);
        }
        records
    }

    /// Every record stored by id, withdrawn ones included.
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

/// Ids whose record a duplicate notice withdrew (`record_withdrawn`): a copy
/// that reached dedup before its original was passed on and got a record,
/// which the original's arrival takes back. That record and its notice are
/// one outcome, told twice.
pub fn withdrawn_ids(notices: &[Received]) -> HashSet<String> {
    notices
        .iter()
        .map(Received::json)
        .filter(|notice| notice["record_withdrawn"] == true)
        .filter_map(|notice| notice["id"].as_str().map(str::to_string))
        .collect()
}
