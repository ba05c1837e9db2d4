//! Metrics of the dedup stage.

use std::sync::OnceLock;
use std::time::Instant;

use newsflow_core::metrics::{DURATION_BUCKETS, counter_vec, gauge_vec, histogram_vec};
use prometheus::{Gauge, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec};

/// Buckets of the similarity histogram: fine near the usual thresholds.
const SIMILARITY_BUCKETS: &[f64] = &[0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0];

struct DedupMetrics {
    verdicts: IntCounterVec,
    duplicates: IntCounterVec,
    similarity: HistogramVec,
    log_seconds: HistogramVec,
    log_errors: IntCounterVec,
    index: IntGaugeVec,
    rebuild: Gauge,
    stream_messages: IntGauge,
    stream_bytes: IntGauge,
    verifications: IntCounterVec,
    verify_seconds: HistogramVec,
    text_reads: IntCounterVec,
    events: IntCounterVec,
}

fn get() -> &'static DedupMetrics {
    static METRICS: OnceLock<DedupMetrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let metrics = new_metrics();
        for verdict in ["unique", "duplicate", "redelivered", "resend", "unchecked"] {
            metrics.verdicts.with_label_values(&[verdict]);
        }
        for method in ["exact", "near"] {
            metrics.duplicates.with_label_values(&[method]);
        }
        for method in ["exact", "near"] {
            metrics.similarity.with_label_values(&[method]);
        }
        for operation in ["append", "wait"] {
            metrics.log_seconds.with_label_values(&[operation]);
            metrics.log_errors.with_label_values(&[operation]);
        }
        for operation in ["tail", "read_by_sequence"] {
            metrics.log_errors.with_label_values(&[operation]);
        }
        for kind in ["near", "exact"] {
            metrics.index.with_label_values(&[kind]);
        }
        for outcome in ["copy", "different", "unreadable"] {
            metrics.verifications.with_label_values(&[outcome]);
        }
        for from in ["kept", "stream"] {
            metrics.text_reads.with_label_values(&[from]);
        }
        for step in ["read", "compare"] {
            metrics.verify_seconds.with_label_values(&[step]);
        }
        for event in [
            "stale",
            "head_replaced",
            "off_story",
            "also_copies",
            "tail_resubscribed",
            "tail_read_by_sequence",
        ] {
            metrics.events.with_label_values(&[event]);
        }
        metrics
    })
}

/// Registers the metrics at start, so every series exists from the first scrape.
pub fn init() {
    get();
}

fn new_metrics() -> DedupMetrics {
    DedupMetrics {
        verdicts: counter_vec(
            "newsflow_dedup_verdicts_total",
            "Dedup verdicts: unique, duplicate, redelivered (an article meeting its own earlier claim), resend (an article id seen before with the same or similar text), unchecked (too little text to judge).",
            &["verdict"],
        ),
        duplicates: counter_vec(
            "newsflow_dedup_duplicates_total",
            "Duplicates found, by method (exact, near).",
            &["method"],
        ),
        similarity: histogram_vec(
            "newsflow_dedup_similarity_ratio",
            "Similarity of each duplicate to the article it copies, by method (1 for exact copies of a group's head).",
            &["method"],
            SIMILARITY_BUCKETS,
        ),
        log_seconds: histogram_vec(
            "newsflow_dedup_fingerprint_operation_duration_seconds",
            "Latency on the fingerprint stream: append (publish acknowledged) and wait (until this replica read it back).",
            &["operation"],
            DURATION_BUCKETS,
        ),
        log_errors: counter_vec(
            "newsflow_dedup_fingerprint_errors_total",
            "Failed operations on the fingerprint stream: append, wait, tail (reading it), read_by_sequence (getting an awaited record the subscription did not bring).",
            &["operation"],
        ),
        index: gauge_vec(
            "newsflow_dedup_index_articles",
            "Texts in this replica's duplicate index: near (compared for near-copies) and exact (looked up for exact copies and redeliveries).",
            &["kind"],
        ),
        rebuild: {
            let gauge = Gauge::new(
                "newsflow_dedup_index_rebuild_duration_seconds",
                "How long the last rebuild of the duplicate index from the fingerprint stream took at start.",
            )
            .expect("valid gauge");
            prometheus::register(Box::new(gauge.clone())).expect("gauge registered once");
            gauge
        },
        stream_messages: int_gauge(
            "newsflow_dedup_state_records",
            "Fingerprint records in the stream DEDUP_FINGERPRINTS: the dedup state shared by all replicas.",
        ),
        stream_bytes: int_gauge(
            "newsflow_dedup_state_bytes",
            "Bytes JetStream stores for the stream DEDUP_FINGERPRINTS (records and their overhead).",
        ),
        verifications: counter_vec(
            "newsflow_dedup_verifications_total",
            "Candidate pairs read and verified: copy, different, unreadable (the candidate's text is no longer in NEWS_RAW).",
            &["outcome"],
        ),
        verify_seconds: histogram_vec(
            "newsflow_dedup_verify_duration_seconds",
            "Time an article with candidates spent verifying them: read (their texts from NEWS_RAW) and compare.",
            &["step"],
            DURATION_BUCKETS,
        ),
        text_reads: counter_vec(
            "newsflow_dedup_candidate_texts_total",
            "Candidates' texts the verifier got: kept (this replica still held the text, tokenized) or stream (read from NEWS_RAW).",
            &["from"],
        ),
        events: counter_vec(
            "newsflow_dedup_events_total",
            "stale: a record another replica's concurrent candidate made stale (verified again); head_replaced: an earlier-published copy took over its group's head; off_story: a copy of a group member left out of its group, as it shares under a quarter of its text with the group's head (the member holds two stories); also_copies: a copy also verified a copy of other groups' articles, whose heads its notice names in also_duplicate_of; append_retried: an append to the fingerprint stream retried in place after a transient failure (a leader election), costing no delivery; tail_resubscribed: this replica's subscription to the fingerprint stream fell silent while records were awaited (its server lost) and was made again; tail_read_by_sequence: a record the subscription did not bring while awaited, read by sequence from the stream's leader (while no new subscription could be made).",
            &["event"],
        ),
    }
}

fn int_gauge(name: &str, help: &str) -> IntGauge {
    let gauge = IntGauge::new(name, help).expect("valid gauge");
    prometheus::register(Box::new(gauge.clone())).expect("gauge registered once");
    gauge
}

pub fn verdict(label: &str) {
    get().verdicts.with_label_values(&[label]).inc();
}

pub fn duplicate(method: &str) {
    get().duplicates.with_label_values(&[method]).inc();
}

pub fn similarity(method: &str, similarity: f64) {
    get()
        .similarity
        .with_label_values(&[method])
        .observe(similarity);
}

pub fn log_observe(operation: &str, started: Instant, ok: bool) {
    let m = get();
    m.log_seconds
        .with_label_values(&[operation])
        .observe(started.elapsed().as_secs_f64());
    if !ok {
        m.log_errors.with_label_values(&[operation]).inc();
    }
}

pub fn log_error(operation: &str) {
    get().log_errors.with_label_values(&[operation]).inc();
}

pub fn index_size(near: usize, exact: usize) {
    let m = get();
    for (kind, count) in [("near", near), ("exact", exact)] {
        m.index
            .with_label_values(&[kind])
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }
}

pub fn stream_size(records: u64, bytes: u64) {
    let m = get();
    m.stream_messages
        .set(i64::try_from(records).unwrap_or(i64::MAX));
    m.stream_bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
}

pub fn rebuild(seconds: f64) {
    get().rebuild.set(seconds);
}

pub fn verification(outcome: &str) {
    get().verifications.with_label_values(&[outcome]).inc();
}

pub fn verify_observe(step: &str, started: Instant) {
    get()
        .verify_seconds
        .with_label_values(&[step])
        .observe(started.elapsed().as_secs_f64());
}

pub fn text_read(from: &str) {
    get().text_reads.with_label_values(&[from]).inc();
}

pub fn event(event: &str) {
    events_by(1, event);
}

pub fn events_by(count: u64, event: &str) {
    get().events.with_label_values(&[event]).inc_by(count);
}
