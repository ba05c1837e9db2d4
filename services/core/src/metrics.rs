//! Prometheus metrics shared by every stage, and the `/metrics` + `/healthz`
//! HTTP endpoint.
//!
//! Names follow `newsflow_<subsystem>_<what>_<unit>`; labels come from closed
//! sets (stage, outcome, output, reason, error kind), never from ids.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, TextEncoder,
};
use tokio_util::sync::CancellationToken;

/// Buckets for per-message durations: 50 µs to 10 s.
pub const DURATION_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0,
];

/// Buckets for message age (time since the input entered its stream): 1 ms to 1 h.
pub const AGE_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// Buckets for the delivery attempt of a message: the first delivery, one
/// redelivery, and on to far past `max_deliver`.
pub const DELIVERY_BUCKETS: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 16.0, 32.0];

/// The metric families of the consume → process → publish → ack loop.
pub struct PipelineMetrics {
    pub received: IntCounterVec,
    pub processed: IntCounterVec,
    pub published: IntCounterVec,
    pub publish_duplicates: IntCounterVec,
    pub dead_lettered: IntCounterVec,
    pub retried: IntCounterVec,
    pub publish_retries: IntCounterVec,
    pub processing_seconds: HistogramVec,
    pub handling_seconds: HistogramVec,
    pub message_age_seconds: HistogramVec,
    pub deliveries: HistogramVec,
    pub in_flight: IntGaugeVec,
    pub consumer_pending: IntGaugeVec,
    pub transforms_overdue: IntGaugeVec,
    pub consumer_errors: IntCounterVec,
    pub nats_events: IntCounterVec,
    pub build_info: IntGaugeVec,
}

/// The process-wide loop metrics, registered in the default registry on first use.
pub fn pipeline() -> &'static PipelineMetrics {
    static METRICS: OnceLock<PipelineMetrics> = OnceLock::new();
    METRICS.get_or_init(|| PipelineMetrics {
        received: counter_vec(
            "newsflow_pipeline_messages_received_total",
            "Messages taken from the stage's input stream, redeliveries included.",
            &["stage"],
        ),
        processed: counter_vec(
            "newsflow_pipeline_messages_processed_total",
            "Messages finished by a stage, by outcome: ok (published and acked), dead_lettered, retried (NAKed for redelivery).",
            &["stage", "outcome"],
        ),
        published: counter_vec(
            "newsflow_pipeline_messages_published_total",
            "Messages a stage published and JetStream acknowledged, by output (next, duplicates, enriched, dlq).",
            &["stage", "output"],
        ),
        publish_duplicates: counter_vec(
            "newsflow_pipeline_publish_duplicates_total",
            "Publishes JetStream dropped as already stored (same Nats-Msg-Id): redeliveries absorbed.",
            &["stage"],
        ),
        dead_lettered: counter_vec(
            "newsflow_pipeline_messages_dead_lettered_total",
            "Messages sent to news.dlq, by reason code.",
            &["stage", "reason"],
        ),
        retried: counter_vec(
            "newsflow_pipeline_messages_failed_total",
            "Failures that NAKed a message for redelivery, by error type (dead_letter_refused: news.dlq refuses its dead letter, which lasts until an operator makes room).",
            &["stage", "error_type"],
        ),
        publish_retries: counter_vec(
            "newsflow_pipeline_publish_retries_total",
            "Publishes retried in place after a transient failure (no responders, a stream electing its leader, a timeout), by error type: retries that cost no delivery.",
            &["stage", "error_type"],
        ),
        processing_seconds: histogram_vec(
            "newsflow_pipeline_processing_duration_seconds",
            "Time spent in the stage's transform per message.",
            &["stage"],
            DURATION_BUCKETS,
        ),
        handling_seconds: histogram_vec(
            "newsflow_pipeline_handling_duration_seconds",
            "Time from taking a message to acking it: transform, publishes and their acks.",
            &["stage"],
            DURATION_BUCKETS,
        ),
        message_age_seconds: histogram_vec(
            "newsflow_pipeline_message_age_seconds",
            "Age of a message when the stage takes it (time since it was stored in its stream).",
            &["stage"],
            AGE_BUCKETS,
        ),
        deliveries: histogram_vec(
            "newsflow_pipeline_message_deliveries",
            "Delivery attempt of each message a stage takes (1: first delivery): how many deliveries crashes, NAKs and node losses cost.",
            &["stage"],
            DELIVERY_BUCKETS,
        ),
        in_flight: gauge_vec(
            "newsflow_pipeline_messages_in_flight",
            "Messages taken but not yet acked, NAKed or dead-lettered.",
            &["stage"],
        ),
        consumer_pending: gauge_vec(
            "newsflow_pipeline_consumer_pending_messages",
            "Messages waiting in the stage's durable consumer, as last reported by the server.",
            &["stage"],
        ),
        transforms_overdue: gauge_vec(
            "newsflow_pipeline_transforms_overdue",
            "Transforms still running past the time limit (their message was dead-lettered with code timeout); each holds a blocking-pool slot until it returns.",
            &["stage"],
        ),
        consumer_errors: counter_vec(
            "newsflow_pipeline_consumer_errors_total",
            "Errors of the pull consumer (failed or refused pulls, consumer deleted or refused).",
            &["stage", "kind"],
        ),
        nats_events: counter_vec(
            "newsflow_nats_connection_events_total",
            "NATS connection events (connected, disconnected, slow consumer, ...).",
            &["event"],
        ),
        build_info: gauge_vec(
            "newsflow_build_info",
            "Always 1; labels say which service and version run.",
            &["service", "version"],
        ),
    })
}

/// Creates and registers a counter family in the default registry.
///
/// # Panics
/// If the name is invalid or registered twice: both are programming errors.
pub fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter");
    prometheus::register(Box::new(metric.clone())).expect("counter registered once");
    metric
}

/// Creates and registers a gauge family in the default registry.
///
/// # Panics
/// If the name is invalid or registered twice.
pub fn gauge_vec(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let metric = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid gauge");
    prometheus::register(Box::new(metric.clone())).expect("gauge registered once");
    metric
}

/// Creates and registers a histogram family in the default registry.
///
/// # Panics
/// If the name is invalid or registered twice.
pub fn histogram_vec(name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    let metric = HistogramVec::new(opts, labels).expect("valid histogram");
    prometheus::register(Box::new(metric.clone())).expect("histogram registered once");
    metric
}

/// Renders every registered metric in the Prometheus text format. The
/// default registry includes the standard process metrics
/// (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
/// `process_open_fds`, `process_threads`, ...: the crate's `process`
/// feature, read from `/proc` at each scrape), so operators see each
/// service's CPU and memory beside its own metrics.
pub fn render() -> String {
    let mut buffer = Vec::new();
    TextEncoder::new()
        .encode(&prometheus::gather(), &mut buffer)
        .expect("text encoding of gathered metrics cannot fail");
    String::from_utf8(buffer).expect("the text format is UTF-8")
}

/// Tells `/healthz` whether the service is ready: connected and consuming.
pub type HealthCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// Binds `addr` and serves `/metrics`, `/healthz` (ready: 200 while the
/// check holds, 503 otherwise) and `/livez` (200 while the process serves)
/// until `shutdown` fires.
/// Returns the bound address (useful with port 0) and the server task.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    health: HealthCheck,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(|| async { render() }))
        .route("/healthz", get(healthz))
        .route("/livez", get(|| async { "alive\n" }))
        .with_state(health);
    let task = tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(err) = result {
            tracing::error!(error = %err, "metrics server stopped");
        }
    });
    Ok((bound, task))
}

async fn healthz(State(health): State<HealthCheck>) -> (StatusCode, &'static str) {
    if health() {
        (StatusCode::OK, "ok\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not consuming: no NATS connection, or the consumer cannot pull\n",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rendered_metrics_include_the_process_metrics() {
        let text = render();
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_threads",
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} is missing from:\n{text}"
            );
        }
    }
}
