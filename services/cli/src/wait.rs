//! `newsflow wait`: waits until the pipeline has handled everything published
//! so far, so a script (the demo) reads the outcomes when they are all there
//! rather than after a guessed sleep.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use async_nats::jetstream;
use newsflow_core::topology::ConsumerSpec;

/// Messages a stage's consumer has not finished: not yet delivered plus
/// delivered and not acknowledged.
async fn unfinished(js: &jetstream::Context, spec: &ConsumerSpec) -> anyhow::Result<u64> {
    let stream = js
        .get_stream(spec.stream)
        .await
        .with_context(|| format!("opening stream {} (run `newsflow setup`?)", spec.stream))?;
    let mut consumer: jetstream::consumer::PullConsumer = stream
        .get_consumer(spec.durable)
        .await
        .map_err(|e| anyhow::anyhow!(e))
        .with_context(|| format!("opening consumer {} on {}", spec.durable, spec.stream))?;
    let info = consumer
        .info()
        .await
        .with_context(|| format!("reading consumer {} on {}", spec.durable, spec.stream))?;
    Ok(info.num_pending + info.num_ack_pending as u64)
}

/// Returns once the `consumers` (langid, dedup and enrich, or the fused
/// pipeline's) have nothing pending or unacknowledged on two polls in a row.
///
/// The consumers are read in flow order: a stage publishes its output before
/// it acks its input, so a message that left one stage is already counted by
/// the next when that one is read.
///
/// # Errors
/// When a stream or consumer cannot be read, or `timeout` passes first; the
/// message names each stage with unfinished messages.
pub async fn until_idle(
    js: &jetstream::Context,
    consumers: &[ConsumerSpec],
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let mut idle_polls = 0;
    loop {
        let mut busy = Vec::new();
        for spec in consumers {
            let count = unfinished(js, spec).await?;
            if count > 0 {
                busy.push(format!("{} has {count}", spec.durable));
            }
        }
        idle_polls = if busy.is_empty() { idle_polls + 1 } else { 0 };
        if idle_polls >= 2 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "after {timeout:?} the pipeline still has unfinished messages ({}): \
                 are the newsflow-langid, -dedup and -enrich services (or newsflow \
                 pipeline, with --fused) running?",
                busy.join(", ")
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
