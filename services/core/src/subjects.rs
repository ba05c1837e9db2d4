//! Names on the wire: subjects, streams, durable consumers and headers.
//!
//! Every service and the CLI take these names from here, so the topology is
//! written down once. The README and `proto/README.md` document each one.

/// Crawlers publish input articles here.
pub const RAW: &str = "news.raw";
/// Articles with their language, from langid to dedup.
pub const DETECTED: &str = "news.stage.detected";
/// Articles that are not duplicates, from dedup to enrich.
pub const UNIQUE: &str = "news.stage.unique";
/// Enriched records, for consumers.
pub const ENRICHED: &str = "news.enriched";
/// Duplicate notices, for consumers.
pub const DUPLICATES: &str = "news.duplicates";
/// Rejected messages: the original payload with the reason in headers.
pub const DLQ: &str = "news.dlq";

/// Stream holding [`RAW`].
pub const STREAM_RAW: &str = "NEWS_RAW";
/// Stream holding [`DETECTED`].
pub const STREAM_DETECTED: &str = "NEWS_DETECTED";
/// Stream holding [`UNIQUE`].
pub const STREAM_UNIQUE: &str = "NEWS_UNIQUE";
/// Stream holding [`ENRICHED`].
pub const STREAM_ENRICHED: &str = "NEWS_ENRICHED";
/// Stream holding [`DUPLICATES`].
pub const STREAM_DUPLICATES: &str = "NEWS_DUPLICATES";
/// Stream holding [`DLQ`].
pub const STREAM_DLQ: &str = "NEWS_DLQ";

/// Dedup fingerprints (exact-copy key and MinHash sketch), appended by dedup;
/// their order in the stream decides which of two copies is the duplicate.
pub const DEDUP_FINGERPRINTS: &str = "newsflow.dedup.fingerprints";
/// Stream holding [`DEDUP_FINGERPRINTS`].
pub const STREAM_DEDUP_FINGERPRINTS: &str = "DEDUP_FINGERPRINTS";

/// Header naming the stage that dead-lettered a message.
pub const HEADER_STAGE: &str = "Newsflow-Stage";
/// Header with the human-readable reason a message was dead-lettered.
pub const HEADER_ERROR: &str = "Newsflow-Error";
/// Header with the bounded error code (the `reason` label of the dead-letter metric).
pub const HEADER_ERROR_CODE: &str = "Newsflow-Error-Code";
/// Header with the subject the dead-lettered message was read from.
pub const HEADER_SOURCE_SUBJECT: &str = "Newsflow-Source-Subject";
/// Header with the stream sequence of the dead-lettered message.
pub const HEADER_SOURCE_SEQUENCE: &str = "Newsflow-Source-Sequence";
/// Header with the number of delivery attempts when the message was dead-lettered.
pub const HEADER_DELIVERIES: &str = "Newsflow-Deliveries";
