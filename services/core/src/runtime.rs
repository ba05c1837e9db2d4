//! The one consume → process → publish → ack loop every stage runs.
//!
//! A stage implements [`Processor`]: bytes in, messages to publish out, or an
//! error saying whether retrying could help. This module owns the delivery rules:
//!
//! * the input is acked only after every output's publish is acknowledged by
//!   JetStream, so a crash at any point leaves the input to be redelivered;
//! * every output carries a deterministic `Nats-Msg-Id`, so a redelivered input
//!   republishes the same ids and the stream's duplicate window drops them;
//! * a permanent error ([`StageError::Rejected`]) sends the original payload to
//!   `news.dlq` with the stage and reason in headers, then acks;
//! * a transient error NAKs with a delay that doubles per delivery, and on the
//!   last allowed delivery (`max_deliver`) dead-letters instead;
//! * the server never gives up on a message by itself (its `max_deliver` is
//!   unlimited): a server-side limit would silently strand messages that were
//!   redelivered for other reasons (crashes, shutdowns). A message delivered
//!   far more often than `max_deliver` without finishing is dead-lettered;
//! * at most `concurrency` messages are in flight per replica and at most
//!   `max_ack_pending` across replicas (the consumer's back-pressure);
//! * on shutdown it stops pulling, NAKs what was pulled but not started,
//!   finishes in-flight messages within the grace period, and returns.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::{self, AckKind, consumer::pull::MessagesErrorKind};
use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use prometheus::{Histogram, IntCounter, IntGauge};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, debug, debug_span, error, info, warn};

use crate::config::ConsumerSettings;
use crate::intake::{Rejection, reject_code};
use crate::metrics::pipeline;
use crate::subjects;
use crate::topology::{self, ConsumerSpec};

/// A message handed to a stage's transform.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub payload: &'a [u8],
    pub subject: &'a str,
    /// Sequence of the message in its stream.
    pub stream_sequence: u64,
    /// Delivery attempt, from 1.
    pub delivered: i64,
    /// When the message was stored in its stream.
    pub stored_at: chrono::DateTime<chrono::Utc>,
}

/// A message a stage wants published.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub subject: &'static str,
    /// Short name of the output, the `output` label of the published metric.
    pub output: &'static str,
    /// Deterministic id, so a redelivered input cannot duplicate this output.
    pub message_id: String,
    pub payload: Bytes,
}

/// Work a stage wants done only once its outputs are stored, such as
/// recording state that must not exist unless the output does.
pub type Commit = futures::future::BoxFuture<'static, Result<(), StageError>>;

/// What a stage's transform produced for one message.
pub struct Processed {
    /// Messages to publish; the input is acked once all are acknowledged.
    pub messages: Vec<Outgoing>,
    /// Runs after every publish is acknowledged and before the ack; if it
    /// fails, the input is retried (so it must be idempotent).
    pub commit: Option<Commit>,
}

impl From<Vec<Outgoing>> for Processed {
    fn from(messages: Vec<Outgoing>) -> Self {
        Self {
            messages,
            commit: None,
        }
    }
}

/// Why a stage could not process a message.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The message can never be processed: dead-letter it.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// Something outside the message failed (NATS, KV): retry later.
    #[error("{kind}: {message}")]
    Transient {
        /// Bounded error type, the `error_type` metric label.
        kind: &'static str,
        message: String,
    },
}

impl StageError {
    pub fn transient(kind: &'static str, message: impl Into<String>) -> Self {
        Self::Transient {
            kind,
            message: message.into(),
        }
    }
}

/// A stage's transform, run by [`run_stage`].
pub trait Processor: Send + Sync + 'static {
    /// Stage name: metric label, log field, `Newsflow-Stage` header.
    fn stage(&self) -> &'static str;

    /// Registers the stage's own metrics, so their series exist before the
    /// first message (called once at start).
    fn init_metrics(&self) {}

    /// Turns one input message into the messages to publish.
    fn process(
        &self,
        input: Incoming<'_>,
    ) -> impl Future<Output = Result<Processed, StageError>> + Send;
}

/// Errors that stop a stage.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Topology(#[from] topology::TopologyError),
}

/// Transient error types of the loop itself (stages add their own, e.g. `fingerprints`).
const ERROR_TYPES: &[&str] = &["publish", "publish_ack", "dead_letter_publish"];

/// Kinds of pull-consumer errors.
const CONSUMER_ERROR_KINDS: &[&str] = &[
    "create",
    "subscribe",
    "missing_heartbeat",
    "consumer_deleted",
    "pull",
    "push_based_consumer",
    "no_responders",
    "request_limit_exceeded",
    "other",
    "stream_ended",
];

/// Metric handles of one stage, resolved once.
struct StageMetrics {
    received: IntCounter,
    ok: IntCounter,
    dead_lettered_outcome: IntCounter,
    retried_outcome: IntCounter,
    publish_duplicates: IntCounter,
    processing: Histogram,
    handling: Histogram,
    age: Histogram,
    in_flight: IntGauge,
    pending: IntGauge,
}

impl StageMetrics {
    fn new(stage: &str) -> Self {
        let m = pipeline();
        // Every label value a stage can emit starts at zero, so rates and
        // alerts see a series before the first event of its kind.
        for code in reject_code::ALL {
            m.dead_lettered.with_label_values(&[stage, code]);
        }
        for error_type in ERROR_TYPES {
            m.retried.with_label_values(&[stage, error_type]);
        }
        for kind in CONSUMER_ERROR_KINDS {
            m.consumer_errors.with_label_values(&[stage, kind]);
        }
        m.published.with_label_values(&[stage, "dlq"]);
        Self {
            received: m.received.with_label_values(&[stage]),
            ok: m.processed.with_label_values(&[stage, "ok"]),
            dead_lettered_outcome: m.processed.with_label_values(&[stage, "dead_lettered"]),
            retried_outcome: m.processed.with_label_values(&[stage, "retried"]),
            publish_duplicates: m.publish_duplicates.with_label_values(&[stage]),
            processing: m.processing_seconds.with_label_values(&[stage]),
            handling: m.handling_seconds.with_label_values(&[stage]),
            age: m.message_age_seconds.with_label_values(&[stage]),
            in_flight: m.in_flight.with_label_values(&[stage]),
            pending: m.consumer_pending.with_label_values(&[stage]),
        }
    }
}

struct Shared<P> {
    processor: P,
    js: jetstream::Context,
    settings: ConsumerSettings,
    metrics: StageMetrics,
}

/// Runs a stage until `shutdown` fires: ensures its durable consumer, then
/// consumes, processes, publishes and acks.
///
/// # Errors
/// Only when the consumer cannot be created after NATS answered (a
/// configuration conflict); connection problems are retried.
pub async fn run_stage<P: Processor>(
    js: jetstream::Context,
    spec: &ConsumerSpec,
    settings: ConsumerSettings,
    processor: P,
    shutdown: CancellationToken,
) -> Result<(), RuntimeError> {
    let stage = processor.stage();
    processor.init_metrics();
    let shared = Arc::new(Shared {
        metrics: StageMetrics::new(stage),
        processor,
        js,
        settings,
    });
    let permits = Arc::new(Semaphore::new(shared.settings.concurrency.get()));
    let tracker = TaskTracker::new();
    let mut attempt: u32 = 0;

    'consume: while !shutdown.is_cancelled() {
        if attempt > 0 {
            let delay = Duration::from_millis(250 * 2u64.pow(attempt.min(6)));
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break 'consume,
                () = tokio::time::sleep(delay) => {}
            }
        }
        attempt += 1;
        let consumer = match topology::ensure_consumer(&shared.js, spec, &shared.settings).await {
            Ok(consumer) => consumer,
            Err(err) => {
                consumer_error(stage, "create", &err);
                continue;
            }
        };
        let messages = consumer
            .stream()
            .max_messages_per_batch(shared.settings.batch.get())
            .expires(Duration::from_secs(30))
            .heartbeat(Duration::from_secs(5))
            .messages()
            .await;
        let mut messages = match messages {
            Ok(messages) => messages,
            Err(err) => {
                consumer_error(stage, "subscribe", &err);
                continue;
            }
        };
        info!(
            stage,
            consumer = spec.durable,
            stream = spec.stream,
            "consuming"
        );
        let mut errors_in_a_row = 0;
        loop {
            let permit = tokio::select! {
                biased;
                () = shutdown.cancelled() => {
                    release_buffered(stage, &mut messages).await;
                    break 'consume;
                }
                permit = permits.clone().acquire_owned() => permit.expect("semaphore is never closed"),
            };
            let item = tokio::select! {
                biased;
                () = shutdown.cancelled() => {
                    release_buffered(stage, &mut messages).await;
                    break 'consume;
                }
                item = messages.next() => item,
            };
            match item {
                Some(Ok(message)) => {
                    attempt = 0;
                    errors_in_a_row = 0;
                    let shared = shared.clone();
                    shared.metrics.in_flight.inc();
                    tracker.spawn(async move {
                        handle(&shared, message).await;
                        shared.metrics.in_flight.dec();
                        drop(permit);
                    });
                }
                Some(Err(err)) => {
                    let kind = match err.kind() {
                        MessagesErrorKind::MissingHeartbeat => "missing_heartbeat",
                        MessagesErrorKind::ConsumerDeleted => "consumer_deleted",
                        MessagesErrorKind::Pull => "pull",
                        MessagesErrorKind::PushBasedConsumer => "push_based_consumer",
                        MessagesErrorKind::NoResponders => "no_responders",
                        MessagesErrorKind::RequestLimitExceeded => "request_limit_exceeded",
                        _ => "other",
                    };
                    consumer_error(stage, kind, &err);
                    errors_in_a_row += 1;
                    let terminal = matches!(
                        err.kind(),
                        MessagesErrorKind::ConsumerDeleted
                            | MessagesErrorKind::PushBasedConsumer
                            | MessagesErrorKind::RequestLimitExceeded
                    );
                    if terminal || errors_in_a_row >= 5 {
                        continue 'consume;
                    }
                }
                None => {
                    consumer_error(stage, "stream_ended", &"message stream ended");
                    continue 'consume;
                }
            }
        }
    }

    tracker.close();
    let in_flight = tracker.len();
    info!(
        stage,
        in_flight, "stopped pulling; finishing in-flight messages"
    );
    let grace = shared.settings.shutdown_grace();
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        warn!(
            stage,
            in_flight = tracker.len(),
            grace_secs = grace.as_secs(),
            "grace period over; unfinished messages will be redelivered after ack_wait"
        );
    } else {
        info!(stage, "in-flight messages finished");
    }
    Ok(())
}

fn consumer_error(stage: &'static str, kind: &'static str, err: &dyn std::fmt::Display) {
    pipeline()
        .consumer_errors
        .with_label_values(&[stage, kind])
        .inc();
    warn!(stage, kind, error = %err, "consumer error; will retry");
}

/// Hands messages already pulled but not started back to the server, each
/// once, with a delay longer than this loop, so they go to another replica (or
/// the restarted one) at once instead of after `ack_wait`.
async fn release_buffered(stage: &'static str, messages: &mut jetstream::consumer::pull::Stream) {
    const WINDOW: Duration = Duration::from_millis(500);
    let deadline = Instant::now() + WINDOW;
    let mut released = std::collections::HashSet::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match tokio::time::timeout(left.min(Duration::from_millis(50)), messages.next()).await {
            Ok(Some(Ok(message))) => {
                let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
                if released.insert(sequence) {
                    let _ = message.ack_with(AckKind::Nak(Some(WINDOW * 2))).await;
                }
            }
            _ => break,
        }
    }
    if !released.is_empty() {
        info!(
            stage,
            released = released.len(),
            "released buffered messages for redelivery"
        );
    }
}

/// What became of one message.
enum Disposition {
    Ack,
    Nak(Duration),
}

async fn handle<P: Processor>(shared: &Shared<P>, message: jetstream::Message) {
    let stage = shared.processor.stage();
    let info = match message.info() {
        Ok(info) => (
            info.stream_sequence,
            info.delivered,
            info.pending,
            info.published,
        ),
        Err(err) => {
            error!(stage, subject = %message.subject, error = %err, "message without JetStream metadata; terminating it");
            let _ = message.ack_with(AckKind::Term).await;
            return;
        }
    };
    let (stream_sequence, delivered, pending, stored_at) = info;
    // A debug span: at the default level, creating and formatting a span per
    // message would cost more than some transforms; the logs below carry
    // the message's coordinates themselves.
    let span =
        debug_span!("message", stage, subject = %message.subject, stream_sequence, delivered);
    async {
        let started = Instant::now();
        let metrics = &shared.metrics;
        metrics.received.inc();
        metrics.pending.set(i64::try_from(pending).unwrap_or(i64::MAX));
        let age = chrono::Utc::now() - stored_at;
        metrics.age.observe(age.num_microseconds().unwrap_or(0).max(0) as f64 / 1e6);

        if delivered > shared.settings.abandon_after_deliveries() {
            // Delivered this often without ever finishing: the stage probably
            // crashes on it. Park it in the dead-letter stream instead of looping.
            let rejection = Rejection::new(
                reject_code::MAX_DELIVERIES,
                format!("delivered {delivered} times without finishing; the {stage} stage may be crashing on it"),
            );
            let disposition = dead_letter(shared, &message, stream_sequence, delivered, &rejection).await;
            settle(&message, disposition).await;
            metrics.handling.observe(started.elapsed().as_secs_f64());
            return;
        }

        let incoming = Incoming {
            payload: &message.payload,
            subject: message.subject.as_str(),
            stream_sequence,
            delivered,
            stored_at,
        };
        let result = AssertUnwindSafe(shared.processor.process(incoming))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                Err(Rejection::new(reject_code::PANIC, format!("{stage} stage panicked: {what}")).into())
            });
        metrics.processing.observe(started.elapsed().as_secs_f64());

        let result = match result {
            Ok(processed) => match publish_all(shared, processed.messages).await {
                Ok(()) => match processed.commit {
                    Some(commit) => commit.await,
                    None => Ok(()),
                },
                Err(err) => Err(err),
            },
            Err(err) => Err(err),
        };
        let disposition = match result {
            Ok(()) => {
                metrics.ok.inc();
                Disposition::Ack
            }
            Err(StageError::Rejected(rejection)) => {
                dead_letter(shared, &message, stream_sequence, delivered, &rejection).await
            }
            Err(StageError::Transient { kind, message: reason }) => {
                pipeline().retried.with_label_values(&[stage, kind]).inc();
                if delivered >= shared.settings.max_deliver {
                    let rejection = Rejection::new(
                        reject_code::MAX_DELIVERIES,
                        format!("gave up after {delivered} deliveries; last error: {kind}: {reason}"),
                    );
                    dead_letter(shared, &message, stream_sequence, delivered, &rejection).await
                } else {
                    let delay = shared.settings.retry_delay(delivered);
                    warn!(stage, stream_sequence, delivered, error_type = kind, error = %reason, retry_in_ms = delay.as_millis() as u64, "transient failure; will retry");
                    metrics.retried_outcome.inc();
                    Disposition::Nak(delay)
                }
            }
        };
        settle(&message, disposition).await;
        metrics.handling.observe(started.elapsed().as_secs_f64());
    }
    .instrument(span)
    .await;
}

/// Acks or NAKs the message.
async fn settle(message: &jetstream::Message, disposition: Disposition) {
    let ack = match disposition {
        Disposition::Ack => message.ack().await,
        Disposition::Nak(delay) => message.ack_with(AckKind::Nak(Some(delay))).await,
    };
    if let Err(err) = ack {
        // The message comes back after ack_wait; its outputs are deduplicated by id.
        warn!(error = %err, "ack failed; message will be redelivered");
    }
}

/// Publishes every output and waits for all JetStream acknowledgements.
async fn publish_all<P: Processor>(
    shared: &Shared<P>,
    outputs: Vec<Outgoing>,
) -> Result<(), StageError> {
    let stage = shared.processor.stage();
    let mut acks = Vec::with_capacity(outputs.len());
    for output in outputs {
        let publish = jetstream::message::PublishMessage::build()
            .payload(output.payload)
            .message_id(&output.message_id);
        let ack = shared
            .js
            .send_publish(output.subject, publish)
            .await
            .map_err(|err| {
                StageError::transient(
                    "publish",
                    format!("publish to {} failed: {err}", output.subject),
                )
            })?;
        acks.push((output.subject, output.output, ack));
    }
    for (subject, output, ack) in acks {
        let ack = ack.await.map_err(|err| {
            StageError::transient(
                "publish_ack",
                format!("no acknowledgement for publish to {subject}: {err}"),
            )
        })?;
        pipeline()
            .published
            .with_label_values(&[stage, output])
            .inc();
        if ack.duplicate {
            shared.metrics.publish_duplicates.inc();
            debug!(subject, "output already stored (redelivery)");
        }
    }
    Ok(())
}

/// Publishes the original payload to the dead-letter subject; acks on success,
/// retries on failure (the message is never dropped unrecorded).
async fn dead_letter<P: Processor>(
    shared: &Shared<P>,
    message: &jetstream::Message,
    stream_sequence: u64,
    delivered: i64,
    rejection: &Rejection,
) -> Disposition {
    let stage = shared.processor.stage();
    let mut headers = HeaderMap::new();
    headers.insert(subjects::HEADER_STAGE, stage);
    headers.insert(
        subjects::HEADER_ERROR,
        header_safe(&rejection.reason).as_str(),
    );
    headers.insert(subjects::HEADER_ERROR_CODE, rejection.code);
    headers.insert(subjects::HEADER_SOURCE_SUBJECT, message.subject.as_str());
    headers.insert(
        subjects::HEADER_SOURCE_SEQUENCE,
        stream_sequence.to_string().as_str(),
    );
    headers.insert(subjects::HEADER_DELIVERIES, delivered.to_string().as_str());
    let publish = jetstream::message::PublishMessage::build()
        .payload(message.payload.clone())
        .headers(headers)
        .message_id(format!("{stage}:{}:{stream_sequence}", message.subject));
    let result = match shared.js.send_publish(subjects::DLQ, publish).await {
        Ok(ack) => ack.await.map_err(|e| e.to_string()),
        Err(err) => Err(err.to_string()),
    };
    match result {
        Ok(_) => {
            pipeline()
                .dead_lettered
                .with_label_values(&[stage, rejection.code])
                .inc();
            pipeline()
                .published
                .with_label_values(&[stage, "dlq"])
                .inc();
            shared.metrics.dead_lettered_outcome.inc();
            warn!(stage, source_subject = %message.subject, stream_sequence, delivered, reason_code = rejection.code, reason = %rejection.reason, "message dead-lettered to {}", subjects::DLQ);
            Disposition::Ack
        }
        Err(err) => {
            error!(stage, stream_sequence, error = %err, reason = %rejection.reason, "cannot dead-letter message; will retry");
            pipeline()
                .retried
                .with_label_values(&[stage, "dead_letter_publish"])
                .inc();
            shared.metrics.retried_outcome.inc();
            Disposition::Nak(shared.settings.retry_delay(delivered))
        }
    }
}

/// Header values cannot hold line breaks; keep them readable and bounded.
fn header_safe(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if out.len() > 1024 {
        let mut cut = 1024;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::header_safe;

    #[test]
    fn header_values_lose_line_breaks_and_stay_bounded() {
        assert_eq!(header_safe("a\r\nb"), "a  b");
        let long = "é".repeat(2000);
        let safe = header_safe(&long);
        assert!(safe.len() <= 1024 + '…'.len_utf8());
        assert!(safe.ends_with('…'));
    }
}
