//! The fingerprint log: near-duplicate state shared through a JetStream stream.
//!
//! Every article that is not an exact copy appends its [`Fingerprint`] to the
//! stream `DEDUP_FINGERPRINTS`. Every replica tails the whole stream, from
//! the start of the window, into its own [`NearIndex`]; the index gives each
//! fingerprint its verdict from the fingerprints stored before it. So the
//! stream's order settles races between replicas (the later of two near-copies
//! is the duplicate, whoever processed it), and a restarted replica rebuilds
//! the same verdicts by reading the stream again.
//!
//! An article appends its fingerprint, waits until its own replica has
//! applied the stream up to it, and reads its verdict. A redelivered article
//! appends again with the same `Nats-Msg-Id` (the stream keeps one copy) or,
//! after the duplicate window, a second copy that the index answers with the
//! first one's verdict: an article never becomes a copy of itself.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use newsflow_core::subjects;
use tokio::sync::watch;

use crate::index::{NearIndex, NearVerdict};
use crate::metrics;
use crate::sketch::Fingerprint;

/// Errors of the fingerprint log; always transient (the message is retried).
#[derive(Debug, thiserror::Error)]
#[error("fingerprint log {operation} for input message {source_seq} failed: {message}")]
pub struct LogError {
    pub operation: &'static str,
    pub source_seq: u64,
    pub message: String,
}

/// Where fingerprints are appended and verdicts read.
pub trait VerdictLog: Send + Sync + 'static {
    /// Appends the fingerprint and returns the verdict the log gives it.
    fn decide(
        &self,
        fingerprint: Fingerprint,
    ) -> impl Future<Output = Result<NearVerdict, LogError>> + Send;

    /// The verdict of the input message `source_seq`, waiting up to `wait`
    /// for its fingerprint to arrive; `None` when it does not.
    fn verdict_of(
        &self,
        source_seq: u64,
        wait: Duration,
    ) -> impl Future<Output = Option<NearVerdict>> + Send;
}

/// The index behind a lock, and how far it has read the stream.
struct Shared {
    index: Mutex<NearIndex>,
    applied: watch::Sender<u64>,
}

impl Shared {
    fn verdict(&self, source_seq: u64) -> Option<NearVerdict> {
        self.index
            .lock()
            .expect("lock is never poisoned")
            .verdict(source_seq)
            .cloned()
    }
}

/// The log on a JetStream stream, tailed by a background task.
pub struct NatsLog {
    js: jetstream::Context,
    shared: Arc<Shared>,
    tailer: tokio::task::JoinHandle<()>,
}

impl Drop for NatsLog {
    fn drop(&mut self) {
        self.tailer.abort();
    }
}

impl NatsLog {
    /// Starts tailing the stream into `index` and returns once every
    /// fingerprint stored at start has been applied (the rebuild), so the
    /// first verdicts already see the whole window.
    ///
    /// # Errors
    /// When the stream cannot be read.
    pub async fn start(js: jetstream::Context, index: NearIndex) -> Result<Self, LogError> {
        let err = |message: String| LogError {
            operation: "start",
            source_seq: 0,
            message,
        };
        let mut stream = js
            .get_stream(subjects::STREAM_DEDUP_FINGERPRINTS)
            .await
            .map_err(|e| err(e.to_string()))?;
        let info = stream.info().await.map_err(|e| err(e.to_string()))?;
        let state = &info.state;
        // An emptied stream (every record expired) keeps its last sequence.
        let last = if state.messages == 0 {
            0
        } else {
            state.last_sequence
        };
        let (applied, mut watcher) = watch::channel(0);
        let shared = Arc::new(Shared {
            index: Mutex::new(index),
            applied,
        });
        let tailer = tokio::spawn(tail(js.clone(), shared.clone()));
        let started = Instant::now();
        let _ = watcher.wait_for(|&applied| applied >= last).await;
        let (members, verdicts) = {
            let index = shared.index.lock().expect("lock is never poisoned");
            (index.members(), index.verdicts())
        };
        metrics::rebuild(started.elapsed().as_secs_f64());
        tracing::info!(
            fingerprints = last,
            members,
            verdicts,
            seconds = started.elapsed().as_secs_f64(),
            "near-duplicate index rebuilt from the fingerprint stream"
        );
        Ok(Self { js, shared, tailer })
    }

    async fn wait_applied(&self, sequence: u64, wait: Duration) -> bool {
        let mut watcher = self.shared.applied.subscribe();
        tokio::time::timeout(wait, watcher.wait_for(|&applied| applied >= sequence))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// How long an article waits for its own fingerprint to come back through the
/// stream before the attempt counts as failed (and is retried).
const OWN_VERDICT_WAIT: Duration = Duration::from_secs(10);

impl VerdictLog for NatsLog {
    async fn decide(&self, fingerprint: Fingerprint) -> Result<NearVerdict, LogError> {
        let source_seq = fingerprint.source_seq;
        let err = |operation, message: String| LogError {
            operation,
            source_seq,
            message,
        };
        let started = Instant::now();
        let publish = jetstream::message::PublishMessage::build()
            .payload(fingerprint.encode().into())
            .message_id(format!("{}@{}", fingerprint.id, source_seq));
        let ack = match self
            .js
            .send_publish(subjects::DEDUP_FINGERPRINTS, publish)
            .await
        {
            Ok(ack) => ack.await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        metrics::log_observe("append", started, ack.is_ok());
        let ack = ack.map_err(|e| err("append", e))?;

        let started = Instant::now();
        let caught_up = self.wait_applied(ack.sequence, OWN_VERDICT_WAIT).await;
        metrics::log_observe("wait", started, caught_up);
        if !caught_up {
            return Err(err(
                "wait",
                format!(
                    "fingerprint {} not read back within {OWN_VERDICT_WAIT:?}",
                    ack.sequence
                ),
            ));
        }
        self.shared.verdict(source_seq).ok_or_else(|| {
            err(
                "verdict",
                format!("fingerprint {} was read but has no verdict", ack.sequence),
            )
        })
    }

    async fn verdict_of(&self, source_seq: u64, wait: Duration) -> Option<NearVerdict> {
        let deadline = Instant::now() + wait;
        let mut watcher = self.shared.applied.subscribe();
        loop {
            if let Some(verdict) = self.shared.verdict(source_seq) {
                return Some(verdict);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            // Wake on each newly applied fingerprint.
            if tokio::time::timeout(left, watcher.changed()).await.is_err() {
                return self.shared.verdict(source_seq);
            }
        }
    }
}

/// Applies the stream to the index in order, for ever, resuming after the
/// last applied fingerprint when the subscription breaks.
async fn tail(js: jetstream::Context, shared: Arc<Shared>) {
    let mut failures: u32 = 0;
    loop {
        if failures > 0 {
            tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(failures.min(5)))).await;
        }
        let next = *shared.applied.borrow() + 1;
        let messages = async {
            let stream = js
                .get_stream(subjects::STREAM_DEDUP_FINGERPRINTS)
                .await
                .map_err(|e| e.to_string())?;
            let consumer = stream
                .create_consumer(consumer::pull::OrderedConfig {
                    filter_subject: subjects::DEDUP_FINGERPRINTS.to_string(),
                    deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                        start_sequence: next,
                    },
                    ..Default::default()
                })
                .await
                .map_err(|e| e.to_string())?;
            consumer.messages().await.map_err(|e| e.to_string())
        }
        .await;
        let mut messages = match messages {
            Ok(messages) => messages,
            Err(error) => {
                failures += 1;
                metrics::log_error("tail");
                tracing::warn!(%error, "cannot subscribe to the fingerprint stream; will retry");
                continue;
            }
        };
        while let Some(message) = messages.next().await {
            let message = match message {
                Ok(message) => message,
                Err(error) => {
                    metrics::log_error("tail");
                    tracing::warn!(%error, "reading the fingerprint stream failed; resubscribing");
                    break;
                }
            };
            failures = 0;
            let Ok(info) = message.info() else {
                continue;
            };
            let (sequence, at_ms) = (info.stream_sequence, info.published.timestamp_millis());
            match Fingerprint::decode(&message.payload) {
                Ok(fingerprint) => {
                    let (members, verdicts) = {
                        let mut index = shared.index.lock().expect("lock is never poisoned");
                        index.apply(fingerprint, at_ms);
                        (index.members(), index.verdicts())
                    };
                    metrics::index_size(members, verdicts);
                }
                Err(error) => {
                    tracing::warn!(sequence, %error, "skipping unreadable fingerprint record");
                }
            }
            shared.applied.send_replace(sequence);
        }
        failures += 1;
    }
}

/// The log in memory, for tests of the stage: fingerprints are applied at once.
pub struct MemoryLog {
    index: Mutex<NearIndex>,
}

impl MemoryLog {
    pub fn new(index: NearIndex) -> Self {
        Self {
            index: Mutex::new(index),
        }
    }
}

impl VerdictLog for MemoryLog {
    async fn decide(&self, fingerprint: Fingerprint) -> Result<NearVerdict, LogError> {
        Ok(self
            .index
            .lock()
            .expect("lock is never poisoned")
            .apply(fingerprint, 0))
    }

    async fn verdict_of(&self, source_seq: u64, _wait: Duration) -> Option<NearVerdict> {
        self.index
            .lock()
            .expect("lock is never poisoned")
            .verdict(source_seq)
            .cloned()
    }
}
