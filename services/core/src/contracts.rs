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
    /// Set by `newsflow replay` on an article it publishes again; passed
    /// through to the record. Crawlers leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
    /// Fields this version does not know; kept and passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Marks an article published again by `newsflow replay`, and its record:
/// the record supersedes the earlier one of the same id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    /// The `NEWS_RAW` sequence of the stored article that was replayed.
    pub of_seq: u64,
    /// The replay run's id (`newsflow replay --run-id`).
    pub run: String,
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

impl Language {
    /// `und`: nothing can be said (no letters), unreliable, decided by nothing.
    pub fn undetermined(script: Option<String>) -> Self {
        Self {
            code: "und".into(),
            iso639_1: None,
            script,
            confidence: 0.0,
            reliable: false,
            method: "none".into(),
        }
    }
}

/// Verdict of the dedup stage, carried in the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DedupInfo {
    /// `unique` for records on `news.enriched`.
    pub status: String,
    /// Id of the group of copies this article starts (its own id when unique).
    pub cluster_id: String,
    /// The same article (same id, same or similar text) came through before:
    /// a crawler's resend or an updated version. Its record replaces the
    /// earlier one; it is never reported as a duplicate of itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resend: bool,
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
    /// What langid read out of `article.html`, once for every stage: the
    /// page's main text and metadata. Set, `article.html` is dropped from
    /// the envelope (the raw page stays in `NEWS_RAW`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<ExtractedPage>,
    #[serde(default)]
    pub pipeline: Vec<PipelineStep>,
}

/// How the main text of a page was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtractionMethod {
    /// Readability scoring chose the article's container.
    Readability,
    /// The visible text of the body, page furniture left out: the page has
    /// no article container, or is too deep or too large to score.
    #[default]
    BodyText,
}

/// The main text and metadata of an HTML page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtractedPage {
    /// Main text, one paragraph a line.
    pub text: String,
    /// The headline (JSON-LD, OpenGraph, `<h1>`, `<title>`), without the site's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The `<title>` element as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// Publication times the page states, most trusted first, as written
    /// (JSON-LD, `article:published_time` and other meta tags, `<time>`, the
    /// URL); the reader parses and validates them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub published: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_name: Option<String>,
    /// The `lang` attribute of `<html>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    pub method: ExtractionMethod,
    /// The text was cut at the configured limit (`[text] max_bytes`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl StagedArticle {
    /// The body text the stages read: the crawler's `text` when it has
    /// content, else the page's main text.
    pub fn body(&self) -> &str {
        match (&self.article.text, &self.page) {
            (Some(text), _) if !text.trim().is_empty() => text,
            (_, Some(page)) => &page.text,
            _ => "",
        }
    }
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
    /// How precise `published_at` is; null when there is no date.
    #[serde(default)]
    pub published_precision: Option<DatePrecision>,
    /// Host of `canonical_url`, else of `url`, without `www.`.
    #[serde(default)]
    pub domain: Option<String>,
    /// The page's canonical URL (HTML input: `<link rel="canonical">`, `og:url`).
    #[serde(default)]
    pub canonical_url: Option<String>,
    /// The site's name (HTML input: `og:site_name`, JSON-LD publisher).
    #[serde(default)]
    pub site_name: Option<String>,
    /// The `lang` attribute of the page (HTML input).
    #[serde(default)]
    pub html_lang: Option<String>,
    /// Days the text names, relative ones resolved against the publication
    /// (else fetch) time.
    #[serde(default)]
    pub dates_mentioned: Vec<DateMention>,
    /// Persons, organizations and places, each once, with every mention.
    #[serde(default)]
    pub entities: Vec<Entity>,
    /// Countries named in the text, the story's main country first.
    #[serde(default)]
    pub countries: Vec<CountryCount>,
    /// Topics whose rules fired, strongest first.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Key phrases, most relevant first.
    #[serde(default)]
    pub keywords: Vec<Keyword>,
    /// Quotations, with their speaker when the text names one.
    #[serde(default)]
    pub quotes: Vec<Quote>,
    /// Quotations in the title (offsets are characters of `title`), with
    /// the speaker the headline opens with (`Name: "…"`); absent when the
    /// title quotes no one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub title_quotes: Vec<Quote>,
    /// Casualty figures and other counts.
    #[serde(default)]
    pub numbers: Vec<NumberMention>,
    /// The lead sentences (at most two).
    #[serde(default)]
    pub summary: Option<String>,
    /// Time to read `text` at an average reading speed.
    #[serde(default)]
    pub reading_time_seconds: u32,
    /// The input's free metadata, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Present when the record comes from `newsflow replay`: it supersedes
    /// the earlier record of the same id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
    /// Input fields newsflow does not know, unchanged.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

/// How precise a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    Second,
    Minute,
    Hour,
    Day,
}

/// A span of the record's `text`, in characters (Unicode scalar values, not
/// bytes): `text.chars().skip(start).take(end - start)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// The text as written.
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// A day the text names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateMention {
    /// The words as written (`أمس الاثنين`, `mercredi`, `15 January 2024`).
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// `absolute` (a full date) or `relative` (resolved against the reference time).
    pub kind: String,
}

/// Kinds of named entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    Person,
    Organization,
    Location,
}

/// A named entity with every mention of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Canonical id: a Wikidata QID (`Q2429253`), a project id (`nf:...`), a
    /// GeoNames id (`geonames:2747891`) for a city of the generated list, a
    /// watch-list id; null for candidates.
    pub id: Option<String>,
    /// Canonical name.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: EntityType,
    /// A name that looks like an entity but is in no list (no id).
    pub candidate: bool,
    /// Id of the entity this one is a branch or part of (ISIS-K -> ISIS).
    pub part_of: Option<String>,
    pub mentions: Vec<Mention>,
}

/// A country and how often the text names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountryCount {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    /// Mentions by name, demonym or capital.
    pub count: usize,
    /// The distinct forms seen, as written.
    pub names: Vec<String>,
}

/// A topic, with the rules that put the article in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Taxonomy id (`terrorism`, `armed_conflict`, ...).
    pub id: String,
    /// Sum of the weights of the matches.
    pub score: u32,
    /// Each rule that fired, as `<rule id>: <matched text>`.
    pub rules: Vec<String>,
}

/// A key phrase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyword {
    pub text: String,
    /// YAKE score: lower is more relevant.
    pub score: f64,
}

/// A quotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// The quoted words, without the quotation marks.
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// Who said it, as the text names them; null when unnamed.
    pub speaker: Option<String>,
    /// The speaker's entity id when the speaker is a known entity.
    pub speaker_id: Option<String>,
}

/// A number the text states, with what it counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberMention {
    pub value: f64,
    /// `killed`, `injured`, `arrested`, `missing`, `displaced` or `count`.
    pub kind: String,
    /// What is counted (`people`, `attacks`, `hours`), when stated.
    pub unit: Option<String>,
    /// Whether the text hedges it (`about`, `more than`, `près de`).
    pub approximate: bool,
    /// The phrase the number was read from.
    pub phrase: String,
    pub start: usize,
    pub end: usize,
}

/// How a duplicate was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateMethod {
    /// Same normalized text.
    Exact,
    /// Similar text (MinHash estimate over shingles, Jaccard or containment).
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

/// The evidence a near-copy verdict rests on (see `services/dedup/src/verify.rs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DuplicateEvidence {
    /// The article the text was compared with (a member of the group of
    /// `duplicate_of`, or `duplicate_of` itself).
    pub compared_with: String,
    /// Share of the shorter text's words in aligned runs of at least 4 words.
    pub aligned_share: f64,
    /// Share of the shorter text's words in aligned passages of at least 10
    /// words, template text left out.
    pub passage_share: f64,
    /// The longest aligned passage, in words.
    pub longest_passage: usize,
    /// Share of the shorter text's lead (first 30 words) aligned.
    pub lead_share: f64,
    /// Share of the longer text's lead aligned.
    pub longer_lead_share: f64,
    /// Distinct numbers of the shorter text (digits of every script folded),
    /// and how many of them the other text has.
    pub numbers: usize,
    pub numbers_shared: usize,
    /// Word overlap (Jaccard) of the titles, when both have one.
    pub title_similarity: Option<f64>,
    /// Share of the shorter text's words that two or more other groups'
    /// articles also have (template, boilerplate), left out of `similarity`.
    pub template_share: f64,
    /// Both articles come from one source, which is held to a higher threshold.
    pub same_source: bool,
    /// Share of the shorter text's words replaced by other words between two
    /// aligned runs (a template's slots filled differently).
    pub substituted_share: f64,
    /// Words compared in the shorter and the longer text.
    pub shorter_words: usize,
    pub longer_words: usize,
}

/// A duplicate notice published on `news.duplicates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateNotice {
    pub id: String,
    pub schema_version: u32,
    /// The earliest article of the group this one copies (the group's
    /// `cluster_id`): the first one seen, in the order dedup settles races.
    pub duplicate_of: String,
    /// `exact`: same normalized text as `duplicate_of`; `near`: similar text.
    pub method: DuplicateMethod,
    /// Similarity in 0..=1 to the closest article of the group (`duplicate_of`
    /// or one of its copies): 1.0 for exact copies, else the share of the
    /// shorter text inside runs of words aligned with the other, template
    /// text left out (`evidence`).
    pub similarity: f64,
    /// The near-duplicate threshold in force: `similarity` reached it (1.0 for `exact`).
    pub threshold: f64,
    /// What the verifier read in both texts (near copies decided by this
    /// version; absent for exact copies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<DuplicateEvidence>,
    /// This article was passed on as unique (and has a record on
    /// `news.enriched`) before an earlier-published copy reached dedup: that
    /// record is withdrawn, `duplicate_of` heads the group now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record_withdrawn: bool,
    /// Heads of other groups this article was also verified a copy of (a
    /// roundup led by one story and holding another, or two versions of one
    /// story that never joined): the article belongs to their stories too,
    /// but the groups stay apart. Empty for most copies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_duplicate_of: Vec<String>,
    pub url: Option<String>,
    pub source: Option<String>,
    pub title: Option<String>,
    pub language: Option<Language>,
    pub pipeline: Vec<PipelineStep>,
}
