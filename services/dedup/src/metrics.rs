//! Metrics of the dedup stage.

use std::sync::OnceLock;
use std::time::Instant;

use newsflow_core::metrics::{DURATION_BUCKETS, counter_vec, histogram_vec};
use prometheus::{HistogramVec, IntCounterVec};

struct DedupMetrics {
    verdicts: IntCounterVec,
    duplicates: IntCounterVec,
    kv_seconds: HistogramVec,
    kv_errors: IntCounterVec,
}

fn get() -> &'static DedupMetrics {
    static METRICS: OnceLock<DedupMetrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let metrics = new_metrics();
        for verdict in ["unique", "duplicate", "redelivered"] {
            metrics.verdicts.with_label_values(&[verdict]);
        }
        for method in ["exact", "near"] {
            metrics.duplicates.with_label_values(&[method]);
        }
        for operation in ["create", "get"] {
            metrics.kv_errors.with_label_values(&[operation]);
            metrics.kv_seconds.with_label_values(&[operation]);
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
            "Dedup verdicts: unique, duplicate, or redelivered (an article meeting its own earlier claim).",
            &["verdict"],
        ),
        duplicates: counter_vec(
            "newsflow_dedup_duplicates_total",
            "Duplicates found, by method (exact, near).",
            &["method"],
        ),
        kv_seconds: histogram_vec(
            "newsflow_dedup_kv_operation_duration_seconds",
            "Latency of KV operations on the fingerprint bucket.",
            &["operation"],
            DURATION_BUCKETS,
        ),
        kv_errors: counter_vec(
            "newsflow_dedup_kv_errors_total",
            "Failed KV operations on the fingerprint bucket (the message is retried).",
            &["operation"],
        ),
    }
}

pub fn verdict(label: &str) {
    get().verdicts.with_label_values(&[label]).inc();
}

pub fn duplicate(method: &str) {
    get().duplicates.with_label_values(&[method]).inc();
}

pub fn kv_observe(operation: &str, started: Instant, ok: bool) {
    let m = get();
    m.kv_seconds
        .with_label_values(&[operation])
        .observe(started.elapsed().as_secs_f64());
    if !ok {
        m.kv_errors.with_label_values(&[operation]).inc();
    }
}
