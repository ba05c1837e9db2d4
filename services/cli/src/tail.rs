//! `newsflow tail`: prints a stream's messages from the start, as JSON lines
//! or as the table of [`crate::table`], and with `--follow` keeps printing
//! new ones.

use std::io::Write;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use newsflow_core::subjects;
use serde_json::{Value, json};

use crate::table;

/// How `tail` prints a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON line per message, as stored (dead letters as an object with
    /// their headers and payload). For programs.
    Json,
    /// A few lines per message cut to the terminal width: a record's id,
    /// language, dedup status, title, top entities, countries and
    /// categories; a duplicate's original; a dead letter's stage, code,
    /// reason and payload. For people.
    Table,
}

/// What `tail` reads and how it prints it.
#[derive(Debug, Clone, Copy)]
pub struct TailOptions {
    /// Stop after this many messages.
    pub count: Option<usize>,
    /// Stop when nothing arrives for this long; `None` waits for new
    /// messages until interrupted (`--follow`).
    pub idle: Option<Duration>,
    pub format: Format,
    /// Terminal columns for the table.
    pub width: usize,
}

/// Prints the messages of `subject` from the start of its stream as the
/// options say. Returns how many were printed.
///
/// # Errors
/// When no stream holds the subject or the consumer cannot be created.
pub async fn tail(
    js: &jetstream::Context,
    subject: &str,
    options: TailOptions,
    out: &mut impl Write,
) -> anyhow::Result<usize> {
    let stream_name = js
        .stream_by_subject(subject)
        .await
        .with_context(|| format!("no stream holds subject {subject} (run `newsflow setup`?)"))?;
    let stream = js
        .get_stream(&stream_name)
        .await
        .with_context(|| format!("opening stream {stream_name}"))?;
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: subject.to_string(),
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .with_context(|| format!("creating an ordered consumer on {stream_name}"))?;
    let mut messages = consumer
        .messages()
        .await
        .with_context(|| format!("reading {stream_name}"))?;
    let kind = table::Kind::of_subject(subject);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut printed = 0;
    while options.count.is_none_or(|n| printed < n) {
        let next = tokio::select! {
            next = next_within(&mut messages, options.idle) => next,
            // Ctrl-C ends a follow as a normal stop, with the output flushed.
            _ = &mut interrupted => None,
        };
        let Some(next) = next else { break };
        let message = next.with_context(|| format!("reading {stream_name}"))?;
        let line = if subject == subjects::DLQ {
            dead_letter_line(&message)
        } else {
            String::from_utf8_lossy(&message.payload).into_owned()
        };
        match options.format {
            Format::Json => writeln!(out, "{line}").context("writing to stdout")?,
            Format::Table => {
                // A payload that is not JSON (a refused input) is shown as text.
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                for row in table::render(kind, &value, options.width) {
                    writeln!(out, "{row}").context("writing to stdout")?;
                }
            }
        }
        // Followed output goes to pipes (`| grep`) as it arrives.
        out.flush().context("writing to stdout")?;
        printed += 1;
    }
    out.flush().context("writing to stdout")?;
    Ok(printed)
}

/// The next message, or `None` when the stream ends or nothing arrives
/// within `idle` (never, when `idle` is `None`).
async fn next_within<S: futures::Stream + Unpin>(
    messages: &mut S,
    idle: Option<Duration>,
) -> Option<S::Item> {
    match idle {
        Some(idle) => tokio::time::timeout(idle, messages.next())
            .await
            .ok()
            .flatten(),
        None => messages.next().await,
    }
}

/// The terminal's width in columns when stdout is one, else `COLUMNS`, else 100.
pub fn terminal_width() -> usize {
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(terminal_size::Width(w), _)| usize::from(w))
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .unwrap_or(100)
}

/// A dead letter as one JSON object: the reason headers and the original payload.
fn dead_letter_line(message: &jetstream::Message) -> String {
    let header = |name: &str| {
        message
            .headers
            .as_ref()
            .and_then(|h| h.get(name))
            .map(|v| Value::String(v.as_str().to_string()))
            .unwrap_or(Value::Null)
    };
    let payload = String::from_utf8_lossy(&message.payload).into_owned();
    json!({
        "stage": header(subjects::HEADER_STAGE),
        "error": header(subjects::HEADER_ERROR),
        "error_code": header(subjects::HEADER_ERROR_CODE),
        "source_subject": header(subjects::HEADER_SOURCE_SUBJECT),
        "source_sequence": header(subjects::HEADER_SOURCE_SEQUENCE),
        "deliveries": header(subjects::HEADER_DELIVERIES),
        "payload": payload,
    })
    .to_string()
}
