//! Shared core of the newsflow services.
//!
//! Crawlers publish articles to `news.raw`; three stages, each a separate
//! service on its own durable JetStream consumer, turn them into records:
//!
//! ```text
//! news.raw ─▶ langid ─▶ news.stage.detected ─▶ dedup ─▶ news.stage.unique ─▶ enrich ─▶ news.enriched
//!                                                  └──▶ news.duplicates
//!         (any stage) ─▶ news.dlq  (original payload, reason in headers)
//! ```
//!
//! # Layout
//! * [`subjects`]: every subject, stream and header name.
//! * [`contracts`]: the wire types (mirrored by the JSON Schemas in `proto/`).
//! * [`intake`]: decoding and validation, with bounded rejection codes.
//! * [`chars`]: character properties by table lookup (fast beyond ASCII).
//! * [`html`]: the one HTML path: main text and metadata of a page.
//! * [`text`]: identity normalization, word counts, white space.
//! * [`runtime`]: the consume → process → publish → ack loop and its delivery rules;
//!   `cpu_pool`, the threads its transforms run on.
//! * [`topology`]: streams and consumers, created idempotently.
//! * [`config`]: settings from defaults, file, environment and flags.
//! * [`metrics`]: Prometheus metrics and the `/metrics` + `/healthz` endpoint.
//! * [`service`]: what every stage binary does around its transform.
//! * [`nats`], [`telemetry`], [`shutdown`]: connection, logs, signals.
//! * [`test_tls`]: a throwaway CA and TLS config for the secured bench and tests.
//!
//! # Allocator
//! With the cargo feature `mimalloc` (`cargo build --release --features
//! newsflow-core/mimalloc`), every binary that links this crate allocates
//! with mimalloc instead of the C library's `malloc`. Measured (README.md,
//! "Benchmark"): 20–25 % less CPU per article, but 35–70 MB more resident
//! memory per process (enrich 143 → 198 MB, over its 150 MB budget), so the
//! default build keeps the C library's allocator. Set here once, so no
//! binary can be forgotten; a crate may only have one.

pub mod chars;
pub mod config;
pub mod contracts;
mod cpu_pool;
pub mod html;
pub mod intake;
pub mod metrics;
pub mod nats;
pub mod runtime;
pub mod service;
pub mod shutdown;
pub mod subjects;
pub mod telemetry;
pub mod test_tls;
pub mod text;
pub mod topology;

pub use chrono;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use contracts::PipelineStep;

/// The `pipeline` entry a stage adds to what it publishes.
pub fn stamp(stage: &str, version: &str) -> PipelineStep {
    PipelineStep {
        stage: stage.to_string(),
        version: version.to_string(),
        processed_at: now_rfc3339(),
    }
}

/// The current UTC time as RFC 3339 with milliseconds.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
