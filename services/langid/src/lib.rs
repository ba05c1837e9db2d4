//! newsflow langid: the first stage.
//!
//! Consumes crawler articles from `news.raw`, validates them (bad input goes to
//! `news.dlq` with the reason), fills in the id, detects the language and
//! publishes a staged article to `news.stage.detected`.
//!
//! # Layout
//! - [`detect`]: the pure detector (whatlang over an allowlist, hints,
//!   second pass, optional lingua fallback); [`LangidStage::detect`] is the
//!   one entry point the service and `newsflow detect` share.
//! - [`sample`]: the capped, cleaned text the detector reads.
//! - [`config`]: the `[langid]` settings; [`codes`]: language codes.
//! - `fallback` (cargo feature `lingua-fallback`): the second detector.
//!
//! [`LangidStage`] only adapts the detector to the shared loop.

pub mod codes;
pub mod config;
pub mod detect;
#[cfg(feature = "lingua-fallback")]
mod fallback;
pub mod sample;

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use newsflow_core::contracts::{Article, ExtractedPage, STAGED_SCHEMA_VERSION, StagedArticle};
use newsflow_core::html;
use newsflow_core::intake::{IntakeLimits, Rejection, ShortText, check_text, decode_article};
use newsflow_core::metrics::{counter_vec, histogram_vec};
use newsflow_core::runtime::{CpuThreads, Incoming, Outgoing, Processed, Processor, StageError};
use newsflow_core::{stamp, subjects};
use prometheus::{Histogram, IntCounter, IntCounterVec};

pub use config::LangidConfig;
pub use detect::{ArticleText, Detection, Detector, DetectorError};

pub const STAGE: &str = "langid";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every value of the `method` field, for the bounded metric label set.
const METHODS: &[&str] = &["script", "trigram", "hint", "fallback", "none"];

struct LangidMetrics {
    articles: IntCounterVec,
    methods: IntCounterVec,
    unreliable: IntCounter,
    fallback: IntCounter,
    confidence: Histogram,
}

fn metrics() -> &'static LangidMetrics {
    static METRICS: OnceLock<LangidMetrics> = OnceLock::new();
    METRICS.get_or_init(|| LangidMetrics {
        articles: counter_vec(
            "newsflow_langid_articles_total",
            "Articles by detected language (ISO 639-3 of the configured languages, `und`, or `other`).",
            &["language"],
        ),
        methods: counter_vec(
            "newsflow_langid_decisions_total",
            "Articles by what decided their language (script, trigram, hint, fallback, none).",
            &["method"],
        ),
        unreliable: counter_vec(
            "newsflow_langid_unreliable_total",
            "Detections the detector itself calls unreliable.",
            &[],
        )
        .with_label_values(&[] as &[&str]),
        fallback: counter_vec(
            "newsflow_langid_fallback_total",
            "Articles the second detector (lingua) was asked about, whatever it answered.",
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
    })
}

/// The langid stage: the shared detector plus intake limits.
#[derive(Debug, Clone, Default)]
pub struct LangidStage {
    pub limits: IntakeLimits,
    detector: Arc<Detector>,
}

impl LangidStage {
    /// A stage with the `[langid]` settings.
    ///
    /// # Errors
    /// When the settings are invalid (see [`DetectorError`]).
    pub fn new(config: &LangidConfig, limits: IntakeLimits) -> Result<Self, DetectorError> {
        Ok(Self {
            limits,
            detector: Arc::new(Detector::new(config)?),
        })
    }

    /// The configured detector.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// Detects an article's language from its title, its text (or the main
    /// text of its HTML page), the crawler's hint and the page's `lang`
    /// attribute. `newsflow detect` calls this; the service reads the page
    /// once in [`Self::stage_article`].
    pub fn detect(&self, article: &Article) -> Detection {
        let page = match (&article.text, &article.html) {
            (Some(text), _) if !text.trim().is_empty() => None,
            (_, Some(html)) => Some(html::extract(
                html,
                article.url.as_deref(),
                &self.limits.html,
            )),
            _ => None,
        };
        self.detect_with_page(article, page.as_ref())
    }

    fn detect_with_page(&self, article: &Article, page: Option<&ExtractedPage>) -> Detection {
        let title = article.title.as_deref();
        let lang_hint = article.lang_hint.as_deref();
        match page {
            Some(page) => self.detector.detect(&ArticleText {
                title: title.or(page.title.as_deref()),
                body: &page.text,
                lang_hint,
                html_lang: page.lang.as_deref(),
            }),
            None => self.detector.detect(&ArticleText {
                title,
                body: article.text.as_deref().unwrap_or_default(),
                lang_hint,
                html_lang: None,
            }),
        }
    }

    /// The pure transform: validated article and its position in `news.raw`
    /// in, staged article out. An HTML page is read here, once, and carried
    /// on as `page` for every later stage.
    ///
    /// # Errors
    /// A `no_text` rejection when the body text is shorter than
    /// `text.min_words` and short texts are dead-lettered.
    pub fn stage_article(
        &self,
        article: Article,
        source_seq: u64,
        received_at: String,
    ) -> Result<StagedArticle, Rejection> {
        self.stage_with_detection(article, source_seq, received_at)
            .map(|(staged, _)| staged)
    }

    fn stage_with_detection(
        &self,
        article: Article,
        source_seq: u64,
        received_at: String,
    ) -> Result<(StagedArticle, Detection), Rejection> {
        let mut staged = StagedArticle {
            schema_version: STAGED_SCHEMA_VERSION,
            article,
            source_seq,
            received_at,
            language: None,
            dedup: None,
            page: None,
            pipeline: vec![stamp(STAGE, VERSION)],
        };
        html::attach_page(&mut staged, &self.limits.html);
        if self.limits.short_text == ShortText::DeadLetter {
            check_text(&staged, &self.limits)?;
        }
        let detection = self.detect_with_page(&staged.article, staged.page.as_ref());
        staged.language = Some(detection.language.clone());
        Ok((staged, detection))
    }

    /// The stage's work on a message of `news.raw`: the article decoded,
    /// checked and staged with its language, the detection counted in the
    /// stage's metrics. The service publishes the result; the fused
    /// pipeline hands it to dedup as it is, without encoding it.
    ///
    /// # Errors
    /// A [`Rejection`] when the message is not a valid article, or its text
    /// is too short and short texts are dead-lettered.
    pub fn stage_message(&self, input: Incoming<'_>) -> Result<StagedArticle, Rejection> {
        let article = decode_article(input.payload, self.limits)?;
        let received_at = input.stored_at.to_rfc3339_opts(chrono_seconds(), true);
        let (staged, detection) =
            self.stage_with_detection(article, input.stream_sequence, received_at)?;
        self.record(&detection);
        Ok(staged)
    }

    /// The metric label of a detected code: bounded to the configured
    /// languages, `und` and `other`.
    fn label<'a>(&self, code: &'a str) -> &'a str {
        if code == "und" || self.detector.allowlist().iter().any(|l| l.code() == code) {
            code
        } else {
            "other"
        }
    }

    fn record(&self, detection: &Detection) {
        let m = metrics();
        let language = &detection.language;
        m.articles
            .with_label_values(&[self.label(&language.code)])
            .inc();
        m.methods
            .with_label_values(&[language.method.as_str()])
            .inc();
        m.confidence.observe(language.confidence);
        if !language.reliable {
            m.unreliable.inc();
        }
        if detection.fallback_ran {
            m.fallback.inc();
        }
    }
}

impl Processor for LangidStage {
    type Transformed = Processed;
    type Finished = Processed;

    fn stage(&self) -> &'static str {
        STAGE
    }

    fn init_metrics(&self) {
        let m = metrics();
        let codes = self.detector.allowlist().iter().map(|l| l.code());
        for language in codes.chain(["und", "other"]) {
            m.articles.with_label_values(&[language]);
        }
        for method in METHODS {
            m.methods.with_label_values(&[method]);
        }
    }

    fn transform(&self, input: Incoming<'_>) -> Result<Processed, StageError> {
        let staged = self.stage_message(input)?;
        // Sized for the article and the envelope: growing from empty would
        // copy the payload several times over.
        let mut payload = Vec::with_capacity(input.payload.len() + 1024);
        serde_json::to_writer(&mut payload, &staged).expect("staged article serializes");
        Ok(vec![Outgoing {
            subject: subjects::DETECTED,
            output: "next",
            message_id: staged.message_id(),
            payload: Bytes::from(payload),
        }]
        .into())
    }

    async fn finish(
        &self,
        processed: Processed,
        _cpu: &CpuThreads,
    ) -> Result<Processed, StageError> {
        Ok(processed)
    }

    fn complete(&self, processed: Processed) -> Result<Processed, StageError> {
        Ok(processed)
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
            text: Some("Le directeur d'Europol a indiqué mercredi que le groupe a mis au point un réseau social pour diffuser ses messages auprès de jeunes recrues.".into()),
            ..Default::default()
        };
        let staged = LangidStage::default()
            .stage_article(article, 42, "2024-01-15T00:00:00.000Z".into())
            .unwrap();
        assert_eq!(staged.language.as_ref().unwrap().code, "fra");
        assert_eq!(staged.source_seq, 42);
        assert_eq!(staged.message_id(), "a1@42");
        assert_eq!(staged.pipeline[0].stage, "langid");
    }

    #[test]
    fn detects_html_articles_from_their_visible_text() {
        let article = Article {
            id: Some("h1".into()),
            html: Some("<html><head><title>Titel</title><script>var english = 'words words';</script></head><body><p>Die Regierung hat am Mittwoch neue Maßnahmen gegen den Terrorismus beschlossen, teilte das Ministerium in Berlin nach einer langen Sitzung des Kabinetts mit.</p></body></html>".into()),
            ..Default::default()
        };
        let staged = LangidStage::default()
            .stage_article(article, 1, String::new())
            .unwrap();
        assert_eq!(staged.language.unwrap().code, "deu");
        let page = staged.page.expect("the page is carried on");
        assert!(page.text.starts_with("Die Regierung"), "{}", page.text);
        assert!(
            staged.article.html.is_none(),
            "the raw page stays in news.raw"
        );
    }

    #[test]
    fn short_texts_are_dead_lettered_or_passed_as_configured() {
        let script_only = Article {
            id: Some("s1".into()),
            html: Some(
                "<html><body><script>for (i=0;i<n;i++) {}</script><p>Tiny.</p></body></html>"
                    .into(),
            ),
            ..Default::default()
        };
        let err = LangidStage::default()
            .stage_article(script_only.clone(), 1, String::new())
            .unwrap_err();
        assert_eq!(err.code, "no_text");
        assert!(err.reason.contains("has 1 words"), "{}", err.reason);
        assert!(err.reason.contains("html"), "{}", err.reason);
        let lenient = LangidStage::new(
            &LangidConfig::default(),
            IntakeLimits {
                short_text: ShortText::Pass,
                ..IntakeLimits::default()
            },
        )
        .unwrap();
        let staged = lenient
            .stage_article(script_only, 1, String::new())
            .unwrap();
        assert_eq!(staged.body(), "Tiny.");
    }

    #[test]
    fn uses_the_html_lang_attribute_and_the_crawler_hint() {
        let stage = LangidStage::new(
            &LangidConfig {
                fallback: false,
                ..LangidConfig::default()
            },
            IntakeLimits::default(),
        )
        .unwrap();
        let html = Article {
            html: Some(r#"<html lang="fr"><body><p>Macron à Berlin</p></body></html>"#.into()),
            ..Default::default()
        };
        let language = stage.detect(&html).language;
        assert_eq!(
            (language.code.as_str(), language.method.as_str()),
            ("fra", "hint")
        );
        let hinted = Article {
            title: Some("Macron à Berlin".into()),
            text: Some("Macron à Berlin".into()),
            lang_hint: Some("fra".into()),
            ..Default::default()
        };
        assert_eq!(stage.detect(&hinted).language.method, "hint");
    }

    #[test]
    fn metric_labels_are_the_configured_languages_und_and_other() {
        let stage = LangidStage::new(
            &LangidConfig {
                allowlist: vec!["en".into(), "fr".into()],
                ..LangidConfig::default()
            },
            IntakeLimits::default(),
        )
        .unwrap();
        assert_eq!(stage.label("eng"), "eng");
        assert_eq!(stage.label("und"), "und");
        assert_eq!(stage.label("ell"), "other");
        assert_eq!(stage.label("deu"), "other");
    }
}
