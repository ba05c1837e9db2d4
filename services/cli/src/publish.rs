//! `newsflow publish`: articles from files or stdin to `news.raw`.

use std::time::Instant;

use anyhow::Context as _;
use async_nats::jetstream;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use indicatif::{ProgressBar, ProgressStyle};
use newsflow_core::subjects;

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
/// # Errors
/// Never for a single article (counted as failed); only for setup problems.
pub async fn publish_items(
    js: &jetstream::Context,
    subject: &str,
    items: Vec<Item>,
    show_progress: bool,
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
                let publish = jetstream::message::PublishMessage::build()
                    .payload(Bytes::from(payload))
                    .message_id(&id);
                match js.send_publish(subject.to_string(), publish).await {
                    Ok(ack) => pending.push(async move { (origin, ack.await) }),
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
pub fn summary_line(summary: &Summary, files: usize, started: Instant) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "published {} to {} ({} already stored, {} skipped, {} failed) from {} in {:.1}s",
        plural(summary.published, "article", "articles"),
        subjects::RAW,
        summary.already_stored,
        summary.skipped,
        summary.failed,
        plural(files, "input", "inputs"),
        started.elapsed().as_secs_f64()
    )
}
