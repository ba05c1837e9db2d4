//! newsflow langid: the first stage.
//!
//! Consumes crawler articles from `news.raw`, validates them (bad input goes to
//! `news.dlq` with the reason), fills in the id, detects the language and
//! publishes a staged article to `news.stage.detected`.
//!
//! The detection itself is the pure [`detect`] module; [`LangidStage`] only
//! adapts it to the shared loop.

pub mod detect;

use std::sync::OnceLock;

use bytes::Bytes;
use newsflow_core::contracts::{Article, STAGED_SCHEMA_VERSION, StagedArticle};
use newsflow_core::intake::{IntakeLimits, decode_article};
use newsflow_core::metrics::{counter_vec, histogram_vec};
use newsflow_core::runtime::{Incoming, Outgoing, Processed, Processor, StageError};
use newsflow_core::text::html_to_text;
use newsflow_core::{stamp, subjects};
use prometheus::{Histogram, IntCounter, IntCounterVec};

pub const STAGE: &str = "langid";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Languages that get their own metric label; others count as `other`.
const LABELLED_LANGUAGES: &[&str] = &[
    "eng", "fra", "ara", "deu", "spa", "ita", "por", "rus", "tur", "pes", "urd", "cmn", "jpn",
    "kor", "hin", "ind", "nld", "pol", "ukr", "heb", "und",
];

struct LangidMetrics {
    articles: IntCounterVec,
    unreliable: IntCounter,
    confidence: Histogram,
}

fn metrics() -> &'static LangidMetrics {
    static METRICS: OnceLock<LangidMetrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let metrics = new_metrics();
        for language in LABELLED_LANGUAGES.iter().chain(&["other"]) {
            metrics.articles.with_label_values(&[language]);
        }
        metrics
    })
}

fn new_metrics() -> LangidMetrics {
    LangidMetrics {
        articles: counter_vec(
            "newsflow_langid_articles_total",
            "Articles by detected language (ISO 639-3; `other` outside the labelled set).",
            &["language"],
        ),
        unreliable: counter_vec(
            "newsflow_langid_unreliable_total",
            "Detections the detector itself calls unreliable.",
            &[],
        )
        .with_label_values(&[] as &[&str]),
        confidence: histogram_vec(
            "newsflow_langid_confidence_ratio",
            "Detector confidence per article.",
            &[],
            &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0],
        )
        .with_label_values(&[] as &[&str]),
    }
}

/// The langid stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct LangidStage {
    pub limits: IntakeLimits,
}

impl LangidStage {
    /// The pure transform: validated article and its position in `news.raw`
    /// in, staged article out.
    pub fn stage_article(
        &self,
        article: Article,
        source_seq: u64,
        received_at: String,
    ) -> StagedArticle {
        let extracted;
        let (title, body) = match (&article.text, &article.html) {
            (Some(text), _) if !text.trim().is_empty() => (article.title.as_deref(), text.as_str()),
            (_, Some(html)) => {
                extracted = html_to_text(html);
                (
                    article.title.as_deref().or(extracted.title.as_deref()),
                    extracted.text.as_str(),
                )
            }
            _ => (article.title.as_deref(), ""),
        };
        let language = detect::detect_article(title, body);
        StagedArticle {
            schema_version: STAGED_SCHEMA_VERSION,
            article,
            source_seq,
            received_at,
            language: Some(language),
            dedup: None,
            pipeline: vec![stamp(STAGE, VERSION)],
        }
    }
}

impl Processor for LangidStage {
    fn stage(&self) -> &'static str {
        STAGE
    }

    fn init_metrics(&self) {
        metrics();
    }

    async fn process(&self, input: Incoming<'_>) -> Result<Processed, StageError> {
        let article = decode_article(input.payload, self.limits)?;
        let received_at = input.stored_at.to_rfc3339_opts(chrono_seconds(), true);
        let staged = self.stage_article(article, input.stream_sequence, received_at);
        if let Some(language) = &staged.language {
            let m = metrics();
            let label = if LABELLED_LANGUAGES.contains(&language.code.as_str()) {
                language.code.as_str()
            } else {
                "other"
            };
            m.articles.with_label_values(&[label]).inc();
            m.confidence.observe(language.confidence);
            if !language.reliable {
                m.unreliable.inc();
            }
        }
        let payload = serde_json::to_vec(&staged).expect("staged article serializes");
        Ok(vec![Outgoing {
            subject: subjects::DETECTED,
            output: "next",
            message_id: staged.message_id(),
            payload: Bytes::from(payload),
        }]
        .into())
    }
}

fn chrono_seconds() -> newsflow_core::chrono::SecondsFormat {
    newsflow_core::chrono::SecondsFormat::Millis
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_a_text_article_with_its_language_and_position() {
        let article = Article {
            id: Some("a1".into()),
            text: Some("Le directeur d'Europol a indiqué mercredi que le groupe a mis au point un réseau social.".into()),
            ..Default::default()
        };
        let staged =
            LangidStage::default().stage_article(article, 42, "2024-01-15T00:00:00.000Z".into());
        assert_eq!(staged.language.as_ref().unwrap().code, "fra");
        assert_eq!(staged.source_seq, 42);
        assert_eq!(staged.message_id(), "a1@42");
        assert_eq!(staged.pipeline[0].stage, "langid");
    }

    #[test]
    fn detects_html_articles_from_their_visible_text() {
        let article = Article {
            id: Some("h1".into()),
            html: Some("<html><head><title>Titel</title><script>var english = 'words words';</script></head><body><p>Die Regierung hat am Mittwoch neue Maßnahmen gegen den Terrorismus beschlossen, teilte das Ministerium mit.</p></body></html>".into()),
            ..Default::default()
        };
        let staged = LangidStage::default().stage_article(article, 1, String::new());
        assert_eq!(staged.language.unwrap().code, "deu");
    }
}
