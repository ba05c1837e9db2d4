//! The gateway's Prometheus metrics (`newsflow_gateway_*`). Labels come from
//! closed sets: HTTP status codes the gateway answers, outcomes, the
//! services' rejection codes, causes of unavailability.

use std::sync::OnceLock;

use newsflow_core::metrics::{DURATION_BUCKETS, counter_vec, histogram_vec};
use prometheus::{HistogramVec, IntCounterVec};

pub struct GatewayMetrics {
    /// Requests to `POST /v1/articles` by answer status.
    pub requests: IntCounterVec,
    /// Articles by outcome (accepted, already_stored, refused) and, for
    /// refusals, the rejection code.
    pub articles: IntCounterVec,
    /// Requests answered 503, by cause.
    pub unavailable: IntCounterVec,
    /// Time from receiving a request to answering it.
    pub request_seconds: HistogramVec,
}

/// The process-wide gateway metrics, registered on first use.
pub fn gateway() -> &'static GatewayMetrics {
    static METRICS: OnceLock<GatewayMetrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let metrics = GatewayMetrics {
            requests: counter_vec(
                "newsflow_gateway_requests_total",
                "Requests to POST /v1/articles, by answer status code.",
                &["status"],
            ),
            articles: counter_vec(
                "newsflow_gateway_articles_total",
                "Articles posted, by outcome: accepted (stored in news.raw), already_stored (a resend within the duplicate window), refused (with the rejection code as reason).",
                &["outcome", "reason"],
            ),
            unavailable: counter_vec(
                "newsflow_gateway_unavailable_total",
                "Requests answered 503 because NATS could not take the articles, by cause (not_connected, publish_failed).",
                &["cause"],
            ),
            request_seconds: histogram_vec(
                "newsflow_gateway_request_duration_seconds",
                "Time from receiving a POST /v1/articles request to answering it (JetStream acknowledgements included).",
                &[],
                DURATION_BUCKETS,
            ),
        };
        // Start the series a dashboard divides by at zero.
        for outcome in ["accepted", "already_stored"] {
            metrics.articles.with_label_values(&[outcome, ""]);
        }
        for code in newsflow_core::intake::reject_code::ALL {
            metrics.articles.with_label_values(&["refused", code]);
        }
        for cause in ["not_connected", "publish_failed"] {
            metrics.unavailable.with_label_values(&[cause]);
        }
        metrics
    })
}
