//! The fingerprint log: the dedup state, shared through a JetStream stream.
//!
//! Every article appends its [`Fingerprint`] to the stream
//! `DEDUP_FINGERPRINTS`. Every replica tails the whole stream, from the start
//! of the window, into its own [`DupIndex`]; the index gives each fingerprint
//! its verdict from the fingerprints stored before it. So the stream's order
//! settles races between replicas (the later of two copies is the duplicate,
//! whoever processed it), and a restarted replica rebuilds the same verdicts
//! by reading the stream again.
//!
//! An article appends its fingerprint, waits until its own replica has
//! applied the stream up to it, and reads its verdict. A redelivered article
//! (its replica crashed before the downstream publish, or the publish failed)
//! appends a second record, which finds the first one's exact key and gets
//! its verdict: an article never becomes a copy of itself. Records carry no
//! `Nats-Msg-Id`, which would cost a header per record for this rare case.
//!
//! The tail is an ordered consumer; when it brings nothing while records
//! are awaited (its server was lost), it is made again, and meanwhile the
//! awaited records are read by sequence (see [`read_awaited_by_sequence`]).

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use newsflow_core::subjects;
use tokio::sync::watch;

use crate::index::{Applied, DupIndex, Lookup};
use crate::metrics;
use crate::sketch::{Fingerprint, Sketch};

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
    /// What the index holds that a text must be verified against, as far as
    /// this replica has applied the stream.
    fn lookup(&self, exact: u64, sketch: &Sketch) -> Lookup;

    /// Appends the fingerprint and returns the verdict the log gives it.
    fn decide(
        &self,
        fingerprint: Fingerprint,
    ) -> impl Future<Output = Result<Applied, LogError>> + Send;
}

/// Verdicts of the latest records kept for the appends waiting for them:
/// far more than are ever in flight.
const RECENT_VERDICTS: usize = 1 << 17;

/// The index and the verdicts of the latest records, by stream sequence.
struct Tail {
    index: DupIndex,
    recent: VecDeque<(u64, Applied)>,
}

impl Tail {
    fn apply(&mut self, sequence: u64, fingerprint: Fingerprint, at_ms: i64) {
        let applied = self.index.apply(fingerprint, sequence, at_ms);
        if self.recent.len() == RECENT_VERDICTS {
            self.recent.pop_front();
        }
        self.recent.push_back((sequence, applied));
    }

    fn verdict_of(&self, sequence: u64) -> Option<&Applied> {
        let at = self
            .recent
            .binary_search_by_key(&sequence, |(s, _)| *s)
            .ok()?;
        Some(&self.recent[at].1)
    }
}

/// The tail behind a lock, how far it has read the stream, and how far it
/// must read for the appends waiting on it.
struct Shared {
    tail: Mutex<Tail>,
    applied: watch::Sender<u64>,
    /// The highest sequence an append of this replica waits to read back:
    /// while the tail is below it, the stream holds records the tail has not
    /// delivered, so a silent subscription is a broken one.
    awaited: AtomicU64,
}

/// The log on a JetStream stream, tailed by a background task.
pub struct NatsLog {
    js: jetstream::Context,
    /// How long a failed append is retried in place before the input
    /// message is NAKed.
    append_retry: Duration,
    /// How long an article waits for its own fingerprint to come back
    /// through the stream before the attempt counts as failed.
    verdict_wait: Duration,
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for NatsLog {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl NatsLog {
    /// Sets how long a failed append is retried in place (the service
    /// passes `consumer.publish_retry_ms`).
    #[must_use]
    pub fn with_append_retry(mut self, append_retry: Duration) -> Self {
        self.append_retry = append_retry;
        self
    }

    /// Sets how long an article waits for its own fingerprint to come back
    /// through the stream (the service passes `dedup.verdict_wait_ms`).
    #[must_use]
    pub fn with_verdict_wait(mut self, verdict_wait: Duration) -> Self {
        self.verdict_wait = verdict_wait;
        self
    }

    /// Starts tailing the stream into `index` and returns once every
    /// fingerprint stored at start has been applied (the rebuild), so the
    /// first verdicts already see the whole window.
    ///
    /// # Errors
    /// When the stream cannot be read.
    pub async fn start(js: jetstream::Context, index: DupIndex) -> Result<Self, LogError> {
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
            tail: Mutex::new(Tail {
                index,
                recent: VecDeque::new(),
            }),
            applied,
            awaited: AtomicU64::new(0),
        });
        let tailer = tokio::spawn(tail(js.clone(), shared.clone()));
        let reader = tokio::spawn(read_awaited_by_sequence(stream.clone(), shared.clone()));
        let started = Instant::now();
        let _ = watcher.wait_for(|&applied| applied >= last).await;
        let (near, exact) = {
            let tail = shared.tail.lock().expect("lock is never poisoned");
            (tail.index.members(), tail.index.exact_keys())
        };
        metrics::rebuild(started.elapsed().as_secs_f64());
        tracing::info!(
            fingerprints = last,
            near,
            exact,
            seconds = started.elapsed().as_secs_f64(),
            "duplicate index rebuilt from the fingerprint stream"
        );
        let tasks = vec![tailer, reader, tokio::spawn(report_stream_size(stream))];
        Ok(Self {
            js,
            append_retry: APPEND_RETRY,
            verdict_wait: VERDICT_WAIT,
            shared,
            tasks,
        })
    }

    async fn wait_applied(&self, sequence: u64, wait: Duration) -> bool {
        let mut watcher = self.shared.applied.subscribe();
        tokio::time::timeout(wait, watcher.wait_for(|&applied| applied >= sequence))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// How long a failed append is retried in place before the input message is
/// NAKed, unless set (the loop's `consumer.publish_retry_ms` default).
const APPEND_RETRY: Duration = Duration::from_secs(30);

/// How long an article waits for its own fingerprint to come back through the
/// stream before the attempt counts as failed (and is retried), unless set
/// (the `dedup.verdict_wait_ms` default).
const VERDICT_WAIT: Duration = Duration::from_secs(30);

impl VerdictLog for NatsLog {
    fn lookup(&self, exact: u64, sketch: &Sketch) -> Lookup {
        self.shared
            .tail
            .lock()
            .expect("lock is never poisoned")
            .index
            .lookup(exact, sketch)
    }

    async fn decide(&self, fingerprint: Fingerprint) -> Result<Applied, LogError> {
        let source_seq = fingerprint.source_seq;
        let err = |operation, message: String| LogError {
            operation,
            source_seq,
            message,
        };
        // A failed append (no responders, the stream electing its leader
        // after a node loss) is retried in place: the input message stays in
        // progress and a cluster hiccup costs it no delivery. An append
        // stored twice is harmless: the log keeps the first verdict of an
        // article (a redelivery appends again too).
        let encoded: bytes::Bytes = fingerprint.encode().into();
        let ack = newsflow_core::runtime::retry_with_backoff(
            self.append_retry,
            || async {
                let started = Instant::now();
                let ack = match self
                    .js
                    .publish(subjects::DEDUP_FINGERPRINTS, encoded.clone())
                    .await
                {
                    Ok(ack) => ack.await,
                    Err(e) => Err(e),
                };
                metrics::log_observe("append", started, ack.is_ok());
                ack
            },
            // A refusal of the record fails the same way on every try.
            |e, _| {
                let transient = newsflow_core::runtime::publish_error_is_transient(e);
                if transient {
                    metrics::event("append_retried");
                }
                transient
            },
        )
        .await
        .map_err(|e| err("append", e.to_string()))?;

        self.shared
            .awaited
            .fetch_max(ack.sequence, Ordering::Relaxed);
        let started = Instant::now();
        let caught_up = self.wait_applied(ack.sequence, self.verdict_wait).await;
        metrics::log_observe("wait", started, caught_up);
        if !caught_up {
            return Err(err(
                "wait",
                format!(
                    "fingerprint {} not read back within {:?}",
                    ack.sequence, self.verdict_wait
                ),
            ));
        }
        let applied = self
            .shared
            .tail
            .lock()
            .expect("lock is never poisoned")
            .verdict_of(ack.sequence)
            .cloned();
        applied.ok_or_else(|| {
            err(
                "verdict",
                format!(
                    "fingerprint {} was read but its verdict is no longer kept",
                    ack.sequence
                ),
            )
        })
    }
}

/// How often the size of the fingerprint stream is read into the metrics.
const STREAM_SIZE_PERIOD: Duration = Duration::from_secs(15);

/// Reports the size of the shared state (the fingerprint stream), for ever.
async fn report_stream_size(mut stream: jetstream::stream::Stream) {
    loop {
        match stream.info().await {
            Ok(info) => metrics::stream_size(info.state.messages, info.state.bytes),
            Err(error) => tracing::debug!(%error, "cannot read the fingerprint stream's size"),
        }
        tokio::time::sleep(STREAM_SIZE_PERIOD).await;
    }
}

/// How often the tail checks that its subscription still delivers.
const TAIL_CHECK: Duration = Duration::from_secs(1);

/// Checks in a row that find the tail below an awaited record with nothing
/// delivered, after which the subscription counts as broken. The ordered
/// consumer behind it is a single replica in memory on one server: when
/// that server is lost, its client notices only after two missed idle
/// heartbeats (30 s and more, and then it recreates it under a name of its
/// own, which a secured dedup user may not create), while every article
/// waits for its own record. A new subscription from the last applied
/// record is made within seconds instead.
const TAIL_SILENT_CHECKS: u32 = 3;

/// Applies the stream to the index in order, for ever, resuming after the
/// last applied fingerprint when the subscription breaks or falls silent
/// while records it has not delivered are awaited.
async fn tail(js: jetstream::Context, shared: Arc<Shared>) {
    let mut failures: u32 = 0;
    loop {
        if failures > 0 {
            tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(failures.min(5)))).await;
        }
        let next = *shared.applied.borrow() + 1;
        let subscription = async {
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
            let name = consumer.cached_info().name.clone();
            let messages = consumer.messages().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((stream, name, messages))
        }
        .await;
        let (stream, name, mut messages) = match subscription {
            Ok(subscription) => subscription,
            Err(error) => {
                failures += 1;
                metrics::log_error("tail");
                tracing::warn!(%error, "cannot subscribe to the fingerprint stream; will retry");
                continue;
            }
        };
        let mut silent_checks = 0;
        loop {
            let message = match tokio::time::timeout(TAIL_CHECK, messages.next()).await {
                Err(_) => {
                    let applied = *shared.applied.borrow();
                    if shared.awaited.load(Ordering::Relaxed) <= applied {
                        silent_checks = 0;
                        continue;
                    }
                    silent_checks += 1;
                    if silent_checks < TAIL_SILENT_CHECKS {
                        continue;
                    }
                    metrics::event("tail_resubscribed");
                    tracing::warn!(
                        consumer = %name,
                        applied,
                        "the fingerprint stream's subscription delivers nothing while records are awaited; resubscribing"
                    );
                    break;
                }
                Ok(None) => break,
                Ok(Some(Err(error))) => {
                    metrics::log_error("tail");
                    tracing::warn!(%error, "reading the fingerprint stream failed; resubscribing");
                    break;
                }
                Ok(Some(Ok(message))) => message,
            };
            silent_checks = 0;
            failures = 0;
            let Ok(info) = message.info() else {
                continue;
            };
            // An ordered consumer that recreates itself before delivering
            // anything starts again from the stream's first record, and
            // records read by sequence meanwhile come again: both skipped.
            apply_record(
                &shared,
                info.stream_sequence,
                &message.payload,
                info.published.timestamp_millis(),
            );
        }
        // The old consumer may live on, on a server that is still up:
        // removed rather than left to its inactivity limit.
        drop(messages);
        tokio::spawn(async move {
            let _ =
                tokio::time::timeout(Duration::from_secs(5), stream.delete_consumer(&name)).await;
        });
        failures += 1;
    }
}

/// Applies the record stored at `sequence` unless it is applied already
/// (the subscription and the reads by sequence may both bring it), and
/// moves the applied mark: under the lock, so the mark only grows.
fn apply_record(shared: &Shared, sequence: u64, payload: &[u8], at_ms: i64) -> bool {
    let mut tail = shared.tail.lock().expect("lock is never poisoned");
    if sequence <= *shared.applied.borrow() {
        return false;
    }
    match Fingerprint::decode(payload) {
        Ok(fingerprint) => {
            tail.apply(sequence, fingerprint, at_ms);
            metrics::index_size(tail.index.members(), tail.index.exact_keys());
        }
        Err(error) => {
            tracing::warn!(sequence, %error, "skipping unreadable fingerprint record");
        }
    }
    shared.applied.send_replace(sequence);
    true
}

/// Reads awaited records by sequence when the subscription brings none:
/// checks every [`TAIL_CHECK`], and after [`TAIL_SILENT_CHECKS`] in a row
/// with the tail below an awaited record and not moving, gets the records
/// after the last applied one from the stream's leader, one by one, up to
/// the highest awaited. After a node loss the subscription has to be made
/// again, and making a consumer needs the cluster's meta leader: on
/// nats-server 2.9 under load that took over 40 s in the cluster test,
/// while every waiting article's verdict wait (30 s) ran out. The stream's
/// leader, which the appends need anyway, is back within seconds.
async fn read_awaited_by_sequence(stream: jetstream::stream::Stream, shared: Arc<Shared>) {
    let mut stalled_checks = 0;
    let mut last_seen = 0;
    loop {
        tokio::time::sleep(TAIL_CHECK).await;
        let applied = *shared.applied.borrow();
        let awaited = shared.awaited.load(Ordering::Relaxed);
        if awaited <= applied || applied != last_seen {
            stalled_checks = 0;
            last_seen = applied;
            continue;
        }
        stalled_checks += 1;
        if stalled_checks < TAIL_SILENT_CHECKS {
            continue;
        }
        let mut read = 0u64;
        let mut next = applied + 1;
        while next <= shared.awaited.load(Ordering::Relaxed) {
            match stream.get_raw_message(next).await {
                Ok(message) => {
                    if apply_record(
                        &shared,
                        message.sequence,
                        &message.payload,
                        message.time.timestamp_millis(),
                    ) {
                        read += 1;
                    }
                    next = (*shared.applied.borrow()).max(next) + 1;
                }
                // Not there (yet): the leader may still be applying what
                // it has; tried again at the next check, never skipped.
                Err(error) => {
                    metrics::log_error("read_by_sequence");
                    tracing::debug!(sequence = next, %error, "cannot read a fingerprint record by sequence");
                    break;
                }
            }
        }
        if read > 0 {
            metrics::events_by(read, "tail_read_by_sequence");
            tracing::warn!(
                read,
                applied = *shared.applied.borrow(),
                "the fingerprint stream's subscription brought no awaited record; read them by sequence"
            );
        }
    }
}

/// The log in memory, for tests of the stage and the offline evaluation:
/// fingerprints are applied at once, numbered 1, 2, ...
pub struct MemoryLog {
    index: Mutex<(DupIndex, u64)>,
}

impl MemoryLog {
    pub fn new(index: DupIndex) -> Self {
        Self {
            index: Mutex::new((index, 0)),
        }
    }
}

impl VerdictLog for MemoryLog {
    fn lookup(&self, exact: u64, sketch: &Sketch) -> Lookup {
        self.index
            .lock()
            .expect("lock is never poisoned")
            .0
            .lookup(exact, sketch)
    }

    async fn decide(&self, fingerprint: Fingerprint) -> Result<Applied, LogError> {
        let mut guard = self.index.lock().expect("lock is never poisoned");
        let (index, last) = &mut *guard;
        *last += 1;
        Ok(index.apply(fingerprint, *last, 0))
    }
}
