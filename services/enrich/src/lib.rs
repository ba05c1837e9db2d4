//! newsflow enrich: the third stage.
//!
//! Consumes unique staged articles from `news.stage.unique` and publishes
//! enriched records to `news.enriched`: cleaned text, a title when the input
//! has none, the date, authors and place from the article's header, and a word
//! count. [`enrich`] is the pure transform; [`EnrichStage`] adapts it to the loop.

pub mod header;

use std::sync::OnceLock;

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use newsflow_core::contracts::{
    Dateline, DedupInfo, EnrichedRecord, Language, RECORD_SCHEMA_VERSION, StagedArticle,
};
use newsflow_core::intake::decode_staged;
use newsflow_core::metrics::{counter_vec, histogram_vec};
use newsflow_core::runtime::{Incoming, Outgoing, Processed, Processor, StageError};
use newsflow_core::text::{html_to_text, tidy_lines, word_count};
use newsflow_core::{stamp, subjects};
use prometheus::{Histogram, IntCounterVec};

pub const STAGE: &str = "enrich";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Longest first line taken as the title of an article that has none.
const MAX_TITLE_LINE_CHARS: usize = 150;
/// Length a title cut from the first sentence is trimmed to.
const MAX_DERIVED_TITLE_CHARS: usize = 120;

/// Enriches one unique staged article into a record.
pub fn enrich(staged: StagedArticle) -> EnrichedRecord {
    let id = staged.id().to_string();
    let article = staged.article;
    let (raw_text, html_title) = match (&article.text, &article.html) {
        (Some(text), _) if !text.trim().is_empty() => (text.clone(), None),
        (_, Some(html)) => {
            let extracted = html_to_text(html);
            (extracted.text, extracted.title)
        }
        _ => (String::new(), None),
    };
    let (header, body) = header::split_header(&raw_text);
    let mut text = tidy_lines(&body);

    let given_title = article
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .or(html_title);
    let title = match given_title {
        Some(title) => Some(title),
        None => {
            let (title, rest) = derive_title(&text);
            if let Some(rest) = rest {
                text = rest;
            }
            title
        }
    };

    let published_at = article
        .published_at
        .as_deref()
        .and_then(normalize_timestamp)
        .or_else(|| header.date.map(midnight_utc));
    let dateline = (header.location.is_some() || header.date.is_some()).then(|| Dateline {
        location: header.location.clone(),
        date: header.date.map(|d| d.format("%Y-%m-%d").to_string()),
    });
    let mut pipeline = staged.pipeline;
    pipeline.push(stamp(STAGE, VERSION));
    EnrichedRecord {
        word_count: word_count(&text),
        dedup: staged.dedup.unwrap_or_else(|| DedupInfo {
            status: "unique".into(),
            cluster_id: id.clone(),
        }),
        id,
        schema_version: RECORD_SCHEMA_VERSION,
        title,
        text,
        url: article.url,
        source: article.source,
        language: staged.language.unwrap_or_else(undetermined),
        published_at,
        authors: header.authors,
        dateline,
        pipeline,
        metadata: article.metadata,
        extra: article.extra,
    }
}

/// A title for an article without one: a short first line (removed from the
/// text, returned as the rest), else the start of the first sentence.
fn derive_title(text: &str) -> (Option<String>, Option<String>) {
    let Some((first, rest)) = text.split_once('\n').or(Some((text, ""))) else {
        return (None, None);
    };
    let first = first.trim();
    if first.is_empty() {
        return (None, None);
    }
    let chars = first.chars().count();
    if chars <= MAX_TITLE_LINE_CHARS && !rest.trim().is_empty() && !first.ends_with(['.', ':']) {
        return (Some(first.to_string()), Some(rest.to_string()));
    }
    let sentence_end = first
        .char_indices()
        .find(|&(i, c)| matches!(c, '.' | '!' | '?' | '؟' | '。') && i > 20)
        .map_or(first.len(), |(i, _)| i);
    let sentence = &first[..sentence_end];
    if sentence.chars().count() <= MAX_DERIVED_TITLE_CHARS {
        return (
            Some(sentence.trim().trim_end_matches('.').to_string()),
            None,
        );
    }
    let mut cut: String = sentence.chars().take(MAX_DERIVED_TITLE_CHARS).collect();
    if let Some(space) = cut.rfind(' ') {
        cut.truncate(space);
    }
    cut.push('…');
    (Some(cut), None)
}

/// RFC 3339 UTC from the timestamp shapes crawlers send.
pub fn normalize_timestamp(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(
            t.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        );
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(raw) {
        return Some(
            t.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        );
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true));
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .map(midnight_utc)
}

fn midnight_utc(date: NaiveDate) -> String {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn undetermined() -> Language {
    Language {
        code: "und".into(),
        iso639_1: None,
        script: None,
        confidence: 0.0,
        reliable: false,
        method: "none".into(),
    }
}

struct EnrichMetrics {
    articles: IntCounterVec,
    fields: IntCounterVec,
    words: Histogram,
}

fn metrics() -> &'static EnrichMetrics {
    static METRICS: OnceLock<EnrichMetrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let metrics = new_metrics();
        for input in ["text", "html"] {
            metrics.articles.with_label_values(&[input]);
        }
        for field in ["dateline", "published_at", "authors", "title_derived"] {
            metrics.fields.with_label_values(&[field]);
        }
        metrics
    })
}

fn new_metrics() -> EnrichMetrics {
    EnrichMetrics {
        articles: counter_vec(
            "newsflow_enrich_articles_total",
            "Articles enriched, by input kind (text, html).",
            &["input"],
        ),
        fields: counter_vec(
            "newsflow_enrich_fields_found_total",
            "Records in which a field was found (dateline, published_at, authors, title_derived).",
            &["field"],
        ),
        words: histogram_vec(
            "newsflow_enrich_article_words",
            "Words per enriched article.",
            &[],
            &[
                10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0,
            ],
        )
        .with_label_values(&[] as &[&str]),
    }
}

/// The enrich stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnrichStage;

impl Processor for EnrichStage {
    fn stage(&self) -> &'static str {
        STAGE
    }

    fn init_metrics(&self) {
        metrics();
    }

    async fn process(&self, input: Incoming<'_>) -> Result<Processed, StageError> {
        let staged = decode_staged(input.payload)?;
        let message_id = staged.message_id();
        let from_html = staged
            .article
            .text
            .as_deref()
            .is_none_or(|t| t.trim().is_empty());
        let had_title = staged.article.title.is_some();
        let record = enrich(staged);

        let m = metrics();
        m.articles
            .with_label_values(&[if from_html { "html" } else { "text" }])
            .inc();
        m.words.observe(record.word_count as f64);
        for (field, found) in [
            ("dateline", record.dateline.is_some()),
            ("published_at", record.published_at.is_some()),
            ("authors", !record.authors.is_empty()),
            ("title_derived", !had_title && record.title.is_some()),
        ] {
            if found {
                m.fields.with_label_values(&[field]).inc();
            }
        }
        Ok(vec![Outgoing {
            subject: subjects::ENRICHED,
            output: "enriched",
            message_id,
            payload: Bytes::from(serde_json::to_vec(&record).expect("record serializes")),
        }]
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use newsflow_core::contracts::{Article, STAGED_SCHEMA_VERSION};

    fn staged(article: Article) -> StagedArticle {
        StagedArticle {
            schema_version: STAGED_SCHEMA_VERSION,
            article,
            source_seq: 3,
            received_at: "2024-01-16T08:00:00.000Z".into(),
            language: None,
            dedup: None,
            pipeline: vec![],
        }
    }

    #[test]
    fn a_dateline_header_gives_date_author_and_place() {
        let record = enrich(staged(Article {
            id: Some("d1".into()),
            text: Some(
                " date 2024-01-15 Dina Mahmoud (London)\n\nThe   first paragraph.\n\nThe second."
                    .into(),
            ),
            ..Default::default()
        }));
        assert_eq!(record.published_at.as_deref(), Some("2024-01-15T00:00:00Z"));
        assert_eq!(record.authors, vec!["Dina Mahmoud"]);
        let dateline = record.dateline.unwrap();
        assert_eq!(dateline.location.as_deref(), Some("London"));
        assert_eq!(dateline.date.as_deref(), Some("2024-01-15"));
        assert_eq!(record.text, "The first paragraph.\nThe second.");
        assert_eq!(record.title.as_deref(), Some("The first paragraph"));
        assert_eq!(record.word_count, 5);
        assert_eq!(record.pipeline.last().unwrap().stage, "enrich");
    }

    #[test]
    fn a_short_first_line_becomes_the_title() {
        let record = enrich(staged(Article {
            id: Some("t1".into()),
            text: Some("No Perfect Defense\n\nBody of the article goes here.".into()),
            ..Default::default()
        }));
        assert_eq!(record.title.as_deref(), Some("No Perfect Defense"));
        assert_eq!(record.text, "Body of the article goes here.");
    }

    #[test]
    fn the_crawlers_title_and_date_win() {
        let record = enrich(staged(Article {
            id: Some("t2".into()),
            title: Some("Given".into()),
            published_at: Some("2024-03-01T10:00:00+02:00".into()),
            text: Some("date 2024-01-15 Someone (Paris)\nBody.".into()),
            ..Default::default()
        }));
        assert_eq!(record.title.as_deref(), Some("Given"));
        assert_eq!(record.published_at.as_deref(), Some("2024-03-01T08:00:00Z"));
    }

    #[test]
    fn html_input_is_reduced_to_text_with_its_title() {
        let record = enrich(staged(Article {
            id: Some("h1".into()),
            html: Some("<html><head><title>Page title</title></head><body><nav>Menu</nav><p>One.</p><p>Two.</p></body></html>".into()),
            ..Default::default()
        }));
        assert_eq!(record.title.as_deref(), Some("Page title"));
        assert_eq!(record.text, "One.\nTwo.");
    }

    #[test]
    fn timestamps_are_normalized_or_dropped() {
        assert_eq!(
            normalize_timestamp("2024-01-15").as_deref(),
            Some("2024-01-15T00:00:00Z")
        );
        assert_eq!(
            normalize_timestamp("2024-01-15 10:30:00").as_deref(),
            Some("2024-01-15T10:30:00Z")
        );
        assert_eq!(
            normalize_timestamp("Mon, 15 Jan 2024 10:30:00 +0100").as_deref(),
            Some("2024-01-15T09:30:00Z")
        );
        assert_eq!(normalize_timestamp("last tuesday"), None);
    }

    #[test]
    fn a_long_first_sentence_is_cut_into_a_title() {
        let long = "word ".repeat(60) + "end.";
        let (title, rest) = derive_title(&long);
        assert!(rest.is_none());
        let title = title.unwrap();
        assert!(
            title.ends_with('…') && title.chars().count() <= MAX_DERIVED_TITLE_CHARS + 1,
            "{title}"
        );
    }
}
