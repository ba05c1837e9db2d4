//! Where the verifier reads a candidate's text: the article as the crawler
//! published it, kept in `NEWS_RAW` under the sequence its fingerprint
//! carries.
//!
//! The fingerprint stream holds only sketches (under 300 bytes an article);
//! the texts are already stored once in `NEWS_RAW` for the whole duplicate
//! window, so the replica verifying a candidate reads it from there, and
//! only for candidates.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use async_nats::jetstream;
use newsflow_core::contracts::Article;
use newsflow_core::html::{self, HtmlLimits};

/// A candidate's article, as far as the verifier needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredText {
    pub title: Option<String>,
    pub body: String,
    pub source: Option<String>,
    pub url: Option<String>,
}

impl StoredText {
    /// The text of a published article: its `text`, else the main text of
    /// its page read as langid reads it.
    pub fn of_article(article: Article, limits: &HtmlLimits) -> Self {
        let has_text = article
            .text
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty());
        let (body, page_title) = match (&article.text, &article.html) {
            (Some(text), _) if has_text => (text.clone(), None),
            (_, Some(page)) => {
                let page = html::extract(page, article.url.as_deref(), limits);
                (page.text, page.title)
            }
            _ => (String::new(), None),
        };
        Self {
            title: article.title.or(page_title),
            body,
            source: article.source,
            url: article.url,
        }
    }
}

/// Reading a stored text failed.
#[derive(Debug, thiserror::Error)]
#[error("reading the article at NEWS_RAW sequence {source_seq} failed: {message}")]
pub struct TextError {
    pub source_seq: u64,
    pub message: String,
}

/// Texts of earlier articles, by `NEWS_RAW` sequence.
pub trait ArticleTexts: Send + Sync + 'static {
    /// The article stored at `source_seq`; `Ok(None)` when it is gone (out
    /// of the stream's retention, or deleted).
    fn text(
        &self,
        source_seq: u64,
    ) -> impl Future<Output = Result<Option<StoredText>, TextError>> + Send;
}

/// `NEWS_RAW` through JetStream's message get.
pub struct NatsTexts {
    pub stream: jetstream::stream::Stream,
    pub html: HtmlLimits,
}

impl ArticleTexts for NatsTexts {
    async fn text(&self, source_seq: u64) -> Result<Option<StoredText>, TextError> {
        let err = |message: String| TextError {
            source_seq,
            message,
        };
        let message = match self.stream.get_raw_message(source_seq).await {
            Ok(message) => message,
            Err(e) if e.kind() == jetstream::stream::RawMessageErrorKind::NoMessageFound => {
                return Ok(None);
            }
            Err(e) => return Err(err(e.to_string())),
        };
        // A message langid accepted is an article; anything else is no text.
        let Ok(article) = serde_json::from_slice::<Article>(&message.payload) else {
            return Ok(None);
        };
        Ok(Some(StoredText::of_article(article, &self.html)))
    }
}

/// Texts in memory, for tests and the offline evaluation.
#[derive(Default)]
pub struct MemoryTexts {
    texts: Mutex<HashMap<u64, StoredText>>,
}

impl MemoryTexts {
    pub fn insert(&self, source_seq: u64, text: StoredText) {
        self.texts
            .lock()
            .expect("lock is never poisoned")
            .insert(source_seq, text);
    }
}

impl ArticleTexts for MemoryTexts {
    async fn text(&self, source_seq: u64) -> Result<Option<StoredText>, TextError> {
        Ok(self
            .texts
            .lock()
            .expect("lock is never poisoned")
            .get(&source_seq)
            .cloned())
    }
}
