//! Streams and durable consumers, created idempotently.
//!
//! Services call [`ensure_stage`] at start for what they read and write;
//! `newsflow setup` calls [`ensure_all`]. Both converge the server to the same
//! configuration, so running either again changes nothing.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};

use crate::config::{ConsumerSettings, StreamSettings};
use crate::subjects;

/// Errors while creating or updating JetStream objects.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    #[error("cannot create or update stream {name}{}", refusal(*.refused))]
    Stream {
        name: String,
        /// The server answered and refused the configuration (see [`TopologyError::is_refused`]).
        refused: bool,
        #[source]
        source: async_nats::Error,
    },
    #[error(
        "cannot look up stream {name} (with streams.manage = false services do not create streams: run `newsflow setup` with operator credentials)"
    )]
    Missing {
        name: String,
        #[source]
        source: async_nats::Error,
    },
    #[error("cannot create or update consumer {durable} on stream {stream}{}", refusal(*.refused))]
    Consumer {
        stream: String,
        durable: String,
        refused: bool,
        #[source]
        source: async_nats::Error,
    },
}

fn refusal(refused: bool) -> &'static str {
    if refused {
        " (the server refuses this configuration; change it or remove the existing object)"
    } else {
        ""
    }
}

impl TopologyError {
    /// Whether the server answered and refused the configuration (a setting
    /// that conflicts with the existing object, an invalid value): retrying
    /// cannot help. Connection trouble and transient cluster states (no
    /// leader yet, no peers) are not refusals.
    pub fn is_refused(&self) -> bool {
        match self {
            Self::Stream { refused, .. } | Self::Consumer { refused, .. } => *refused,
            Self::Missing { .. } => false,
        }
    }
}

/// Whether a JetStream API error is the server refusing a configuration,
/// rather than a cluster state that passes.
fn refuses(err: &jetstream::Error) -> bool {
    use jetstream::ErrorCode;
    ![
        ErrorCode::CLUSTER_NOT_AVAILABLE,
        ErrorCode::CLUSTER_NOT_LEADER,
        ErrorCode::CLUSTER_NO_PEERS,
        ErrorCode::INSUFFICIENT_RESOURCES,
        // A stream being created by another process or electing a leader.
        ErrorCode::STREAM_NOT_FOUND,
    ]
    .contains(&err.error_code())
}

/// The role of a stream, which decides its retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRole {
    /// Crawler input: kept for replay, refuses new messages when full.
    Input,
    /// Between stages: refuses new messages when full so nothing unprocessed is dropped.
    Internal,
    /// Records for consumers: oldest dropped when full.
    Output,
    /// Dead letters: kept longest.
    DeadLetter,
}

/// One stream of the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct StreamSpec {
    pub name: &'static str,
    pub subject: &'static str,
    pub role: StreamRole,
    pub description: &'static str,
}

/// Every stream of the pipeline, in flow order.
pub const STREAMS: &[StreamSpec] = &[
    StreamSpec {
        name: subjects::STREAM_RAW,
        subject: subjects::RAW,
        role: StreamRole::Input,
        description: "Articles from crawlers (input contract: proto/article.v1.schema.json)",
    },
    StreamSpec {
        name: subjects::STREAM_DETECTED,
        subject: subjects::DETECTED,
        role: StreamRole::Internal,
        description: "Articles with their language, langid -> dedup",
    },
    StreamSpec {
        name: subjects::STREAM_UNIQUE,
        subject: subjects::UNIQUE,
        role: StreamRole::Internal,
        description: "Articles that are not duplicates, dedup -> enrich",
    },
    StreamSpec {
        name: subjects::STREAM_ENRICHED,
        subject: subjects::ENRICHED,
        role: StreamRole::Output,
        description: "Enriched records (proto/enriched-record.v1.schema.json)",
    },
    StreamSpec {
        name: subjects::STREAM_DUPLICATES,
        subject: subjects::DUPLICATES,
        role: StreamRole::Output,
        description: "Duplicate notices (proto/duplicate-notice.v1.schema.json)",
    },
    StreamSpec {
        name: subjects::STREAM_DLQ,
        subject: subjects::DLQ,
        role: StreamRole::DeadLetter,
        description: "Rejected messages, original payload, reason in headers",
    },
];

/// The stream spec holding `subject`.
///
/// # Panics
/// If no pipeline stream holds that subject (a programming error).
pub fn stream_for(subject: &str) -> &'static StreamSpec {
    STREAMS
        .iter()
        .find(|s| s.subject == subject)
        .unwrap_or_else(|| panic!("no pipeline stream holds subject {subject}"))
}

/// A durable consumer of one stage.
#[derive(Debug, Clone, Copy)]
pub struct ConsumerSpec {
    pub durable: &'static str,
    pub stream: &'static str,
    pub subject: &'static str,
}

/// The durable consumer of the langid stage.
pub const LANGID: ConsumerSpec = ConsumerSpec {
    durable: "langid",
    stream: subjects::STREAM_RAW,
    subject: subjects::RAW,
};

/// The durable consumer of the dedup stage.
pub const DEDUP: ConsumerSpec = ConsumerSpec {
    durable: "dedup",
    stream: subjects::STREAM_DETECTED,
    subject: subjects::DETECTED,
};

/// The durable consumer of the enrich stage.
pub const ENRICH: ConsumerSpec = ConsumerSpec {
    durable: "enrich",
    stream: subjects::STREAM_UNIQUE,
    subject: subjects::UNIQUE,
};

/// The durable consumer of the fused pipeline (`newsflow pipeline`: langid,
/// dedup and enrich in one process), beside the separate stages' ones.
pub const PIPELINE: ConsumerSpec = ConsumerSpec {
    durable: "pipeline",
    stream: subjects::STREAM_RAW,
    subject: subjects::RAW,
};

/// The durable consumer of each stage, in flow order.
pub const CONSUMERS: &[ConsumerSpec] = &[LANGID, DEDUP, ENRICH];

/// Stream configuration for a spec under the given settings.
pub fn stream_config(spec: &StreamSpec, settings: &StreamSettings) -> stream::Config {
    let hours = |h: u64| Duration::from_secs(h * 3600);
    let (max_age, discard) = match spec.role {
        StreamRole::Input => (
            hours(settings.raw_max_age_hours),
            stream::DiscardPolicy::New,
        ),
        StreamRole::Internal => (
            hours(settings.internal_max_age_hours),
            stream::DiscardPolicy::New,
        ),
        StreamRole::Output => (
            hours(settings.output_max_age_hours),
            stream::DiscardPolicy::Old,
        ),
        StreamRole::DeadLetter => (
            hours(settings.dlq_max_age_hours),
            stream::DiscardPolicy::Old,
        ),
    };
    stream::Config {
        name: spec.name.to_string(),
        description: Some(spec.description.to_string()),
        subjects: vec![spec.subject.to_string()],
        retention: stream::RetentionPolicy::Limits,
        max_age,
        max_bytes: settings.max_bytes_per_stream,
        discard,
        duplicate_window: Duration::from_secs(settings.duplicate_window_secs),
        storage: settings.storage(),
        num_replicas: settings.replicas,
        ..Default::default()
    }
}

/// Durable pull consumer configuration for a stage.
pub fn consumer_config(spec: &ConsumerSpec, settings: &ConsumerSettings) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(spec.durable.to_string()),
        description: Some(format!("newsflow {} stage", spec.durable)),
        filter_subject: spec.subject.to_string(),
        deliver_policy: consumer::DeliverPolicy::All,
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: settings.ack_wait(),
        // Unlimited on the server: the loop dead-letters instead (see runtime).
        max_deliver: -1,
        max_ack_pending: settings.max_ack_pending,
        ..Default::default()
    }
}

/// Creates or updates a stream; returns a line saying what it did.
///
/// # Errors
/// When the server refuses the configuration.
pub async fn ensure_stream(
    js: &jetstream::Context,
    spec: &StreamSpec,
    settings: &StreamSettings,
) -> Result<String, TopologyError> {
    let info = js
        .create_or_update_stream(stream_config(spec, settings))
        .await
        .map_err(|e| stream_error(spec.name, e))?;
    Ok(format!(
        "stream {} ({}): {} messages, {} bytes",
        spec.name, spec.subject, info.state.messages, info.state.bytes
    ))
}

/// Checks that the stream `name` exists, for services that do not manage
/// streams (`streams.manage = false`); says what exists.
///
/// # Errors
/// When the stream does not exist (yet) or cannot be looked up.
pub async fn check_stream(js: &jetstream::Context, name: &str) -> Result<String, TopologyError> {
    let missing = |source: async_nats::Error| TopologyError::Missing {
        name: name.into(),
        source,
    };
    let mut stream = js.get_stream(name).await.map_err(|e| missing(e.into()))?;
    let info = stream.info().await.map_err(|e| missing(e.into()))?;
    Ok(format!(
        "stream {name}: {} messages, {} bytes (managed by `newsflow setup`)",
        info.state.messages, info.state.bytes
    ))
}

/// Makes sure the stream of `spec` is there: creates or updates it when
/// services manage streams (`streams.manage`), else only checks that it exists.
///
/// # Errors
/// As [`ensure_stream`] or [`check_stream`].
pub async fn ensure_or_check_stream(
    js: &jetstream::Context,
    spec: &StreamSpec,
    settings: &StreamSettings,
) -> Result<String, TopologyError> {
    if settings.manage {
        ensure_stream(js, spec, settings).await
    } else {
        check_stream(js, spec.name).await
    }
}

/// Creates or updates a stage's durable consumer (its stream must exist).
///
/// # Errors
/// When the server refuses the configuration.
pub async fn ensure_consumer(
    js: &jetstream::Context,
    spec: &ConsumerSpec,
    settings: &ConsumerSettings,
) -> Result<consumer::PullConsumer, TopologyError> {
    let err = |refused: bool, source: async_nats::Error| TopologyError::Consumer {
        stream: spec.stream.into(),
        durable: spec.durable.into(),
        refused,
        source,
    };
    let stream = js.get_stream(spec.stream).await.map_err(|e| {
        let refused = matches!(e.kind(), jetstream::context::GetStreamErrorKind::JetStream(ref api) if refuses(api));
        err(refused, e.into())
    })?;
    stream
        .create_consumer(consumer_config(spec, settings))
        .await
        .map_err(|e| {
            let refused = matches!(e.kind(), jetstream::stream::ConsumerErrorKind::JetStream(ref api) if refuses(api));
            err(refused, e.into())
        })
}

fn stream_error(name: &str, e: jetstream::context::CreateStreamError) -> TopologyError {
    let refused = matches!(e.kind(), jetstream::context::CreateStreamErrorKind::JetStream(ref api) if refuses(api));
    TopologyError::Stream {
        name: name.into(),
        refused,
        source: e.into(),
    }
}

/// The stream of dedup fingerprints: one binary record (149 bytes plus the
/// article id) per article, kept for the dedup window plus an hour, so a
/// replica rebuilding its index always finds every fingerprint a running
/// replica still compares against.
pub fn dedup_fingerprint_stream_config(settings: &StreamSettings) -> stream::Config {
    let max_age = Duration::from_secs((settings.dedup_window_hours + 1) * 3600);
    stream::Config {
        name: subjects::STREAM_DEDUP_FINGERPRINTS.to_string(),
        description: Some(
            "newsflow dedup fingerprints (exact key, MinHash sketch); their order settles races"
                .into(),
        ),
        subjects: vec![subjects::DEDUP_FINGERPRINTS.to_string()],
        retention: stream::RetentionPolicy::Limits,
        max_age,
        discard: stream::DiscardPolicy::Old,
        storage: settings.storage(),
        num_replicas: settings.replicas,
        ..Default::default()
    }
}

/// Creates or updates the dedup fingerprint stream.
///
/// # Errors
/// When the server refuses the configuration.
pub async fn ensure_dedup_fingerprints(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<String, TopologyError> {
    let info = js
        .create_or_update_stream(dedup_fingerprint_stream_config(settings))
        .await
        .map_err(|e| stream_error(subjects::STREAM_DEDUP_FINGERPRINTS, e))?;
    Ok(format!(
        "stream {} ({}): {} fingerprints, {} bytes (window {} h + 1 h)",
        subjects::STREAM_DEDUP_FINGERPRINTS,
        subjects::DEDUP_FINGERPRINTS,
        info.state.messages,
        info.state.bytes,
        settings.dedup_window_hours
    ))
}

/// Creates or updates every stream and consumer; returns what it did.
///
/// # Errors
/// On the first object the server refuses.
pub async fn ensure_all(
    js: &jetstream::Context,
    streams: &StreamSettings,
    consumers: &ConsumerSettings,
) -> Result<Vec<String>, TopologyError> {
    let mut report = Vec::new();
    for spec in STREAMS {
        report.push(ensure_stream(js, spec, streams).await?);
    }
    for spec in CONSUMERS {
        let mut consumer = ensure_consumer(js, spec, consumers).await?;
        let pending = consumer
            .info()
            .await
            .map(|i| i.num_pending.to_string())
            .unwrap_or_else(|_| "?".into());
        report.push(format!(
            "consumer {} on {} ({}): {} pending",
            spec.durable, spec.stream, spec.subject, pending
        ));
    }
    report.push(ensure_dedup_fingerprints(js, streams).await?);
    Ok(report)
}
