//! Metrics of the PostgreSQL sink (`newsflow_sink_*`); the loop's own
//! metrics carry `stage="sink_records"` and `stage="sink_duplicates"`.

use std::sync::OnceLock;
use std::time::Instant;

use newsflow_core::metrics::{DURATION_BUCKETS, counter_vec, histogram_vec};
use prometheus::{HistogramVec, IntCounterVec};

use crate::rows::Batch;

/// Messages per transaction.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];

struct SinkMetrics {
    rows: IntCounterVec,
    transactions: IntCounterVec,
    transaction_seconds: HistogramVec,
    batch_messages: HistogramVec,
}

fn get() -> &'static SinkMetrics {
    static METRICS: OnceLock<SinkMetrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let metrics = SinkMetrics {
            rows: counter_vec(
                "newsflow_sink_rows_written_total",
                "Rows upserted into PostgreSQL and committed, by table.",
                &["table"],
            ),
            transactions: counter_vec(
                "newsflow_sink_transactions_total",
                "Transactions of the sink, by outcome (committed, failed).",
                &["outcome"],
            ),
            transaction_seconds: histogram_vec(
                "newsflow_sink_transaction_duration_seconds",
                "Time from taking a batch to its commit.",
                &["sink"],
                DURATION_BUCKETS,
            ),
            batch_messages: histogram_vec(
                "newsflow_sink_batch_messages",
                "Messages written by one transaction.",
                &["sink"],
                BATCH_BUCKETS,
            ),
        };
        for table in ["newsflow_records", "newsflow_duplicates"] {
            metrics.rows.with_label_values(&[table]);
        }
        for outcome in ["committed", "failed"] {
            metrics.transactions.with_label_values(&[outcome]);
        }
        metrics.transaction_seconds.with_label_values(&["postgres"]);
        metrics.batch_messages.with_label_values(&["postgres"]);
        metrics
    })
}

/// Registers every series, so they exist before the first write.
pub fn init() {
    get();
}

pub(crate) fn committed(batch: &Batch, messages: usize, started: Instant) {
    let m = get();
    m.rows
        .with_label_values(&["newsflow_records"])
        .inc_by(batch.records.len() as u64);
    m.rows
        .with_label_values(&["newsflow_duplicates"])
        .inc_by(batch.notices.len() as u64);
    m.transactions.with_label_values(&["committed"]).inc();
    m.transaction_seconds
        .with_label_values(&["postgres"])
        .observe(started.elapsed().as_secs_f64());
    m.batch_messages
        .with_label_values(&["postgres"])
        .observe(messages as f64);
}

pub(crate) fn failed() {
    get().transactions.with_label_values(&["failed"]).inc();
}
