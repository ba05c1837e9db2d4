//! `newsflow replay`: stored articles of `NEWS_RAW` published to `news.raw`
//! again, so they run through the pipeline once more.
//!
//! Each replayed article is the stored one with `replay: {"of_seq", "run"}`
//! added (the record keeps it). Its `Nats-Msg-Id` is
//! `<id>@replay:<run>:<of_seq>`: never the article id, which the duplicate
//! window would drop as a repeat of the original within 2 hours, and the
//! same for every attempt of one run, so a run started again with its
//! `--run-id` (after a crash, or a publish that failed) stores each article
//! once. The range ends at the stream's last message when the run starts,
//! so the run never replays its own output.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use newsflow_core::contracts::Article;
use newsflow_core::subjects;
use serde_json::Value;

use crate::publish::{self, Summary};
use crate::sources::Item;

/// Articles handed to one `publish_items` call.
const CHUNK: usize = 1000;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("start").required(true).args(["from_seq", "since"])))]
pub struct ReplayArgs {
    /// First NEWS_RAW sequence to replay.
    #[arg(long, value_name = "SEQ")]
    pub from_seq: Option<u64>,
    /// Replay what was stored at or after this time (RFC 3339, e.g. 2025-06-01T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Last NEWS_RAW sequence to replay [default: the last one when the run starts].
    #[arg(long, value_name = "SEQ")]
    pub to_seq: Option<u64>,
    /// Id of this run, part of every message id. Give the id a run printed
    /// to start it again without storing anything twice [default: a new
    /// one from the current time].
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
}

/// What a replay did.
#[derive(Debug, Default)]
pub struct Replayed {
    pub publish: Summary,
    /// Stored messages that are not JSON articles (langid dead-lettered
    /// them the first time; they are left out).
    pub not_articles: usize,
}

/// Replays the range; prints the run id first and a summary at the end.
/// A publish the server answers with a passing state is retried for up to
/// `retry_for`.
///
/// # Errors
/// When NEWS_RAW cannot be read or a publish is not acknowledged.
pub async fn run(
    js: &jetstream::Context,
    args: &ReplayArgs,
    retry_for: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let run = args
        .run_id
        .clone()
        .unwrap_or_else(|| chrono::Utc::now().format("r%Y%m%dT%H%M%S").to_string());
    eprintln!("replay run {run} (start it again with --run-id {run} to resume without duplicates)");
    let replayed = replay(js, args, &run, retry_for).await?;
    eprintln!(
        "replayed {} articles to {} ({} already stored by this run, {} failed, {} stored messages not articles, left out) in {:.1}s",
        replayed.publish.published,
        subjects::RAW,
        replayed.publish.already_stored,
        replayed.publish.failed,
        replayed.not_articles,
        started.elapsed().as_secs_f64()
    );
    if replayed.publish.failed > 0 {
        anyhow::bail!(
            "{} articles could not be published; run again with --run-id {run}",
            replayed.publish.failed
        );
    }
    Ok(())
}

async fn replay(
    js: &jetstream::Context,
    args: &ReplayArgs,
    run: &str,
    retry_for: Duration,
) -> anyhow::Result<Replayed> {
    let mut stream = js
        .get_stream(subjects::STREAM_RAW)
        .await
        .with_context(|| format!("opening stream {}", subjects::STREAM_RAW))?;
    let last = stream
        .info()
        .await
        .with_context(|| format!("reading the state of {}", subjects::STREAM_RAW))?
        .state
        .last_sequence;
    let end = args.to_seq.map_or(last, |to| to.min(last));
    let deliver_policy = match (args.from_seq, args.since) {
        (Some(start_sequence), _) => consumer::DeliverPolicy::ByStartSequence { start_sequence },
        (None, Some(since)) => consumer::DeliverPolicy::ByStartTime { start_time: since },
        (None, None) => unreachable!("clap requires --from-seq or --since"),
    };
    let mut replayed = Replayed::default();
    if args.from_seq.is_some_and(|from| from > end) || last == 0 {
        return Ok(replayed);
    }
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: subjects::RAW.to_string(),
            deliver_policy,
            ..Default::default()
        })
        .await
        .with_context(|| format!("creating an ordered consumer on {}", subjects::STREAM_RAW))?;
    let mut messages = consumer
        .messages()
        .await
        .with_context(|| format!("reading {}", subjects::STREAM_RAW))?;
    let mut items = Vec::with_capacity(CHUNK);
    loop {
        // Nothing within a few seconds: the range holds no more (--since
        // past the last message, or messages deleted at its end).
        let next = match tokio::time::timeout(Duration::from_secs(5), messages.next()).await {
            Ok(Some(next)) => next,
            Ok(None) | Err(_) => break,
        };
        let message = next.with_context(|| format!("reading {}", subjects::STREAM_RAW))?;
        let info = message.info().map_err(|err| {
            anyhow::anyhow!(
                "a message of {} without metadata: {err}",
                subjects::STREAM_RAW
            )
        })?;
        let sequence = info.stream_sequence;
        if sequence > end {
            break;
        }
        // The server starts at the first message stored at or after
        // --since; one stored earlier (a start time the server did not
        // take, e.g. one in the future) is not in the range.
        if args.since.is_some_and(|since| info.published < since) {
            if sequence == end {
                break;
            }
            continue;
        }
        match replayed_article(&message.payload, sequence, run) {
            Some((message_id, payload)) => items.push(Item::Article {
                origin: format!("{} #{sequence}", subjects::STREAM_RAW),
                id: message_id,
                payload,
            }),
            None => replayed.not_articles += 1,
        }
        if items.len() == CHUNK {
            add(
                &mut replayed.publish,
                publish_chunk(js, &mut items, retry_for).await?,
            );
        }
        if sequence == end {
            break;
        }
    }
    add(
        &mut replayed.publish,
        publish_chunk(js, &mut items, retry_for).await?,
    );
    Ok(replayed)
}

async fn publish_chunk(
    js: &jetstream::Context,
    items: &mut Vec<Item>,
    retry_for: Duration,
) -> anyhow::Result<Summary> {
    publish::publish_items(js, subjects::RAW, std::mem::take(items), false, retry_for).await
}

fn add(total: &mut Summary, part: Summary) {
    total.published += part.published;
    total.already_stored += part.already_stored;
    total.skipped += part.skipped;
    total.failed += part.failed;
}

/// The message id and payload of the replay of the article stored at
/// `sequence`; `None` when the stored message is not a JSON article.
pub fn replayed_article(payload: &[u8], sequence: u64, run: &str) -> Option<(String, Vec<u8>)> {
    let mut value: Value = serde_json::from_slice(payload).ok()?;
    let article: Article = serde_json::from_value(value.clone()).ok()?;
    // The id langid gives it: the crawler's, or the one derived from its
    // content (the replay field is not part of that).
    let id = article
        .id
        .as_deref()
        .filter(|id| !id.trim().is_empty())
        .map_or_else(
            || newsflow_core::intake::derive_id(&article),
            str::to_string,
        );
    let object = value.as_object_mut()?;
    object.insert(
        "replay".into(),
        serde_json::json!({"of_seq": sequence, "run": run}),
    );
    let payload = serde_json::to_vec(&value).expect("a JSON value serializes");
    Some((format!("{id}@replay:{run}:{sequence}"), payload))
}

#[cfg(test)]
mod tests {
    use super::replayed_article;

    #[test]
    fn a_replay_keeps_the_article_and_marks_it() {
        let (message_id, payload) = replayed_article(
            br#"{"id":"a1","text":"Body.","crawler":{"run":3}}"#,
            42,
            "r1",
        )
        .unwrap();
        assert_eq!(message_id, "a1@replay:r1:42");
        let value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            value["replay"],
            serde_json::json!({"of_seq": 42, "run": "r1"})
        );
        assert_eq!(value["crawler"]["run"], 3);
        assert_eq!(value["text"], "Body.");
    }

    #[test]
    fn an_article_without_id_keeps_the_id_langid_derives() {
        let payload = br#"{"url":"https://example.test/a","text":"Body."}"#;
        let (message_id, replayed) = replayed_article(payload, 7, "r1").unwrap();
        let original: newsflow_core::contracts::Article = serde_json::from_slice(payload).unwrap();
        let again: newsflow_core::contracts::Article = serde_json::from_slice(&replayed).unwrap();
        let id = newsflow_core::intake::derive_id(&original);
        assert_eq!(newsflow_core::intake::derive_id(&again), id);
        assert_eq!(message_id, format!("{id}@replay:r1:7"));
    }

    #[test]
    fn what_is_not_an_article_is_left_out() {
        assert!(replayed_article(b"not json", 1, "r").is_none());
        assert!(replayed_article(b"[1,2]", 1, "r").is_none());
        assert!(replayed_article(br#"{"title":42}"#, 1, "r").is_none());
    }
}
