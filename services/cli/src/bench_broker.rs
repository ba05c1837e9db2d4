//! What the broker does per article during a bench run: nats-server's own
//! counters (`/varz`, `/jsz`, `/connz` of its monitoring port) read before
//! and after the run, and, with `--count-operations`, every message through
//! the server sorted by what it is (pull requests, deliveries, acks,
//! publishes and their PubAcks, API calls) by a subscriber to `>`.
//!
//! The counters cost the server nothing during the run. The subscriber
//! receives a copy of every message, so a run it watches is slower and its
//! CPU figures are not comparable; its counts are (each operation is one
//! message whoever watches).

use std::collections::{BTreeMap, HashMap};
use std::io::{Read as _, Write as _};
use std::time::Duration;

use anyhow::{Context as _, bail};
use futures::StreamExt;
use serde::Deserialize;

/// The connection name of the subscriber to `>`; left out of the
/// per-connection counters.
const WATCHER_NAME: &str = "newsflow-bench-watcher";

/// nats-server's monitoring endpoint (`-m PORT`), e.g. `127.0.0.1:8222`.
#[derive(Debug, Clone)]
pub struct Monitor {
    address: String,
}

/// The server's counters at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    server: Counters,
    api_calls: u64,
    api_errors: u64,
    /// By connection name (clients of one name added up).
    connections: BTreeMap<String, Counters>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
struct Counters {
    #[serde(default)]
    in_msgs: u64,
    #[serde(default)]
    out_msgs: u64,
    #[serde(default)]
    in_bytes: u64,
    #[serde(default)]
    out_bytes: u64,
}

impl Counters {
    fn add(&mut self, other: Counters) {
        self.in_msgs += other.in_msgs;
        self.out_msgs += other.out_msgs;
        self.in_bytes += other.in_bytes;
        self.out_bytes += other.out_bytes;
    }

    fn since(self, before: Counters) -> Counters {
        Counters {
            in_msgs: self.in_msgs.saturating_sub(before.in_msgs),
            out_msgs: self.out_msgs.saturating_sub(before.out_msgs),
            in_bytes: self.in_bytes.saturating_sub(before.in_bytes),
            out_bytes: self.out_bytes.saturating_sub(before.out_bytes),
        }
    }
}

#[derive(Deserialize)]
struct Jsz {
    api: Api,
}

#[derive(Deserialize)]
struct Api {
    total: u64,
    errors: u64,
}

#[derive(Deserialize)]
struct Connz {
    connections: Vec<Connection>,
}

#[derive(Deserialize)]
struct Connection {
    #[serde(default)]
    name: String,
    #[serde(flatten)]
    counters: Counters,
}

impl Monitor {
    pub fn new(address: &str) -> Self {
        let address = address
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        Self { address }
    }

    /// Reads `/varz`, `/jsz` and `/connz`.
    ///
    /// # Errors
    /// When the monitoring port does not answer with JSON.
    pub async fn snapshot(&self) -> anyhow::Result<Snapshot> {
        let address = self.address.clone();
        tokio::task::spawn_blocking(move || {
            let server: Counters = get_json(&address, "/varz")?;
            let jsz: Jsz = get_json(&address, "/jsz")?;
            let connz: Connz = get_json(&address, "/connz?limit=4096")?;
            let mut connections: BTreeMap<String, Counters> = BTreeMap::new();
            for connection in connz.connections {
                connections
                    .entry(connection.name)
                    .or_default()
                    .add(connection.counters);
            }
            Ok(Snapshot {
                server,
                api_calls: jsz.api.total,
                api_errors: jsz.api.errors,
                connections,
            })
        })
        .await
        .context("reading nats-server's monitoring endpoints")?
    }
}

/// One plain HTTP/1.0 GET on loopback (the server closes after answering).
fn get_json<T: serde::de::DeserializeOwned>(address: &str, path: &str) -> anyhow::Result<T> {
    let mut stream = std::net::TcpStream::connect(address)
        .with_context(|| format!("connecting to nats-server's monitoring port {address}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n")?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .with_context(|| format!("reading http://{address}{path}"))?;
    let Some(body_at) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        bail!("http://{address}{path} answered without a body");
    };
    serde_json::from_slice(&response[body_at + 4..])
        .with_context(|| format!("http://{address}{path} did not answer with the expected JSON"))
}

/// Prints what the server counted between `before` and `after`, per article.
pub fn print_per_article(before: &Snapshot, after: &Snapshot, articles: usize) {
    let per = |n: u64| n as f64 / articles.max(1) as f64;
    let server = after.server.since(before.server);
    println!(
        "  nats-server per article: {:.1} messages in ({:.1} KB), {:.1} out ({:.1} KB), {:.2} JetStream API calls ({} errors in all)",
        per(server.in_msgs),
        per(server.in_bytes) / 1024.0,
        per(server.out_msgs),
        per(server.out_bytes) / 1024.0,
        per(after.api_calls.saturating_sub(before.api_calls)),
        after.api_errors.saturating_sub(before.api_errors),
    );
    for (name, counters) in &after.connections {
        if name == WATCHER_NAME {
            continue;
        }
        let delta = counters.since(before.connections.get(name).copied().unwrap_or_default());
        if delta.in_msgs + delta.out_msgs == 0 {
            continue;
        }
        let name = if name.is_empty() { "(unnamed)" } else { name };
        println!(
            "    {name:<20} sends {:>5.2} messages ({:>5.1} KB), receives {:>5.2} ({:>5.1} KB)",
            per(delta.in_msgs),
            per(delta.in_bytes) / 1024.0,
            per(delta.out_msgs),
            per(delta.out_bytes) / 1024.0,
        );
    }
}

/// Counts of messages by kind, with their payload bytes.
#[derive(Debug, Default)]
struct Tally {
    counts: BTreeMap<String, (u64, u64)>,
    /// Messages asked for, summed over the pull requests of each consumer.
    asked: BTreeMap<String, u64>,
}

impl Tally {
    fn count(&mut self, kind: String, bytes: usize) {
        let entry = self.counts.entry(kind).or_default();
        entry.0 += 1;
        entry.1 += bytes as u64;
    }
}

/// A subscriber to `>` sorting every message of the run by what it is.
pub struct Watcher {
    task: tokio::task::JoinHandle<Tally>,
    stop: tokio_util::sync::CancellationToken,
}

impl Watcher {
    /// Subscribes to every subject on its own connection.
    ///
    /// # Errors
    /// When it cannot connect or subscribe.
    pub async fn start(nats_url: &str) -> anyhow::Result<Self> {
        let client = async_nats::ConnectOptions::new()
            .name(WATCHER_NAME)
            // A copy of every message: never a slow consumer.
            .subscription_capacity(1 << 22)
            .connect(nats_url)
            .await
            .with_context(|| format!("connecting the operation counter to {nats_url}"))?;
        let mut all = client
            .subscribe(">")
            .await
            .context("subscribing the operation counter to >")?;
        client
            .flush()
            .await
            .context("flushing the counter's subscription")?;
        let stop = tokio_util::sync::CancellationToken::new();
        let task = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let _client = client;
                let mut sorter = Sorter::default();
                loop {
                    tokio::select! {
                        biased;
                        message = all.next() => match message {
                            Some(message) => sorter.sort(&message),
                            None => break,
                        },
                        () = stop.cancelled() => break,
                    }
                }
                sorter.tally
            })
        };
        Ok(Self { task, stop })
    }

    /// Stops after a pause for the run's last acks, and prints the counts per article.
    pub async fn finish(self, articles: usize) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.stop.cancel();
        let Ok(tally) = self.task.await else {
            println!("  (the operation counter failed)");
            return;
        };
        let per = |n: u64| n as f64 / articles.max(1) as f64;
        println!("  every message through nats-server, per article (a subscriber to >):");
        for (kind, (count, bytes)) in &tally.counts {
            let mut line = format!(
                "    {kind:<58} {:>6.3}  {:>7.0} B",
                per(*count),
                *bytes as f64 / (*count).max(1) as f64
            );
            if let Some(pull) = kind.strip_prefix("pull request on ")
                && let Some(asked) = tally.asked.get(pull)
            {
                line.push_str(&format!(
                    ", {:.1} messages asked per request",
                    *asked as f64 / (*count).max(1) as f64
                ));
            }
            println!("{line}");
        }
    }
}

/// What a reply inbox was given for.
#[derive(Debug, Clone)]
enum Awaiting {
    /// A pull request of this consumer: deliveries and status messages.
    Pull(String),
    /// A publish to a stream or an API call: one reply.
    Reply(String),
}

#[derive(Default)]
struct Sorter {
    tally: Tally,
    inboxes: HashMap<String, Awaiting>,
}

#[derive(Deserialize)]
struct PullRequest {
    #[serde(default)]
    batch: u64,
}

impl Sorter {
    fn sort(&mut self, message: &async_nats::Message) {
        let subject = message.subject.as_str();
        let bytes = message.payload.len();
        let reply = message.reply.as_ref().map(|r| r.as_str());
        if let Some(rest) = subject.strip_prefix("$JS.API.") {
            if let Some(names) = rest.strip_prefix("CONSUMER.MSG.NEXT.") {
                let consumer = consumer_label(names.split('.').next(), names.split('.').nth(1));
                let asked = serde_json::from_slice::<PullRequest>(&message.payload)
                    .map_or(1, |r| r.batch.max(1));
                *self.tally.asked.entry(consumer.clone()).or_default() += asked;
                if let Some(reply) = reply {
                    self.inboxes
                        .insert(reply.to_string(), Awaiting::Pull(consumer.clone()));
                }
                self.tally
                    .count(format!("pull request on {consumer}"), bytes);
                return;
            }
            let call = format!("API {}", api_label(rest));
            if let Some(reply) = reply {
                self.inboxes
                    .insert(reply.to_string(), Awaiting::Reply(format!("{call} reply")));
            }
            self.tally.count(call, bytes);
            return;
        }
        if subject.starts_with("$JS.ACK.") {
            let kind = match message.payload.as_ref() {
                b"" | b"+ACK" => "ack",
                b"+WPI" => "in-progress ack",
                b"+TERM" => "term",
                payload if payload.starts_with(b"-NAK") => "nak",
                _ => "other ack",
            };
            self.tally
                .count(format!("{kind} on {}", ack_consumer(subject)), bytes);
            return;
        }
        if subject.starts_with("$JS.FC.") {
            self.tally.count("flow control".into(), bytes);
            return;
        }
        if let Some(awaiting) = self.inboxes.get(subject).cloned() {
            match awaiting {
                Awaiting::Pull(consumer) => {
                    let kind = match message.status {
                        Some(status) if status != async_nats::StatusCode::OK => {
                            format!("status {} to a pull on {consumer}", status.as_u16())
                        }
                        _ => format!("delivery from {consumer}"),
                    };
                    self.tally.count(kind, bytes);
                }
                Awaiting::Reply(what) => {
                    self.inboxes.remove(subject);
                    self.tally.count(what, bytes);
                }
            }
            return;
        }
        if let Some(reply) = reply {
            if reply.starts_with("$JS.ACK.") {
                // A delivery whose pull request this counter did not see.
                self.tally
                    .count(format!("delivery from {}", ack_consumer(reply)), bytes);
                return;
            }
            self.inboxes.insert(
                reply.to_string(),
                Awaiting::Reply(format!("reply to a publish to {subject}")),
            );
            self.tally.count(format!("publish to {subject}"), bytes);
            return;
        }
        if subject.starts_with("_INBOX.") {
            self.tally
                .count("message to an unknown inbox".into(), bytes);
        } else {
            self.tally
                .count(format!("publish to {subject} (no reply)"), bytes);
        }
    }
}

/// `DEDUP_FINGERPRINTS`' consumers are dedup's tails (ordered, named at
/// random); the others by their durable name.
fn consumer_label(stream: Option<&str>, consumer: Option<&str>) -> String {
    match (stream, consumer) {
        (Some(newsflow_core::subjects::STREAM_DEDUP_FINGERPRINTS), _) => {
            "the fingerprint tail".into()
        }
        (_, Some(consumer)) => consumer.to_string(),
        _ => "?".into(),
    }
}

/// The consumer of a `$JS.ACK` subject, old (9 tokens) or new (with domain
/// and account hash) form.
fn ack_consumer(subject: &str) -> String {
    let tokens: Vec<&str> = subject.split('.').collect();
    let (stream, consumer) = if tokens.len() == 9 {
        (tokens.get(2), tokens.get(3))
    } else {
        (tokens.get(4), tokens.get(5))
    };
    consumer_label(stream.copied(), consumer.copied())
}

/// An API subject without the names of consumers (random for ordered ones):
/// the verbs and the stream, which are upper case.
fn api_label(rest: &str) -> String {
    rest.split('.')
        .take_while(|token| {
            token
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c == '-')
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_subjects_of_both_forms_name_their_consumer() {
        assert_eq!(
            ack_consumer("$JS.ACK.NEWS_RAW.langid.1.10.10.1700000000000000000.0"),
            "langid"
        );
        assert_eq!(
            ack_consumer("$JS.ACK.hub.ACCHASH.NEWS_RAW.langid.1.10.10.1700000000000000000.0.rand"),
            "langid"
        );
        assert_eq!(
            ack_consumer("$JS.ACK.DEDUP_FINGERPRINTS.xYz12.1.10.10.1700000000000000000.0"),
            "the fingerprint tail"
        );
    }

    #[test]
    fn api_labels_keep_verbs_and_streams_and_drop_consumer_names() {
        assert_eq!(
            api_label("STREAM.MSG.GET.NEWS_RAW"),
            "STREAM.MSG.GET.NEWS_RAW"
        );
        assert_eq!(
            api_label("CONSUMER.INFO.NEWS_RAW.langid"),
            "CONSUMER.INFO.NEWS_RAW"
        );
        assert_eq!(api_label("DIRECT.GET.KV_x"), "DIRECT.GET");
    }
}
