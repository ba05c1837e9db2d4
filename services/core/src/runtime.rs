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
//!   `news.dlq` with the stage and reason in headers, then acks (the fused
//!   pipeline names the stage inside it that refused the message);
//! * a transient error NAKs with a delay that doubles per delivery, and on the
//!   last allowed delivery (`max_deliver`) dead-letters instead;
//! * a dead letter `news.dlq` refuses (full, sealed, too large) NAKs the same
//!   way, never acks: the message waits in its stream until an operator makes
//!   room (`error_type="dead_letter_refused"`, an error line naming it);
//! * the server never gives up on a message by itself (its `max_deliver` is
//!   unlimited): a server-side limit would silently strand messages that were
//!   redelivered for other reasons (crashes, shutdowns). A message delivered
//!   far more often than `max_deliver` without finishing is dead-lettered;
//! * the CPU-bound part of a transform runs on the stage's own threads
//!   (`cpu_pool`), never on the async workers that pull, publish and ack,
//!   at most as many at once as there are CPUs (`transform_parallelism`),
//!   fed from one queue; past `time_limit_ms` from its start its message is
//!   dead-lettered with code `timeout` (see [`CpuThreads`] for what becomes
//!   of the thread; at most `concurrency` threads in all); a stage's optional
//!   second CPU step ([`Processor::complete`]) runs the same way, and so
//!   does the CPU work a stage's [`Processor::finish`] hands to them;
//! * a message being worked on is reported in progress three times per
//!   `ack_wait`, so slow work is never redelivered to a second worker while
//!   it runs;
//! * at most `concurrency` messages are in flight per replica and at most
//!   `max_ack_pending` across replicas (the consumer's back-pressure);
//! * it asks the server only for as many messages as it has free workers, so
//!   every message it receives starts at once: none waits in a client buffer
//!   while its `ack_wait` runs, and a stop has nothing to hand back (each
//!   hand-back would count a delivery against a message never started);
//!   while most workers are busy it lets a few more finish before it asks
//!   (at most `pull_gather_ms`), so a loaded stage sends one pull request per
//!   several messages, not one per message;
//! * on shutdown it stops asking, reads its last pull request to the end
//!   (at most [`PULL_EXPIRES`], every message of it has a worker), finishes
//!   in-flight messages within the grace period, and returns;
//! * a consumer configuration the server refuses stops the loop with an
//!   error ([`RuntimeError`]); connection trouble is retried. [`Readiness`]
//!   says whether it is consuming.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::{self, AckKind};
use bytes::Bytes;
use futures::StreamExt;
use prometheus::{Histogram, IntCounter, IntGauge};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, debug, debug_span, error, info, warn};

use crate::config::ConsumerSettings;
use crate::cpu_pool::CpuPool;
use crate::intake::{Rejection, reject_code};
use crate::metrics::pipeline;
use crate::subjects;
use crate::telemetry::chain;
use crate::topology::{self, ConsumerSpec};

/// How long one pull request waits on the server for messages. It bounds how
/// long a stop waits for the last request to end; an idle stage asks again
/// this often.
pub const PULL_EXPIRES: Duration = Duration::from_secs(2);

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

/// What a stage's transform produced for one message.
pub struct Processed {
    /// Messages to publish; the input is acked once all are acknowledged.
    pub messages: Vec<Outgoing>,
}

impl From<Vec<Outgoing>> for Processed {
    fn from(messages: Vec<Outgoing>) -> Self {
        Self { messages }
    }
}

/// Why a stage could not process a message.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The message can never be processed: dead-letter it.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// Something outside the message failed (NATS, a stream): retry later.
    #[error("{kind}: {message}")]
    Transient {
        /// Bounded error type, the `error_type` metric label.
        kind: &'static str,
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl StageError {
    pub fn transient(kind: &'static str, message: impl Into<String>) -> Self {
        Self::Transient {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The same error, a rejection marked as made by `stage` (see
    /// [`Rejection::stage`]); transient errors are retried, so they stay as they are.
    #[must_use]
    pub fn in_stage(self, stage: &'static str) -> Self {
        match self {
            Self::Rejected(rejection) => Self::Rejected(rejection.in_stage(stage)),
            transient @ Self::Transient { .. } => transient,
        }
    }

    /// A transient error that keeps its cause, so logs show the whole chain.
    pub fn transient_caused(
        kind: &'static str,
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Transient {
            kind,
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

/// A stage's transform, run by [`run_stage`], in up to three parts: the
/// CPU-bound [`Processor::transform`] on the stage's CPU threads under the
/// per-message time limit, the async [`Processor::finish`] (NATS lookups)
/// on the runtime, then [`Processor::complete`], which turns what `finish`
/// returned into the messages to publish.
pub trait Processor: Send + Sync + 'static {
    /// What `transform` hands to `finish`.
    type Transformed: Send + 'static;

    /// What `finish` hands to `complete`: [`Processed`] for a stage whose
    /// `finish` has the messages already; the fused pipeline's own value,
    /// so that an article reaches its last stage without being encoded.
    type Finished: Send + 'static;

    /// Stage name: metric label, log field, `Newsflow-Stage` header.
    fn stage(&self) -> &'static str;

    /// Registers the stage's own metrics, so their series exist before the
    /// first message (called once at start).
    fn init_metrics(&self) {}

    /// The CPU-bound work on one message: decoding, reading the page,
    /// analysis. It runs on one of the stage's CPU threads, never on the async runtime's
    /// workers, and is held to `consumer.time_limit_ms`.
    ///
    /// # Errors
    /// A [`StageError`] when the message is invalid or cannot be handled now.
    fn transform(&self, input: Incoming<'_>) -> Result<Self::Transformed, StageError>;

    /// The place for waits on NATS, which the time limit does not cover (a
    /// slow server is retried, not the message's fault). CPU-bound work
    /// that needs NATS's answers first goes to `cpu` ([`CpuThreads::run`]),
    /// so that it is held to the time limit and keeps off the async workers.
    fn finish(
        &self,
        transformed: Self::Transformed,
        cpu: &CpuThreads,
    ) -> impl Future<Output = Result<Self::Finished, StageError>> + Send;

    /// Whether [`Processor::complete`] is CPU-bound work: only then the
    /// loop runs it on the CPU threads, so the separate stages, whose
    /// `complete` hands `finish`'s messages on, pay no hop for it.
    const COMPLETES: bool = false;

    /// The messages to publish, from what `finish` returned. With
    /// [`Processor::COMPLETES`] it runs as `transform` does (on the CPU
    /// threads, held to `consumer.time_limit_ms` on its own): the fused
    /// pipeline enriches here, after dedup's verdict came from NATS.
    ///
    /// # Errors
    /// A [`StageError`] when an output cannot be made.
    fn complete(&self, finished: Self::Finished) -> Result<Processed, StageError>;
}

/// Errors that stop a stage.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The server refuses the stage's consumer configuration: retrying
    /// cannot help, an operator has to change the settings or the consumer.
    #[error("the {stage} stage cannot consume")]
    ConsumerRefused {
        stage: &'static str,
        #[source]
        source: topology::TopologyError,
    },
}

/// Whether a stage is consuming: set while it has a pull request out,
/// cleared while it cannot pull and once it stops. `/healthz` reads it.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Relaxed);
    }
}

/// Transient error types of the loop itself (stages add their own, e.g. `fingerprints`).
const ERROR_TYPES: &[&str] = &[
    "publish",
    "publish_ack",
    "publish_refused",
    "dead_letter_publish",
    "dead_letter_refused",
    "transform",
];

/// Kinds of pull-consumer errors (see [`pull_error_kind`]).
const CONSUMER_ERROR_KINDS: &[&str] = &[
    "create",
    "pull",
    "consumer_deleted",
    "push_based_consumer",
    "no_responders",
    "request_limit_exceeded",
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
    deliveries: Histogram,
    in_flight: IntGauge,
    pending: IntGauge,
    transforms_overdue: IntGauge,
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
            deliveries: m.deliveries.with_label_values(&[stage]),
            in_flight: m.in_flight.with_label_values(&[stage]),
            pending: m.consumer_pending.with_label_values(&[stage]),
            transforms_overdue: m.transforms_overdue.with_label_values(&[stage]),
        }
    }
}

struct Shared<P> {
    processor: P,
    js: jetstream::Context,
    settings: ConsumerSettings,
    metrics: StageMetrics,
    /// The threads transforms run on: the CPUs (or `transform_parallelism`)
    /// at once, within their time limit. More would only share the CPUs, so
    /// each message's wall time, which the limit measures, would grow with
    /// the backlog instead of its own cost. A transform past its limit keeps
    /// its thread until it returns (`concurrency` threads at most).
    cpu: CpuThreads,
}

/// The stage's CPU threads, as the loop runs its transforms on them and as
/// [`Processor::finish`] may use them: CPU-bound work that needs NATS's
/// answers first (dedup verifies the candidate texts it read) runs there
/// within the time limit, like a transform, and not on the async workers
/// that pull, publish and ack. [`CpuThreads::inline`] runs the work where
/// it is called, for tools and tests that have no stage loop.
#[derive(Clone)]
pub struct CpuThreads(Option<Arc<StageThreads>>);

struct StageThreads {
    pool: CpuPool,
    stage: &'static str,
    limit: Duration,
}

impl CpuThreads {
    /// Runs the work in place, with no time limit (tools and tests).
    pub fn inline() -> Self {
        Self(None)
    }

    fn of_stage(stage: &'static str, settings: &ConsumerSettings, overdue: IntGauge) -> Self {
        Self(Some(Arc::new(StageThreads {
            pool: CpuPool::new(
                stage,
                settings.transform_parallelism(),
                settings.concurrency.get(),
                overdue,
            ),
            stage,
            limit: settings.time_limit(),
        })))
    }

    /// Runs `work`, the stage's `part` (named in a timeout's reason), on the
    /// stage's CPU threads within `consumer.time_limit_ms` (see
    /// [`CpuThreads::run_message_part`]).
    ///
    /// # Errors
    /// The work's own error; a rejection with code `timeout` past the limit
    /// and `panic` when it panics.
    pub async fn run<T: Send + 'static>(
        &self,
        part: &'static str,
        work: impl FnOnce() -> Result<T, StageError> + Send + 'static,
    ) -> Result<T, StageError> {
        self.run_message_part(part, None, work).await
    }

    /// Runs CPU-bound `work` of the stage on its CPU threads, within the
    /// time limit; `message` (stream sequence, payload bytes) is named in
    /// the log and the timeout's reason.
    ///
    /// The limit counts from the moment a thread starts the work, not its
    /// wait in the queue. The thread of work past its limit cannot be
    /// stopped (Rust has no safe way to kill a thread): it is left to
    /// finish in the background, holding its thread (not a CPU slot: a new
    /// thread takes that) and counted by
    /// `newsflow_pipeline_transforms_overdue`, while the message is
    /// dead-lettered with code `timeout` and the stage goes on. The input
    /// caps (payload size, HTML depth and element count) bound how long
    /// such a thread can run.
    async fn run_message_part<T: Send + 'static>(
        &self,
        part: &'static str,
        message: Option<(u64, usize)>,
        work: impl FnOnce() -> Result<T, StageError> + Send + 'static,
    ) -> Result<T, StageError> {
        let Some(threads) = &self.0 else {
            return work();
        };
        let StageThreads { pool, stage, limit } = &**threads;
        let (stage, limit) = (*stage, *limit);
        let (ticket, mut done) = pool.submit(work);
        let outcome = loop {
            // While queued, look again after a limit's time: it counts from the start.
            let deadline = ticket.started().unwrap_or_else(Instant::now) + limit;
            match tokio::time::timeout_at(deadline.into(), &mut done).await {
                Ok(outcome) => break outcome,
                Err(_)
                    if ticket
                        .started()
                        .is_none_or(|started| started + limit > Instant::now()) => {}
                Err(_) if pool.give_up(&ticket) => {
                    warn!(
                        stage,
                        part,
                        stream_sequence = message.map(|(sequence, _)| sequence),
                        limit_ms = limit.as_millis() as u64,
                        "work over its time limit; left to finish in the background"
                    );
                    let size = message
                        .map(|(_, bytes)| format!("; the message was {bytes} bytes"))
                        .unwrap_or_default();
                    return Err(Rejection::new(
                        reject_code::TIMEOUT,
                        format!(
                            "the {stage} stage's {part} did not finish within the time limit of {} ms (consumer.time_limit_ms){size}",
                            limit.as_millis(),
                        ),
                    )
                    .into());
                }
                // It finished just as the limit passed: take its outcome.
                Err(_) => break (&mut done).await,
            }
        };
        match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => Err(Rejection::new(
                reject_code::PANIC,
                format!("{stage} stage panicked: {panic}"),
            )
            .into()),
            // Only when the pool is gone, which the stage outlives.
            Err(_) => Err(StageError::transient(
                "transform",
                format!("the {stage} stage's {part} threads stopped"),
            )),
        }
    }
}

/// Runs a stage until `shutdown` fires: ensures its durable consumer, then
/// consumes, processes, publishes and acks. `readiness` tells whether it is
/// consuming.
///
/// # Errors
/// When the server refuses the consumer configuration (a conflict with the
/// existing consumer, an invalid setting); connection problems are retried.
/// In-flight messages are finished first either way.
pub async fn run_stage<P: Processor>(
    js: jetstream::Context,
    spec: &ConsumerSpec,
    settings: ConsumerSettings,
    processor: P,
    shutdown: CancellationToken,
    readiness: Readiness,
) -> Result<(), RuntimeError> {
    let stage = processor.stage();
    processor.init_metrics();
    let metrics = StageMetrics::new(stage);
    let cpu = CpuThreads::of_stage(stage, &settings, metrics.transforms_overdue.clone());
    let shared = Arc::new(Shared {
        metrics,
        processor,
        js,
        cpu,
        settings,
    });
    let tracker = TaskTracker::new();
    let result = consume(&shared, spec, &tracker, &shutdown, &readiness).await;
    readiness.set(false);

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
    result
}

/// Pull errors in a row after which the consumer is looked up again.
const PULL_ERRORS_BEFORE_RECONNECT: u32 = 3;

/// The pull loop: returns on shutdown, or with an error when the server
/// refuses the consumer.
async fn consume<P: Processor>(
    shared: &Arc<Shared<P>>,
    spec: &ConsumerSpec,
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
    readiness: &Readiness,
) -> Result<(), RuntimeError> {
    let stage = shared.processor.stage();
    let workers = Arc::new(Semaphore::new(shared.settings.concurrency.get()));
    let mut attempt: u32 = 0;
    while !shutdown.is_cancelled() {
        readiness.set(false);
        if attempt > 0 {
            let delay = Duration::from_millis(250 * 2u64.pow(attempt.min(6)));
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(delay) => {}
            }
        }
        attempt += 1;
        let consumer = match topology::ensure_consumer(&shared.js, spec, &shared.settings).await {
            Ok(consumer) => consumer,
            Err(err) if err.is_refused() => {
                consumer_error(stage, "create", &err);
                return Err(RuntimeError::ConsumerRefused { stage, source: err });
            }
            Err(err) => {
                consumer_error(stage, "create", &err);
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
        while errors_in_a_row < PULL_ERRORS_BEFORE_RECONNECT {
            // Ask only for as many messages as there are free workers, so every
            // message the server hands out starts at once.
            let Some(mut free) = free_workers(&workers, &shared.settings, shutdown).await else {
                break;
            };
            let batch = consumer
                .batch()
                .max_messages(free.len())
                .expires(PULL_EXPIRES)
                .messages()
                .await;
            let mut batch = match batch {
                Ok(batch) => batch,
                Err(err) => {
                    readiness.set(false);
                    consumer_error(stage, "pull", &err);
                    errors_in_a_row += 1;
                    continue;
                }
            };
            readiness.set(true);
            // Read the request to its end even after a stop: the server may
            // still deliver to it, and each message it delivers has a worker.
            while let Some(item) = batch.next().await {
                match item {
                    Ok(message) => {
                        attempt = 0;
                        errors_in_a_row = 0;
                        let permit = match free.pop() {
                            Some(permit) => permit,
                            // The server never sends more than asked; if it
                            // did, the message still waits for a worker.
                            None => workers
                                .clone()
                                .acquire_owned()
                                .await
                                .expect("the worker semaphore is never closed"),
                        };
                        let shared = shared.clone();
                        shared.metrics.in_flight.inc();
                        tracker.spawn(async move {
                            handle(&shared, message).await;
                            shared.metrics.in_flight.dec();
                            drop(permit);
                        });
                    }
                    Err(err) => {
                        readiness.set(false);
                        let kind = pull_error_kind(&err.to_string());
                        consumer_error(stage, kind, &*err);
                        errors_in_a_row += if kind == "consumer_deleted" {
                            PULL_ERRORS_BEFORE_RECONNECT
                        } else {
                            1
                        };
                        break;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Waits for a free worker, then takes every free one up to `batch`; `None`
/// once `shutdown` fires. When most workers are busy (fewer than a quarter
/// of `batch` free), it waits up to `pull_gather_ms` for more to finish
/// first: under load the workers finish one by one, and a pull request per
/// freed worker would cost the server a request (and the client a
/// subscription) per message. With the stage keeping up, most workers are
/// free and the request goes out at once.
async fn free_workers(
    workers: &Arc<Semaphore>,
    settings: &ConsumerSettings,
    shutdown: &CancellationToken,
) -> Option<Vec<OwnedSemaphorePermit>> {
    let max = settings.batch.get();
    let enough = (max.min(settings.concurrency.get()) / 4).max(1);
    let first = tokio::select! {
        biased;
        () = shutdown.cancelled() => return None,
        permit = workers.clone().acquire_owned() => permit.expect("the worker semaphore is never closed"),
    };
    let mut free = vec![first];
    take_free(workers, max, &mut free);
    let gathered_until = tokio::time::Instant::now() + settings.pull_gather();
    while free.len() < enough {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => return None,
            () = tokio::time::sleep_until(gathered_until) => break,
            permit = workers.clone().acquire_owned() => {
                free.push(permit.expect("the worker semaphore is never closed"));
                take_free(workers, max, &mut free);
            }
        }
    }
    Some(free)
}

/// Adds free workers to `free` without waiting, up to `max` in all.
fn take_free(workers: &Arc<Semaphore>, max: usize, free: &mut Vec<OwnedSemaphorePermit>) {
    while free.len() < max {
        match workers.clone().try_acquire_owned() {
            Ok(permit) => free.push(permit),
            Err(_) => break,
        }
    }
}

/// The `kind` label of an error the server sent in answer to a pull request
/// (async-nats reports them as text).
fn pull_error_kind(text: &str) -> &'static str {
    if text.contains("Consumer Deleted") {
        "consumer_deleted"
    } else if text.contains("push based") {
        "push_based_consumer"
    } else if text.contains("Exceeded MaxRequest") {
        "request_limit_exceeded"
    } else if text.contains("503") {
        "no_responders"
    } else {
        "pull"
    }
}

fn consumer_error(
    stage: &'static str,
    kind: &'static str,
    err: &(dyn std::error::Error + 'static),
) {
    pipeline()
        .consumer_errors
        .with_label_values(&[stage, kind])
        .inc();
    warn!(stage, kind, error = %chain(err), "consumer error");
}

/// What became of one message.
enum Disposition {
    Ack,
    Nak(Duration),
}

async fn handle<P: Processor>(shared: &Arc<Shared<P>>, message: jetstream::Message) {
    let stage = shared.processor.stage();
    let info = match message.info() {
        Ok(info) => (
            info.stream_sequence,
            info.delivered,
            info.pending,
            info.published,
        ),
        Err(err) => {
            error!(stage, subject = %message.subject, error = %chain(&*err), "message without JetStream metadata; terminating it");
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
        metrics.deliveries.observe(delivered as f64);

        if delivered > shared.settings.abandon_after_deliveries() {
            // Delivered this often without ever finishing: the stage probably
            // crashes on it. Park it in the dead-letter stream instead of looping.
            let rejection = Rejection::new(
                reject_code::MAX_DELIVERIES,
                format!("delivered {delivered} times without finishing; the {stage} stage may be crashing on it, or its dead letter was refused before"),
            );
            let disposition = dead_letter(shared, &message, stream_sequence, delivered, &rejection).await;
            settle(&message, disposition).await;
            metrics.handling.observe(started.elapsed().as_secs_f64());
            return;
        }

        // In-progress acks while the message is worked on, so a long transform
        // or a slow publish is not handed to a second worker after ack_wait.
        let work = async {
            let processed = match transform(shared, &message, stream_sequence, delivered, stored_at).await {
                Ok(transformed) => shared.processor.finish(transformed, &shared.cpu).await,
                Err(err) => Err(err),
            };
            let processed = match processed {
                Ok(finished) if P::COMPLETES => {
                    let worker = shared.clone();
                    shared
                        .cpu
                        .run_message_part(
                            "transform",
                            Some((stream_sequence, message.payload.len())),
                            move || worker.processor.complete(finished),
                        )
                        .await
                }
                Ok(finished) => shared.processor.complete(finished),
                Err(err) => Err(err),
            };
            metrics.processing.observe(started.elapsed().as_secs_f64());
            match processed {
                Ok(processed) => publish_all(shared, processed.messages).await,
                Err(err) => Err(err),
            }
        };
        let result = tokio::select! {
            result = work => result,
            never = keep_in_progress(&message, shared.settings.progress_interval(), stage, stream_sequence) => match never {},
        };
        let disposition = match result {
            Ok(()) => {
                metrics.ok.inc();
                Disposition::Ack
            }
            Err(StageError::Rejected(rejection)) => {
                dead_letter(shared, &message, stream_sequence, delivered, &rejection).await
            }
            Err(err @ StageError::Transient { .. }) => {
                let StageError::Transient { kind, .. } = err else {
                    unreachable!("matched as transient")
                };
                pipeline().retried.with_label_values(&[stage, kind]).inc();
                if delivered >= shared.settings.max_deliver {
                    let rejection = Rejection::new(
                        reject_code::MAX_DELIVERIES,
                        format!("gave up after {delivered} deliveries; last error: {}", chain(&err)),
                    );
                    dead_letter(shared, &message, stream_sequence, delivered, &rejection).await
                } else {
                    let delay = shared.settings.retry_delay(delivered);
                    warn!(stage, stream_sequence, delivered, error_type = kind, error = %chain(&err), retry_in_ms = delay.as_millis() as u64, "transient failure; will retry");
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

/// In-progress acks after which a message still worked on is reported, and
/// again after as many more: three `ack_wait`s. Every wait of the work is
/// bounded, so a message held longer points at a wait that is not (the
/// server would never redeliver it while its in-progress acks go on).
const PROGRESS_ACKS_BEFORE_REPORT: u64 = 9;

/// Tells the server every `interval` that the message is still being worked
/// on (each in-progress ack restarts its `ack_wait`); runs until dropped.
async fn keep_in_progress(
    message: &jetstream::Message,
    interval: Duration,
    stage: &'static str,
    stream_sequence: u64,
) -> std::convert::Infallible {
    let started = Instant::now();
    let mut sent: u64 = 0;
    loop {
        tokio::time::sleep(interval).await;
        sent += 1;
        if let Err(err) = message.ack_with(AckKind::Progress).await {
            debug!(error = %chain(&*err), "in-progress ack failed");
        }
        if sent.is_multiple_of(PROGRESS_ACKS_BEFORE_REPORT) {
            warn!(
                stage,
                stream_sequence,
                in_progress_secs = started.elapsed().as_secs(),
                "message still being worked on"
            );
        }
    }
}

/// Runs the stage's transform on the stage's CPU threads, within the time
/// limit (see [`CpuThreads::run_message_part`]).
async fn transform<P: Processor>(
    shared: &Arc<Shared<P>>,
    message: &jetstream::Message,
    stream_sequence: u64,
    delivered: i64,
    stored_at: chrono::DateTime<chrono::Utc>,
) -> Result<P::Transformed, StageError> {
    let payload = message.payload.clone();
    let subject = message.subject.clone();
    let worker = shared.clone();
    shared
        .cpu
        .run_message_part(
            "transform",
            Some((stream_sequence, payload.len())),
            move || {
                worker.processor.transform(Incoming {
                    payload: &payload,
                    subject: subject.as_str(),
                    stream_sequence,
                    delivered,
                    stored_at,
                })
            },
        )
        .await
}

/// Acks or NAKs the message.
async fn settle(message: &jetstream::Message, disposition: Disposition) {
    let ack = match disposition {
        Disposition::Ack => message.ack().await,
        Disposition::Nak(delay) => message.ack_with(AckKind::Nak(Some(delay))).await,
    };
    if let Err(err) = ack {
        // The message comes back after ack_wait; its outputs are deduplicated by id.
        warn!(error = %chain(&*err), "ack failed; message will be redelivered");
    }
}

/// Publishes every output and waits for all JetStream acknowledgements.
/// A transient failure is retried in place (see [`retry_in_place`]): a
/// leader election or a node restart then costs no delivery of the input.
/// Publishing again is safe: each output's `Nats-Msg-Id` stores it once.
async fn publish_all<P: Processor>(
    shared: &Shared<P>,
    outputs: Vec<Outgoing>,
) -> Result<(), StageError> {
    retry_in_place(
        shared,
        || publish_once(shared, &outputs),
        |err| match err {
            StageError::Transient {
                kind: kind @ ("publish" | "publish_ack"),
                ..
            } => Some(*kind),
            _ => None,
        },
    )
    .await
}

/// Whether a failed JetStream publish is worth retrying in place: a state
/// of the server or the cluster that passes within seconds (no responders
/// or no leader while a stream elects one, a timeout, a lost connection,
/// the client's own cap on publishes awaiting their acks). A refusal of the
/// message itself (too large for the stream or the server, a stream full
/// with discard-new, a sealed stream, a broken expectation) fails the same
/// way on every try: it goes to the NAK and its back-off at once instead of
/// holding a worker for `publish_retry_ms`.
pub fn publish_error_is_transient(err: &jetstream::context::PublishError) -> bool {
    use jetstream::ErrorCode;
    use jetstream::context::PublishErrorKind as Kind;
    match err.kind() {
        Kind::StreamNotFound | Kind::TimedOut | Kind::BrokenPipe | Kind::MaxAckPending => true,
        Kind::WrongLastMessageId | Kind::WrongLastSequence | Kind::MaxPayloadExceeded => false,
        // The server's answer is an API error: only the cluster's passing
        // states are retried. Other causes are the client's own (an invalid
        // subject, a closed connection) and do not pass either.
        Kind::Other => std::error::Error::source(err)
            .and_then(|source| source.downcast_ref::<jetstream::Error>())
            .is_some_and(|api| {
                [
                    ErrorCode::CLUSTER_NOT_AVAILABLE,
                    ErrorCode::CLUSTER_NOT_LEADER,
                    ErrorCode::CLUSTER_NOT_ASSIGNED,
                ]
                .contains(&api.error_code())
            }),
    }
}

/// The `error_type` of a failed publish of an output: `transient_kind` if
/// it is worth retrying in place, else `publish_refused`.
fn publish_error_type(
    err: &jetstream::context::PublishError,
    transient_kind: &'static str,
) -> &'static str {
    if publish_error_is_transient(err) {
        transient_kind
    } else {
        "publish_refused"
    }
}

/// [`retry_with_backoff`] for up to `publish_retry_ms`, counting each retry
/// of an error `retriable` names (the `error_type` label).
async fn retry_in_place<P: Processor, T, E, Attempt>(
    shared: &Shared<P>,
    attempt: impl FnMut() -> Attempt,
    retriable: impl Fn(&E) -> Option<&'static str>,
) -> Result<T, E>
where
    Attempt: Future<Output = Result<T, E>>,
    E: std::error::Error + 'static,
{
    let stage = shared.processor.stage();
    retry_with_backoff(shared.settings.publish_retry(), attempt, |err: &E, pause| {
        let Some(kind) = retriable(err) else {
            return false;
        };
        pipeline()
            .publish_retries
            .with_label_values(&[stage, kind])
            .inc();
        debug!(stage, error_type = kind, error = %chain(err), retry_in_ms = pause.as_millis() as u64, "publish failed; retrying in place");
        true
    })
    .await
}

/// Runs `attempt` until it succeeds, fails with an error `retry` declines
/// (it is told the error and the pause before the next attempt), or `budget`
/// is spent; pauses double from 50 ms to 2 s. For NATS operations that fail
/// for a moment (no responders, a stream electing its leader) while the
/// message they serve stays in progress.
pub async fn retry_with_backoff<T, E, Attempt>(
    budget: Duration,
    mut attempt: impl FnMut() -> Attempt,
    mut retry: impl FnMut(&E, Duration) -> bool,
) -> Result<T, E>
where
    Attempt: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + budget;
    let mut pause = Duration::from_millis(50);
    loop {
        match attempt().await {
            Err(err) if Instant::now() + pause < deadline => {
                if !retry(&err, pause) {
                    return Err(err);
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            result => return result,
        }
    }
}

async fn publish_once<P: Processor>(
    shared: &Shared<P>,
    outputs: &[Outgoing],
) -> Result<(), StageError> {
    let stage = shared.processor.stage();
    let mut acks = Vec::with_capacity(outputs.len());
    for output in outputs {
        let publish = jetstream::message::PublishMessage::build()
            .payload(output.payload.clone())
            .message_id(&output.message_id);
        let ack = shared
            .js
            .send_publish(output.subject, publish)
            .await
            .map_err(|err| {
                StageError::transient_caused(
                    publish_error_type(&err, "publish"),
                    format!("publish to {} failed", output.subject),
                    err,
                )
            })?;
        acks.push((output.subject, output.output, ack));
    }
    for (subject, output, ack) in acks {
        let ack = ack.await.map_err(|err| {
            StageError::transient_caused(
                publish_error_type(&err, "publish_ack"),
                format!("no acknowledgement for publish to {subject}"),
                err,
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
    // The fused pipeline names the stage inside it that refused the message,
    // so its dead letters read (and are deduplicated) as the separate stage's.
    let failed_stage = rejection.stage.unwrap_or(stage);
    let mut headers = HeaderMap::new();
    headers.insert(subjects::HEADER_STAGE, failed_stage);
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
        .message_id(format!(
            "{failed_stage}:{}:{stream_sequence}",
            message.subject
        ));
    // Retried in place like the outputs, so a cluster hiccup costs the
    // message no delivery here either; a refusal is not (see
    // `publish_error_is_transient`).
    let result = retry_in_place(
        shared,
        || async {
            match shared.js.send_publish(subjects::DLQ, publish.clone()).await {
                Ok(ack) => ack.await,
                Err(err) => Err(err),
            }
        },
        |err| publish_error_is_transient(err).then_some("dead_letter_publish"),
    )
    .await;
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
            warn!(stage, failed_stage, source_subject = %message.subject, stream_sequence, delivered, reason_code = rejection.code, reason = %rejection.reason, "message dead-lettered to {}", subjects::DLQ);
            Disposition::Ack
        }
        Err(err) => {
            let delay = shared.settings.retry_delay(delivered);
            let retry_in_ms = delay.as_millis() as u64;
            // A refusal (news.dlq full with discard-new, sealed, the dead
            // letter over a size limit) lasts until an operator acts. The
            // message is never acked or terminated without its dead letter:
            // it stays in its stream and comes back with the growing delay,
            // and error_type `dead_letter_refused` (alert
            // NewsflowDeadLetterRefused) and this line make it seen.
            let error_type = if publish_error_is_transient(&err) {
                error!(stage, stream_sequence, delivered, error = %chain(&err), reason = %rejection.reason, retry_in_ms, "cannot dead-letter message; will retry");
                "dead_letter_publish"
            } else {
                error!(stage, failed_stage, source_subject = %message.subject, stream_sequence, delivered, reason_code = rejection.code, reason = %rejection.reason, error = %chain(&err), retry_in_ms, "{} refuses this message's dead letter; it stays unacked in its stream, retried with a growing delay until the dead-letter stream takes it", subjects::DLQ);
                "dead_letter_refused"
            };
            pipeline()
                .retried
                .with_label_values(&[stage, error_type])
                .inc();
            shared.metrics.retried_outcome.inc();
            Disposition::Nak(delay)
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
    use super::{header_safe, publish_error_is_transient};
    use async_nats::jetstream::context::{PublishError, PublishErrorKind};

    /// A publish refused by the server with JetStream error `err_code`.
    fn refused(err_code: u64, description: &str) -> PublishError {
        let api: async_nats::jetstream::Error = serde_json::from_value(serde_json::json!({
            "code": 400, "err_code": err_code, "description": description
        }))
        .expect("a JetStream API error");
        PublishError::with_source(PublishErrorKind::Other, api)
    }

    #[test]
    fn only_passing_cluster_and_connection_states_are_retried_in_place() {
        use PublishErrorKind::*;
        let cases = [
            (PublishError::new(StreamNotFound), true),
            (PublishError::new(TimedOut), true),
            (PublishError::new(BrokenPipe), true),
            (PublishError::new(MaxAckPending), true),
            (
                refused(10008, "JetStream system temporarily unavailable"),
                true,
            ),
            (
                refused(10009, "JetStream cluster can not handle request"),
                true,
            ),
            (PublishError::new(MaxPayloadExceeded), false),
            (PublishError::new(WrongLastMessageId), false),
            (PublishError::new(WrongLastSequence), false),
            (PublishError::new(Other), false),
            (
                refused(10054, "message size exceeds maximum allowed"),
                false,
            ),
            (refused(10109, "stream is sealed"), false),
            (refused(10077, "maximum messages exceeded"), false),
        ];
        for (error, transient) in cases {
            assert_eq!(publish_error_is_transient(&error), transient, "{error}");
        }
    }

    #[test]
    fn header_values_lose_line_breaks_and_stay_bounded() {
        assert_eq!(header_safe("a\r\nb"), "a  b");
        let long = "é".repeat(2000);
        let safe = header_safe(&long);
        assert!(safe.len() <= 1024 + '…'.len_utf8());
        assert!(safe.ends_with('…'));
    }
}
