//! The stage loop (`newsflow_core::runtime::run_stage`) in-process against a
//! real nats-server, with a fake `Processor` each test scripts: the delivery
//! rules checked from the server's side, without the service binaries.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use newsflow_core::config::Settings;
use newsflow_core::config::{ConsumerSettings, StreamSettings};
use newsflow_core::intake::{Rejection, reject_code};
use newsflow_core::runtime::{
    CpuThreads, Incoming, Outgoing, Processed, Processor, Readiness, StageError, run_stage,
};
use newsflow_core::service::{self, StageBinary};
use newsflow_core::subjects;
use newsflow_core::telemetry::chain;
use newsflow_core::topology::{self, ConsumerSpec};
use newsflow_tests::{NatsServer, Received, collect, free_port, http_get};
use tokio_util::sync::CancellationToken;

const IN_STREAM: &str = "LOOP_IN";
const IN_SUBJECT: &str = "loop.in";
const OUT_STREAM: &str = "LOOP_OUT";
const OUT_SUBJECT: &str = "loop.out";

static SPEC: ConsumerSpec = ConsumerSpec {
    durable: "loop",
    stream: IN_STREAM,
    subject: IN_SUBJECT,
};

/// One delivery the fake processor saw.
#[derive(Debug, Clone, Copy)]
struct Seen {
    sequence: u64,
    delivered: i64,
    at: Instant,
}

/// What the fake processor does with each message.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Publishes the payload to `loop.out`.
    Forward,
    /// Sleeps, then publishes nothing (the input is acked).
    Sleep(Duration),
    /// Fails transiently on the first `n` deliveries, then forwards.
    FailFirst(i64),
    /// Always fails transiently.
    AlwaysFail,
    /// Panics.
    Panic,
    /// Rejects the message as invalid (it is dead-lettered).
    Reject,
    /// Holds its thread for the given time on messages whose payload is
    /// `slow` (a CPU-bound transform that will not finish soon), forwards others.
    BlockOnSlow(Duration),
    /// The same, but in CPU work that `finish` hands to the stage's threads
    /// (as dedup's verification of the candidates it read).
    BlockInFinishOnSlow(Duration),
}

/// What the fake's transform leaves for its finish.
enum Step {
    Publish(Processed),
    Sleep(Duration),
    /// Holds a CPU thread (given to `finish`) this long, then publishes.
    BlockThenPublish(Duration, Processed),
}

#[derive(Clone)]
struct Fake {
    behaviour: Behaviour,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    fn new(behaviour: Behaviour) -> Self {
        Self {
            behaviour,
            seen: Arc::default(),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Processor for Fake {
    type Transformed = Step;
    type Finished = Processed;

    fn stage(&self) -> &'static str {
        "loop"
    }

    fn transform(&self, input: Incoming<'_>) -> Result<Step, StageError> {
        self.seen.lock().unwrap().push(Seen {
            sequence: input.stream_sequence,
            delivered: input.delivered,
            at: Instant::now(),
        });
        let forward = || -> Step {
            Step::Publish(
                vec![Outgoing {
                    subject: OUT_SUBJECT,
                    output: "out",
                    message_id: format!("out-{}", input.stream_sequence),
                    payload: Bytes::copy_from_slice(input.payload),
                }]
                .into(),
            )
        };
        match self.behaviour {
            Behaviour::Forward => Ok(forward()),
            Behaviour::Sleep(pause) => Ok(Step::Sleep(pause)),
            Behaviour::FailFirst(n) if input.delivered <= n => {
                Err(StageError::transient("fake", "scripted failure"))
            }
            Behaviour::FailFirst(_) => Ok(forward()),
            Behaviour::AlwaysFail => Err(StageError::transient("fake", "scripted failure")),
            Behaviour::Panic => panic!("scripted panic on {}", input.stream_sequence),
            Behaviour::Reject => {
                Err(Rejection::new(reject_code::INVALID_JSON, "scripted rejection").into())
            }
            Behaviour::BlockOnSlow(pause) => {
                if input.payload == b"slow" {
                    std::thread::sleep(pause);
                }
                Ok(forward())
            }
            Behaviour::BlockInFinishOnSlow(pause) if input.payload == b"slow" => {
                Ok(Step::BlockThenPublish(pause, Vec::new().into()))
            }
            Behaviour::BlockInFinishOnSlow(_) => Ok(forward()),
        }
    }

    async fn finish(&self, step: Step, cpu: &CpuThreads) -> Result<Processed, StageError> {
        match step {
            Step::Publish(processed) => Ok(processed),
            Step::Sleep(pause) => {
                tokio::time::sleep(pause).await;
                Ok(Vec::new().into())
            }
            Step::BlockThenPublish(pause, processed) => {
                cpu.run("check", move || {
                    std::thread::sleep(pause);
                    Ok(processed)
                })
                .await
            }
        }
    }

    fn complete(&self, processed: Processed) -> Result<Processed, StageError> {
        Ok(processed)
    }
}

fn settings(concurrency: usize) -> ConsumerSettings {
    ConsumerSettings {
        concurrency: NonZeroUsize::new(concurrency).unwrap(),
        ack_wait_secs: 5,
        max_deliver: 3,
        retry_base_delay_ms: 200,
        shutdown_grace_secs: 20,
        ..ConsumerSettings::default()
    }
}

/// Settings for a message that keeps failing: redelivered soon and often,
/// a failed publish retried in place for `publish_retry_ms`.
fn patient(publish_retry_ms: u64) -> ConsumerSettings {
    ConsumerSettings {
        max_deliver: 1000,
        retry_max_delay_ms: 300,
        publish_retry_ms,
        ..settings(4)
    }
}

/// A server with the input, output and dead-letter streams.
async fn setup() -> (NatsServer, jetstream::Context) {
    let nats = NatsServer::start();
    let js = nats.jetstream().await;
    for (name, subject) in [(IN_STREAM, IN_SUBJECT), (OUT_STREAM, OUT_SUBJECT)] {
        js.create_stream(stream::Config {
            name: name.into(),
            subjects: vec![subject.into()],
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("create stream {name}: {e}"));
    }
    topology::ensure_stream(
        &js,
        topology::stream_for(subjects::DLQ),
        &StreamSettings::default(),
    )
    .await
    .expect("dead-letter stream");
    (nats, js)
}

/// Publishes `count` messages to the input, waiting for every acknowledgement.
async fn publish_inputs(js: &jetstream::Context, count: usize) {
    let mut acks = Vec::with_capacity(count);
    for i in 0..count {
        acks.push(
            js.publish(IN_SUBJECT, Bytes::from(format!("message {i}")))
                .await
                .expect("publish sent"),
        );
        if acks.len() == 512 {
            for ack in acks.drain(..) {
                ack.await.expect("publish acknowledged");
            }
        }
    }
    for ack in acks {
        ack.await.expect("publish acknowledged");
    }
}

/// A running stage and the means to stop it.
struct Running {
    token: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

fn start(js: &jetstream::Context, settings: ConsumerSettings, fake: Fake) -> Running {
    let token = CancellationToken::new();
    let js = js.clone();
    let shutdown = token.clone();
    let task = tokio::spawn(async move {
        run_stage(js, &SPEC, settings, fake, shutdown, Readiness::default())
            .await
            .map_err(|e| chain(&e).to_string())
    });
    Running { token, task }
}

impl Running {
    /// Cancels and waits for the loop to return (bounded).
    async fn stop(self) -> Result<(), String> {
        self.token.cancel();
        tokio::time::timeout(Duration::from_secs(40), self.task)
            .await
            .expect("the loop returns within its grace period after cancel")
            .expect("the loop task does not panic")
    }
}

/// Waits until `condition` holds on what the fake saw (bounded).
async fn wait_seen(fake: &Fake, timeout: Duration, condition: impl Fn(&[Seen]) -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition(&fake.seen()) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition(&fake.seen())
}

async fn consumer_info(js: &jetstream::Context) -> consumer::Info {
    let stream = js.get_stream(IN_STREAM).await.expect("input stream");
    let mut consumer: consumer::PullConsumer =
        stream.get_consumer(SPEC.durable).await.expect("consumer");
    consumer.info().await.expect("consumer info").clone()
}

/// Creates the output stream (taken away by a test to make publishes fail).
async fn create_output_stream(js: &jetstream::Context) {
    js.create_stream(stream::Config {
        name: OUT_STREAM.into(),
        subjects: vec![OUT_SUBJECT.into()],
        ..Default::default()
    })
    .await
    .expect("output stream");
}

/// Waits (up to 15 s) until the first input is acked and nothing is pending.
async fn wait_until_first_acked(js: &jetstream::Context) -> consumer::Info {
    let acked = async {
        loop {
            let info = consumer_info(js).await;
            if info.ack_floor.stream_sequence == 1 && info.num_ack_pending == 0 {
                return info;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(15), acked)
        .await
        .expect("acked once the output stream exists")
}

async fn stream_messages(js: &jetstream::Context, subject: &str) -> Vec<Received> {
    collect(js, subject, usize::MAX, Duration::from_secs(1)).await
}

/// One input published while no stream holds the output subject, and a
/// processor that forwards it.
async fn one_input_without_output_stream() -> (NatsServer, jetstream::Context, Fake) {
    let (nats, js) = setup().await;
    js.delete_stream(OUT_STREAM)
        .await
        .expect("delete output stream");
    publish_inputs(&js, 1).await;
    (nats, js, Fake::new(Behaviour::Forward))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_failing_for_a_moment_is_retried_in_place_without_a_redelivery() {
    // No stream holds the output subject for a moment (as while a stream
    // elects its leader): the publish is retried in place.
    let (_nats, js, fake) = one_input_without_output_stream().await;
    let running = start(&js, settings(4), fake.clone());
    assert!(
        wait_seen(&fake, Duration::from_secs(10), |s| !s.is_empty()).await,
        "the input was never processed"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    create_output_stream(&js).await;
    let info = wait_until_first_acked(&js).await;
    running.stop().await.expect("clean stop");
    assert_eq!(fake.seen().len(), 1, "processed once: {:?}", fake.seen());
    assert_eq!(info.num_redelivered, 0, "no redelivery: {info:?}");
    assert_eq!(stream_messages(&js, OUT_SUBJECT).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_is_acked_only_after_its_output_is_stored() {
    // No stream holds the output subject yet: every publish fails.
    let (_nats, js, fake) = one_input_without_output_stream().await;
    // No retries in place: the failure must reach the NAK.
    let running = start(&js, patient(0), fake.clone());
    assert!(
        wait_seen(&fake, Duration::from_secs(10), |s| s.len() >= 2).await,
        "a failed publish leaves the input to be delivered again: {:?}",
        fake.seen()
    );
    let info = consumer_info(&js).await;
    assert_eq!(info.ack_floor.stream_sequence, 0, "not acked: {info:?}");

    create_output_stream(&js).await;
    wait_until_first_acked(&js).await;
    running.stop().await.expect("clean stop");
    let out = stream_messages(&js, OUT_SUBJECT).await;
    assert_eq!(out.len(), 1);
    assert_eq!(&out[0].payload[..], b"message 0");
    assert!(stream_messages(&js, subjects::DLQ).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_error_is_retried_with_a_doubling_delay() {
    let (_nats, js) = setup().await;
    publish_inputs(&js, 1).await;
    let fake = Fake::new(Behaviour::FailFirst(2));
    let running = start(&js, settings(4), fake.clone());
    assert!(wait_seen(&fake, Duration::from_secs(15), |s| s.len() >= 3).await);
    let out = async {
        loop {
            if !stream_messages(&js, OUT_SUBJECT).await.is_empty() {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), out)
        .await
        .expect("published on the third delivery");
    running.stop().await.expect("clean stop");
    let seen = fake.seen();
    assert_eq!(
        seen.iter().map(|s| s.delivered).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    // Base delay 200 ms, doubling: 200 ms before the 2nd, 400 ms before the 3rd.
    let first_gap = seen[1].at - seen[0].at;
    let second_gap = seen[2].at - seen[1].at;
    assert!(
        first_gap >= Duration::from_millis(180) && first_gap < Duration::from_millis(2000),
        "{first_gap:?}"
    );
    assert!(
        second_gap >= Duration::from_millis(380) && second_gap < Duration::from_millis(2500),
        "{second_gap:?}"
    );
    assert!(stream_messages(&js, subjects::DLQ).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_allowed_delivery_dead_letters_a_failing_message() {
    let (_nats, js) = setup().await;
    publish_inputs(&js, 1).await;
    let fake = Fake::new(Behaviour::AlwaysFail);
    let running = start(&js, settings(4), fake.clone());
    let dead = async {
        loop {
            let dlq = stream_messages(&js, subjects::DLQ).await;
            if !dlq.is_empty() {
                return dlq;
            }
        }
    };
    let dlq = tokio::time::timeout(Duration::from_secs(15), dead)
        .await
        .expect("dead-lettered after max_deliver attempts");
    // Nothing more comes: the dead letter acked the input.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    running.stop().await.expect("clean stop");
    assert_eq!(
        fake.seen().iter().map(|s| s.delivered).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(dlq.len(), 1);
    let letter = &dlq[0];
    assert_eq!(&letter.payload[..], b"message 0");
    assert_eq!(
        letter.header(subjects::HEADER_ERROR_CODE),
        Some("max_deliveries")
    );
    assert_eq!(letter.header(subjects::HEADER_DELIVERIES), Some("3"));
    assert_eq!(letter.header(subjects::HEADER_STAGE), Some("loop"));
    assert!(
        letter
            .header(subjects::HEADER_ERROR)
            .is_some_and(|e| e.contains("scripted failure")),
        "{:?}",
        letter.headers
    );
    let info = consumer_info(&js).await;
    assert_eq!((info.num_ack_pending, info.num_pending), (0, 0));
    assert!(stream_messages(&js, OUT_SUBJECT).await.is_empty());
}

/// Issue 12: a dead letter the stream refuses for good (here: too large for
/// it; also a full or sealed stream) is not retried in place, and never acked
/// or terminated without it: the message stays unacked in its stream, comes
/// back with a growing delay, and each refusal is counted as
/// `error_type="dead_letter_refused"` (alert NewsflowDeadLetterRefused), apart
/// from passing failures. Once the stream takes it, it is dead-lettered with
/// its own reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_the_stream_refuses_stays_unacked_backs_off_and_is_counted() {
    // The dead-letter stream takes messages of at most 8 bytes: the dead
    // letter of "message 0" (9 bytes and its headers) is refused on every try.
    let (_nats, js) = setup().await;
    let mut dlq_config = topology::stream_config(
        topology::stream_for(subjects::DLQ),
        &StreamSettings::default(),
    );
    js.delete_stream(&dlq_config.name)
        .await
        .expect("delete the dead-letter stream");
    dlq_config.max_message_size = 8;
    js.create_stream(dlq_config.clone())
        .await
        .expect("a dead-letter stream for small messages only");
    publish_inputs(&js, 1).await;
    let refusals = || {
        newsflow_core::metrics::pipeline()
            .retried
            .with_label_values(&["loop", "dead_letter_refused"])
            .get()
    };
    let refused_before = refusals();
    let fake = Fake::new(Behaviour::Reject);
    // A retry in place would hold the first delivery 30 s; NAK delays of
    // 200, 400, 800 ms, then 1.6 s.
    let running = start(
        &js,
        ConsumerSettings {
            retry_max_delay_ms: 1600,
            ..patient(30_000)
        },
        fake.clone(),
    );
    assert!(
        wait_seen(&fake, Duration::from_secs(10), |s| s.len() >= 4).await,
        "a refused dead letter was not NAKed at once (retried in place?): deliveries {:?}",
        fake.seen()
    );
    let seen = fake.seen();
    for (gap, delay_ms) in seen
        .windows(2)
        .map(|w| w[1].at - w[0].at)
        .zip([200, 400, 800])
    {
        assert!(
            gap >= Duration::from_millis(delay_ms * 9 / 10),
            "redelivered after {gap:?}, before the back-off of {delay_ms} ms: {seen:?}"
        );
    }
    let info = consumer_info(&js).await;
    assert_eq!(
        (
            info.ack_floor.stream_sequence,
            info.num_pending + info.num_ack_pending as u64
        ),
        (0, 1),
        "a message whose dead letter was refused is neither acked nor dropped: {info:?}"
    );
    assert!(
        refusals() - refused_before >= 3,
        "refusals counted as dead_letter_refused: {}",
        refusals() - refused_before
    );
    // Once the stream takes it, the message is dead-lettered and acked.
    dlq_config.max_message_size = -1;
    js.update_stream(dlq_config)
        .await
        .expect("lift the dead-letter stream's size limit");
    wait_until_first_acked(&js).await;
    running.stop().await.expect("clean stop");
    let dlq = stream_messages(&js, subjects::DLQ).await;
    assert_eq!(dlq.len(), 1);
    assert_eq!(
        dlq[0].header(subjects::HEADER_ERROR_CODE),
        Some(reject_code::INVALID_JSON)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_processor_dead_letters_the_message_and_the_loop_carries_on() {
    let (_nats, js) = setup().await;
    publish_inputs(&js, 3).await;
    let fake = Fake::new(Behaviour::Panic);
    let running = start(&js, settings(4), fake.clone());
    let dead = async {
        loop {
            let dlq = stream_messages(&js, subjects::DLQ).await;
            if dlq.len() >= 3 {
                return dlq;
            }
        }
    };
    let dlq = tokio::time::timeout(Duration::from_secs(15), dead)
        .await
        .expect("every panicking message dead-lettered");
    running.stop().await.expect("clean stop");
    assert!(
        fake.seen().iter().all(|s| s.delivered == 1),
        "{:?}",
        fake.seen()
    );
    for letter in &dlq {
        assert_eq!(letter.header(subjects::HEADER_ERROR_CODE), Some("panic"));
        assert!(
            letter
                .header(subjects::HEADER_ERROR)
                .is_some_and(|e| e.contains("scripted panic")),
            "{:?}",
            letter.headers
        );
    }
}

/// Issue 12 item 4: a transform that will not finish holds neither the stage
/// nor its message. The message is reported in progress (ack_wait is shorter
/// than the time limit, yet it is never handed out twice), dead-lettered with
/// code `timeout` at the limit, and gives up its CPU slot: with both slots
/// taken by slow messages, the ones behind them wait at most the time limit
/// (plus one second), not until the slow threads end. The runtime has only
/// two async worker threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transform_past_its_time_limit_is_dead_lettered_and_the_stage_goes_on() {
    past_the_time_limit(Behaviour::BlockOnSlow, "transform").await;
}

/// The same for CPU work a stage's `finish` hands to its threads (dedup's
/// verification of the candidate texts it read from NATS): held to the
/// time limit, off the async workers, its message dead-lettered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_work_of_finish_past_the_time_limit_is_dead_lettered_and_the_stage_goes_on() {
    past_the_time_limit(Behaviour::BlockInFinishOnSlow, "check").await;
}

/// Publishes good and `slow` messages to a stage whose fake blocks a CPU
/// thread on `slow` ones (`behaviour` given the time), in the stage's
/// `part`, and checks the outcome the two tests above describe.
async fn past_the_time_limit(behaviour: fn(Duration) -> Behaviour, part: &str) {
    let (_nats, js) = setup().await;
    let limit = Duration::from_secs(3);
    let blocked_for = Duration::from_secs(7);
    let payloads = [
        "good 0", "slow", "good 1", "good 2", "slow", "good 3", "good 4",
    ];
    for payload in payloads {
        js.publish(IN_SUBJECT, Bytes::from(payload))
            .await
            .expect("publish sent")
            .await
            .expect("publish acknowledged");
    }
    let fake = Fake::new(behaviour(blocked_for));
    let settings = ConsumerSettings {
        ack_wait_secs: 1,
        time_limit_ms: limit.as_millis() as u64,
        transform_parallelism: 2,
        ..settings(4)
    };
    let started = Instant::now();
    let running = start(&js, settings, fake.clone());

    let good = payloads.iter().filter(|p| p.starts_with("good")).count();
    // Read until the expected count arrives (a short idle wait, so the
    // times below are the messages' own).
    let poll = Duration::from_millis(100);
    let mut outputs = Vec::new();
    while outputs.len() < good && started.elapsed() < Duration::from_secs(20) {
        outputs = collect(&js, OUT_SUBJECT, good, poll).await;
    }
    let good_flowed_in = started.elapsed();
    let mut dlq = Vec::new();
    while dlq.len() < 2 && started.elapsed() < Duration::from_secs(20) {
        dlq = collect(&js, subjects::DLQ, 2, poll).await;
    }
    let dead_lettered_in = started.elapsed();
    // Past the blocked threads' end: nothing is delivered again.
    tokio::time::sleep(blocked_for + Duration::from_secs(2) - started.elapsed().min(blocked_for))
        .await;
    running.stop().await.expect("clean stop");
    println!(
        "good messages out after {good_flowed_in:?}, both slow ones dead-lettered after {dead_lettered_in:?}"
    );

    assert_eq!(outputs.len(), good, "good messages: {outputs:?}");
    assert!(
        good_flowed_in < limit + Duration::from_secs(1),
        "the good messages waited for the slow ones: {good_flowed_in:?}"
    );
    assert_eq!(dlq.len(), 2, "{dlq:?}");
    assert!(
        dead_lettered_in < limit + Duration::from_secs(1),
        "dead-lettered only after {dead_lettered_in:?}"
    );
    for letter in &dlq {
        assert_eq!(&letter.payload[..], b"slow");
        assert_eq!(letter.header(subjects::HEADER_ERROR_CODE), Some("timeout"));
        assert_eq!(letter.header(subjects::HEADER_DELIVERIES), Some("1"));
        let reason = letter.header(subjects::HEADER_ERROR).unwrap_or_default();
        assert!(
            reason.contains(&format!("loop stage's {part} did not finish"))
                && reason.contains("3000 ms"),
            "{reason}"
        );
    }
    let seen = fake.seen();
    assert_eq!(
        seen.len(),
        payloads.len(),
        "a message was handed out twice: {seen:?}"
    );
    assert!(seen.iter().all(|s| s.delivered == 1), "{seen:?}");
    let info = consumer_info(&js).await;
    assert_eq!((info.num_ack_pending, info.num_pending), (0, 0));
}

/// Issue 13: a restart must not add deliveries to messages the stopped
/// replica never started (each counts against `max_deliver` and the back-off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_mid_backlog_adds_no_delivery_to_messages_never_started() {
    const BACKLOG: usize = 20_000;
    let (_nats, js) = setup().await;
    publish_inputs(&js, BACKLOG).await;

    let first = Fake::new(Behaviour::Sleep(Duration::from_millis(20)));
    let running = start(&js, settings(4), first.clone());
    assert!(wait_seen(&first, Duration::from_secs(10), |s| s.len() >= 20).await);
    running.stop().await.expect("clean stop");
    let started: HashSet<u64> = first.seen().iter().map(|s| s.sequence).collect();
    let info = consumer_info(&js).await;
    println!(
        "first life: started {} of {BACKLOG}; server delivered {} (consumer sequence), \
         ack pending {}, redelivered {}",
        started.len(),
        info.delivered.consumer_sequence,
        info.num_ack_pending,
        info.num_redelivered
    );

    // A second life reads everything that is left and reports its delivery counts.
    let second = Fake::new(Behaviour::Sleep(Duration::ZERO));
    let left = BACKLOG - started.len();
    let running = start(&js, settings(64), second.clone());
    let all_back = wait_seen(&second, Duration::from_secs(60), |s| {
        s.iter().map(|s| s.sequence).collect::<HashSet<_>>().len() >= left
    })
    .await;
    running.stop().await.expect("clean stop");
    let mut delivered: HashMap<u64, i64> = HashMap::new();
    for s in second.seen() {
        let d = delivered.entry(s.sequence).or_default();
        *d = (*d).max(s.delivered);
    }
    let again = delivered.keys().filter(|s| started.contains(s)).count();
    let counted = delivered.values().filter(|&&d| d > 1).count();
    println!(
        "second life: {} messages, {counted} of them with an earlier delivery counted, \
         {again} finished ones seen again",
        delivered.len()
    );
    assert!(
        all_back,
        "only {} of {left} messages came back",
        delivered.len()
    );
    assert_eq!(again, 0, "messages finished before the stop came back");
    assert_eq!(
        counted, 0,
        "of {left} messages never started, {counted} came back with a delivery counted"
    );
}

/// A consumer the server will not convert: the loop stops with an error
/// naming the consumer, its stream and the server's reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_configuration_conflict_stops_the_loop_with_a_clear_error() {
    let (_nats, js) = setup().await;
    let stream = js.get_stream(IN_STREAM).await.unwrap();
    stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(SPEC.durable.into()),
            filter_subject: IN_SUBJECT.into(),
            deliver_policy: consumer::DeliverPolicy::New,
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .expect("pre-existing consumer");
    let running = start(&js, settings(4), Fake::new(Behaviour::Forward));
    let result = tokio::time::timeout(Duration::from_secs(15), running.task)
        .await
        .expect("the loop gives up on a configuration conflict instead of retrying forever")
        .expect("no panic");
    let err = result.expect_err("a configuration conflict is an error");
    println!("{err}");
    for needle in ["loop", IN_STREAM, "deliver policy"] {
        assert!(err.contains(needle), "{needle:?} missing from: {err}");
    }
}

/// The langid stage's binary description, run in-process with a fake transform.
static LANGID_BINARY: StageBinary = StageBinary {
    name: "newsflow-test-stage",
    version: "0",
    default_metrics_addr: std::net::SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        0,
    ),
    consumer: &topology::LANGID,
    outputs: &[subjects::DETECTED],
};

fn service_settings(nats: &NatsServer) -> Settings {
    Settings {
        nats_url: nats.url(),
        metrics_addr: std::net::SocketAddr::from(([127, 0, 0, 1], free_port())),
        consumer: settings(4),
        ..Settings::default()
    }
}

/// `/healthz` of a service run in-process, polled until `until` returns.
async fn health_while<T>(
    addr: std::net::SocketAddr,
    until: impl Future<Output = T>,
) -> (T, Vec<u16>) {
    let url = format!("http://{addr}/healthz");
    let mut statuses = Vec::new();
    tokio::pin!(until);
    loop {
        tokio::select! {
            out = &mut until => return (out, statuses),
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                let url = url.clone();
                let status = tokio::task::spawn_blocking(move || http_get(&url).0).await.unwrap();
                statuses.push(status);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_ready_only_while_the_stage_consumes() {
    let nats = NatsServer::start();
    let settings = service_settings(&nats);
    let addr = settings.metrics_addr;
    let token = CancellationToken::new();
    let shutdown = token.clone();
    let task = tokio::spawn(async move {
        service::run_until(
            &LANGID_BINARY,
            settings,
            async |_js| Ok(Fake::new(Behaviour::Forward)),
            shutdown,
        )
        .await
        .map_err(|e| format!("{e:?}"))
    });
    let (_, statuses) = health_while(addr, async {
        // Ready once the loop pulls; nothing is published, so it idles.
        tokio::time::sleep(Duration::from_secs(4)).await;
    })
    .await;
    assert_eq!(
        statuses.last(),
        Some(&200),
        "ready while consuming: {statuses:?}"
    );
    let url = format!("http://{addr}/livez");
    assert_eq!(
        tokio::task::spawn_blocking(move || http_get(&url).0)
            .await
            .unwrap(),
        200
    );
    token.cancel();
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("stops")
        .unwrap()
        .expect("clean stop");
}

/// A consumer the server refuses stops the whole service with an error (the
/// binary exits non-zero), and `/healthz` never said it was ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_consumer_stops_the_service_and_it_is_never_ready() {
    let nats = NatsServer::start();
    let js = nats.jetstream().await;
    topology::ensure_stream(
        &js,
        topology::stream_for(subjects::RAW),
        &StreamSettings::default(),
    )
    .await
    .unwrap();
    js.get_stream(subjects::STREAM_RAW)
        .await
        .unwrap()
        .create_consumer(consumer::pull::Config {
            durable_name: Some(topology::LANGID.durable.into()),
            filter_subject: subjects::RAW.into(),
            deliver_policy: consumer::DeliverPolicy::New,
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .expect("pre-existing consumer");
    let settings = service_settings(&nats);
    let addr = settings.metrics_addr;
    let run = service::run_until(
        &LANGID_BINARY,
        settings,
        async |_js| Ok(Fake::new(Behaviour::Forward)),
        CancellationToken::new(),
    );
    let (result, statuses) =
        health_while(addr, tokio::time::timeout(Duration::from_secs(15), run)).await;
    let err = result
        .expect("the service gives up instead of retrying forever")
        .expect_err("a refused consumer is an error");
    let err = format!("{err:?}");
    println!("{err}");
    for needle in ["langid", subjects::STREAM_RAW, "deliver policy"] {
        assert!(err.contains(needle), "{needle:?} missing from: {err}");
    }
    assert!(!statuses.contains(&200), "{statuses:?}");
}

/// Not a check: prints how fast the loop drains a backlog with a transform
/// that forwards each message (`cargo test -p newsflow-tests --test
/// stage_loop -- --ignored --nocapture throughput`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn throughput_of_a_forwarding_stage() {
    const BACKLOG: usize = 20_000;
    let (_nats, js) = setup().await;
    publish_inputs(&js, BACKLOG).await;
    let fake = Fake::new(Behaviour::Forward);
    let started = Instant::now();
    let running = start(&js, settings(256), fake.clone());
    let drained = wait_seen(&fake, Duration::from_secs(120), |s| s.len() >= BACKLOG).await;
    let elapsed = started.elapsed();
    running.stop().await.expect("clean stop");
    assert!(drained);
    println!(
        "forwarded {BACKLOG} messages in {:.2} s: {:.0} messages/s",
        elapsed.as_secs_f64(),
        BACKLOG as f64 / elapsed.as_secs_f64()
    );
}
