//! The wire contracts: input article, internal staged article, enriched record,
//! duplicate notice.
//!
//! The JSON Schemas in `proto/` describe the same shapes; `tests/schemas.rs` in
//! this crate checks one against the other. Unknown input fields are kept
//! (`extra`), never rejected, so crawlers can grow their payloads freely.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the enriched record and duplicate notice contracts.
pub const RECORD_SCHEMA_VERSION: u32 = 1;
/// Version of the internal staged-article contract between stages.
pub const STAGED_SCHEMA_VERSION: u32 = 1;

/// An article as a crawler publishes it on `news.raw`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Stable id. Optional on input: derived from `url`, else from a content hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Publisher or feed name, as the crawler knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Plain text body. At least one of `text` and `html` must hold content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Raw HTML of the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Publication time as the crawler saw it (RFC 3339 preferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// The crawler's guess of the language (ISO 639-1 or 639-3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang_hint: Option<String>,
    /// Free metadata, passed through to the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Fields this version does not know; kept and passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The language of an article, as langid decided it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Language {
    /// ISO 639-3 code (`ara`, `eng`), or `und` when nothing can be said.
    pub code: String,
    /// ISO 639-1 code (`ar`, `en`) where one exists.
    pub iso639_1: Option<String>,
    /// Dominant script (`Arabic`, `Latin`, ...), if any letters were seen.
    pub script: Option<String>,
    /// Detector confidence in 0..=1.
    pub confidence: f64,
    /// Whether the detector considers the answer reliable.
    pub reliable: bool,
    /// What decided the language (`trigram`, `script`, `hint`, `fallback`, `none`).
    pub method: String,
}

/// Verdict of the dedup stage, carried in the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DedupInfo {
    /// `unique` for records on `news.enriched`.
    pub status: String,
    /// Id of the group of copies this article starts (its own id when unique).
    pub cluster_id: String,
}

/// One stage's stamp in the record's `pipeline` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineStep {
    pub stage: String,
    pub version: String,
    /// RFC 3339 UTC.
    pub processed_at: String,
}

/// The envelope passed between stages on the internal subjects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagedArticle {
    pub schema_version: u32,
    /// The input article, with `id` always filled in.
    pub article: Article,
    /// Sequence of the input in `NEWS_RAW`: tells a redelivery (same sequence)
    /// from a second publication of the same article (another sequence).
    pub source_seq: u64,
    /// When the input was stored in `NEWS_RAW` (RFC 3339 UTC).
    pub received_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup: Option<DedupInfo>,
    #[serde(default)]
    pub pipeline: Vec<PipelineStep>,
}

impl StagedArticle {
    /// The article id (always set once langid has run).
    pub fn id(&self) -> &str {
        self.article.id.as_deref().unwrap_or_default()
    }

    /// The `Nats-Msg-Id` for anything published on behalf of this article:
    /// id plus input sequence, so a redelivery repeats it and a re-publication does not.
    pub fn message_id(&self) -> String {
        format!("{}@{}", self.id(), self.source_seq)
    }
}

/// Place and date from a dateline such as `date 2024-01-15 Dina Mahmoud (London)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dateline {
    pub location: Option<String>,
    /// ISO 8601 date (`2024-01-15`).
    pub date: Option<String>,
}

/// The enriched record published on `news.enriched`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichedRecord {
    pub id: String,
    pub schema_version: u32,
    pub title: Option<String>,
    /// Cleaned text.
    pub text: String,
    pub url: Option<String>,
    pub source: Option<String>,
    pub language: Language,
    /// RFC 3339, or null when no date is known.
    pub published_at: Option<String>,
    pub authors: Vec<String>,
    pub dateline: Option<Dateline>,
    pub word_count: usize,
    pub dedup: DedupInfo,
    pub pipeline: Vec<PipelineStep>,
    /// The input's free metadata, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Input fields newsflow does not know, unchanged.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

/// How a duplicate was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateMethod {
    /// Same normalized text.
    Exact,
    /// Similar text (later issue).
    Near,
}

impl DuplicateMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Near => "near",
        }
    }
}

/// A duplicate notice published on `news.duplicates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateNotice {
    pub id: String,
    pub schema_version: u32,
    /// The article this one copies (the first one seen).
    pub duplicate_of: String,
    pub method: DuplicateMethod,
    /// Similarity in 0..=1 (1.0 for exact copies).
    pub similarity: f64,
    pub url: Option<String>,
    pub source: Option<String>,
    pub title: Option<String>,
    pub language: Option<Language>,
    pub pipeline: Vec<PipelineStep>,
}
