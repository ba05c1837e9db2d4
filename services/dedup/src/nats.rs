//! The dedup stage as a service builds it: its index rebuilt from
//! `DEDUP_FINGERPRINTS` and the candidates' texts read from `NEWS_RAW`
//! (unless this replica still keeps them).
//! Shared by `newsflow-dedup` and the fused pipeline (`newsflow pipeline`),
//! so replicas of both read and append the same fingerprint stream.

use anyhow::Context as _;
use async_nats::jetstream;
use newsflow_core::config::StreamSettings;
use newsflow_core::intake::IntakeLimits;
use newsflow_core::{subjects, topology};

use crate::index::{DupIndex, IndexSettings};
use crate::log::NatsLog;
use crate::texts::{NatsTexts, RecentTexts};
use crate::{DedupSettings, DedupStage};

/// Creates (or, when `streams.manage` is off, waits for) the fingerprint
/// stream and `NEWS_RAW`, rebuilds the index from the fingerprints and
/// returns the stage, tailing the stream from then on. A failed append to
/// the fingerprint stream is retried in place for `append_retry` (the
/// loop's `consumer.publish_retry_ms`); an article waits for its own record
/// to come back for `dedup.verdict_wait_ms`.
///
/// # Errors
/// When a stream cannot be created or opened, or the index cannot be rebuilt.
pub async fn connect(
    js: &jetstream::Context,
    streams: &StreamSettings,
    dedup: &DedupSettings,
    limits: IntakeLimits,
    append_retry: std::time::Duration,
) -> anyhow::Result<DedupStage<NatsLog, RecentTexts<NatsTexts>>> {
    if streams.manage {
        topology::ensure_dedup_fingerprints(js, streams)
            .await
            .context("creating the fingerprint stream")?;
    } else {
        wait_for_stream(js, subjects::STREAM_DEDUP_FINGERPRINTS).await;
    }
    let index = DupIndex::new(IndexSettings {
        near: dedup.near,
        threshold: dedup.threshold,
        window_ms: i64::try_from(streams.dedup_window_hours * 3_600_000)
            .context("dedup_window_hours is too large")?,
        capacity: dedup.index_capacity,
    });
    let log = NatsLog::start(js.clone(), index)
        .await
        .context("rebuilding the duplicate index from the fingerprint stream")?
        .with_append_retry(append_retry)
        .with_verdict_wait(std::time::Duration::from_millis(dedup.verdict_wait_ms));
    // Candidates' texts are read from NEWS_RAW: it must exist even when
    // dedup starts before langid (or before an operator creates it).
    if streams.manage {
        topology::ensure_stream(js, topology::stream_for(subjects::RAW), streams)
            .await
            .context("creating NEWS_RAW, where candidates' texts are read")?;
    } else {
        wait_for_stream(js, subjects::STREAM_RAW).await;
    }
    let raw = js
        .get_stream(subjects::STREAM_RAW)
        .await
        .context("opening NEWS_RAW, where candidates' texts are read")?;
    Ok(DedupStage {
        log,
        texts: RecentTexts::new(
            NatsTexts {
                stream: raw,
                html: limits.html,
            },
            dedup
                .text_cache_mb
                .unwrap_or(crate::DEFAULT_TEXT_CACHE_MB)
                .saturating_mul(1 << 20),
        ),
        threshold: dedup.threshold,
        limits,
    })
}

/// Waits until an operator has created `name` (`streams.manage = false`).
async fn wait_for_stream(js: &jetstream::Context, name: &str) {
    loop {
        match topology::check_stream(js, name).await {
            Ok(line) => {
                tracing::debug!("{line}");
                return;
            }
            Err(err) => {
                tracing::warn!(error = %newsflow_core::telemetry::chain(&err), "waiting for a stream");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}
