//! `newsflow tail`: prints a stream's messages from the start as JSON lines.

use std::io::Write;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use newsflow_core::subjects;
use serde_json::{Value, json};

/// Prints up to `count` messages of `subject` (all when `None`), stopping when
/// nothing arrives for `idle`. Returns how many were printed.
///
/// # Errors
/// When no stream holds the subject or the consumer cannot be created.
pub async fn tail(
    js: &jetstream::Context,
    subject: &str,
    count: Option<usize>,
    idle: Duration,
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
    let mut printed = 0;
    while count.is_none_or(|n| printed < n) {
        let next = match tokio::time::timeout(idle, messages.next()).await {
            Err(_) | Ok(None) => break,
            Ok(Some(next)) => next,
        };
        let message = next.with_context(|| format!("reading {stream_name}"))?;
        let line = if subject == subjects::DLQ {
            dead_letter_line(&message)
        } else {
            String::from_utf8_lossy(&message.payload).into_owned()
        };
        writeln!(out, "{line}").context("writing to stdout")?;
        printed += 1;
    }
    out.flush().context("writing to stdout")?;
    Ok(printed)
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
