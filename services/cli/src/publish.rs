//! `newsflow publish`: articles from files or stdin to `news.raw`.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::jetstream;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use indicatif::{ProgressBar, ProgressStyle};
use newsflow_core::runtime::{publish_error_is_transient, retry_with_backoff};

use crate::sources::Item;

/// Publishes allowed in flight at once (acks not yet received).
const WINDOW: usize = 1024;

/// What a publish run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub published: usize,
    /// Publishes JetStream dropped as repeats (same id within the duplicate window).
    pub already_stored: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// Publishes every article to `subject` with `Nats-Msg-Id` = article id,
/// printing skipped inputs and failures to stderr.
///
/// A publish the server answers with a passing state (no responders while
/// a starting service updates the stream, a timeout, no leader yet) is sent
/// again with back-off for up to `retry_for`, as the services do with their
/// outputs; the message id makes a resend of a stored article a no-op.
///
/// # Errors
/// Never for a single article (counted as failed); only for setup problems.
pub async fn publish_items(
    js: &jetstream::Context,
    subject: &str,
    items: Vec<Item>,
    show_progress: bool,
    retry_for: Duration,
) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    let total = items
        .iter()
        .filter(|i| matches!(i, Item::Article { .. }))
        .count();
    let progress = if show_progress {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} articles {per_sec} eta {eta}",
            )
            .context("progress bar template")?,
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut pending = FuturesUnordered::new();
    for item in items {
        match item {
            Item::Skipped { origin, reason } => {
                summary.skipped += 1;
                progress.suspend(|| eprintln!("skipped {origin}: {reason}"));
            }
            Item::Article {
                origin,
                id,
                payload,
            } => {
                let payload = Bytes::from(payload);
                // The first send stays in input order (dedup keeps the
                // first-published copy as the original); only retries of a
                // failed one run later, beside the others.
                match send(js, subject, &id, payload.clone()).await {
                    Ok(ack) => {
                        let (js, subject, progress) =
                            (js.clone(), subject.to_string(), progress.clone());
                        pending.push(async move {
                            let result = match ack.await {
                                Err(err) if publish_error_is_transient(&err) => {
                                    progress.suspend(|| {
                                        eprintln!(
                                            "retrying {origin} for up to {retry_for:?}: {err}"
                                        );
                                    });
                                    retry_with_backoff(
                                        retry_for,
                                        || async {
                                            send(&js, &subject, &id, payload.clone()).await?.await
                                        },
                                        |err, _| publish_error_is_transient(err),
                                    )
                                    .await
                                }
                                other => other,
                            };
                            (origin, result)
                        });
                    }
                    Err(err) => {
                        summary.failed += 1;
                        progress.suspend(|| eprintln!("failed {origin}: {err}"));
                    }
                }
                while pending.len() >= WINDOW {
                    settle(pending.next().await, &mut summary, &progress);
                }
            }
        }
    }
    while let Some(result) = pending.next().await {
        settle(Some(result), &mut summary, &progress);
    }
    progress.finish_and_clear();
    Ok(summary)
}

/// Sends one article; the returned future resolves to the stream's ack.
async fn send(
    js: &jetstream::Context,
    subject: &str,
    id: &str,
    payload: Bytes,
) -> Result<jetstream::context::PublishAckFuture, jetstream::context::PublishError> {
    let publish = jetstream::message::PublishMessage::build()
        .payload(payload)
        .message_id(id);
    js.send_publish(subject.to_string(), publish).await
}

fn settle(
    result: Option<(
        String,
        Result<jetstream::publish::PublishAck, jetstream::context::PublishError>,
    )>,
    summary: &mut Summary,
    progress: &ProgressBar,
) {
    let Some((origin, result)) = result else {
        return;
    };
    progress.inc(1);
    match result {
        Ok(ack) if ack.duplicate => summary.already_stored += 1,
        Ok(_) => summary.published += 1,
        Err(err) => {
            summary.failed += 1;
            progress.suspend(|| eprintln!("failed {origin}: no acknowledgement: {err}"));
        }
    }
}

/// The line printed at the end of `newsflow publish`.
pub fn summary_line(summary: &Summary, subject: &str, files: usize, started: Instant) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "published {} to {} ({} already stored, {} skipped, {} failed) from {} in {:.1}s",
        plural(summary.published, "article", "articles"),
        subject,
        summary.already_stored,
        summary.skipped,
        summary.failed,
        plural(files, "input", "inputs"),
        started.elapsed().as_secs_f64()
    )
}
