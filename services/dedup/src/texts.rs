//! Where the verifier reads a candidate's text: the article as the crawler
//! published it, kept in `NEWS_RAW` under the sequence its fingerprint
//! carries.
//!
//! The fingerprint stream holds only sketches (under 300 bytes an article);
//! the texts are already stored once in `NEWS_RAW` for the whole duplicate
//! window, so the replica verifying a candidate reads it from there, and
//! only for candidates.
//!
//! Copies mostly arrive close together, so a candidate is mostly an article
//! this replica decided a moment ago: [`RecentTexts`] keeps the latest texts
//! it read or decided, already tokenized for the verifier, within a memory
//! budget, and only older candidates cost a read from `NEWS_RAW`. A
//! message in `NEWS_RAW` never changes under its sequence, so a kept text
//! is never out of date.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};

use async_nats::jetstream;
use newsflow_core::contracts::Article;
use newsflow_core::html::{self, HtmlLimits};
use rustc_hash::FxHashMap;

use crate::verify::Text;

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

/// An article's text as the verifier reads it, with what the source check
/// and a duplicate notice need of the article.
#[derive(Debug, Clone, Default)]
pub struct KnownText {
    pub text: Text,
    pub title: Option<String>,
    pub source: Option<String>,
    pub url: Option<String>,
}

impl KnownText {
    /// Tokenizes a stored article for the verifier.
    pub fn of_stored(stored: StoredText) -> Self {
        Self {
            text: Text::new(stored.title.as_deref(), &stored.body),
            title: stored.title,
            source: stored.source,
            url: stored.url,
        }
    }

    /// Bytes it takes in memory, roughly.
    fn heap_bytes(&self) -> usize {
        let string = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        self.text.heap_bytes() + string(&self.title) + string(&self.source) + string(&self.url)
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
    ) -> impl Future<Output = Result<Option<Arc<KnownText>>, TextError>> + Send;

    /// Told the text of the article at `source_seq` as the stage decides it,
    /// before its record is appended (when it may become a candidate); a
    /// store that keeps texts keeps it. The default keeps nothing.
    fn remember(&self, source_seq: u64, text: &Arc<KnownText>) {
        let _ = (source_seq, text);
    }
}

/// `NEWS_RAW` through JetStream's message get.
pub struct NatsTexts {
    pub stream: jetstream::stream::Stream,
    pub html: HtmlLimits,
}

impl ArticleTexts for NatsTexts {
    async fn text(&self, source_seq: u64) -> Result<Option<Arc<KnownText>>, TextError> {
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
        let stored = StoredText::of_article(article, &self.html);
        Ok(Some(Arc::new(KnownText::of_stored(stored))))
    }
}

/// The latest texts read or decided, by `NEWS_RAW` sequence, before a
/// store of all of them (`inner`): see the module documentation.
pub struct RecentTexts<T> {
    pub inner: T,
    kept: Mutex<Kept>,
    budget_bytes: usize,
}

/// The texts kept, the oldest first in `order` with the bytes each takes.
#[derive(Default)]
struct Kept {
    texts: FxHashMap<u64, Arc<KnownText>>,
    order: VecDeque<(u64, usize)>,
    bytes: usize,
}

impl<T> RecentTexts<T> {
    /// Keeps texts in front of `inner` within about `budget_bytes` of memory
    /// (0 keeps none).
    pub fn new(inner: T, budget_bytes: usize) -> Self {
        Self {
            inner,
            kept: Mutex::default(),
            budget_bytes,
        }
    }

    /// Texts kept and the bytes they take.
    pub fn kept(&self) -> (usize, usize) {
        let kept = self.kept.lock().expect("lock is never poisoned");
        (kept.texts.len(), kept.bytes)
    }

    fn get(&self, source_seq: u64) -> Option<Arc<KnownText>> {
        let kept = self.kept.lock().expect("lock is never poisoned");
        kept.texts.get(&source_seq).cloned()
    }

    fn keep(&self, source_seq: u64, text: &Arc<KnownText>) {
        let bytes = text.heap_bytes();
        if bytes > self.budget_bytes {
            return;
        }
        let mut kept = self.kept.lock().expect("lock is never poisoned");
        if kept.texts.insert(source_seq, text.clone()).is_some() {
            // Already kept (a redelivery): its place in the order stands.
            return;
        }
        kept.order.push_back((source_seq, bytes));
        kept.bytes += bytes;
        while kept.bytes > self.budget_bytes {
            let Some((oldest, bytes)) = kept.order.pop_front() else {
                break;
            };
            kept.texts.remove(&oldest);
            kept.bytes -= bytes;
        }
    }
}

impl<T: ArticleTexts> ArticleTexts for RecentTexts<T> {
    async fn text(&self, source_seq: u64) -> Result<Option<Arc<KnownText>>, TextError> {
        if let Some(text) = self.get(source_seq) {
            crate::metrics::text_read("kept");
            return Ok(Some(text));
        }
        crate::metrics::text_read("stream");
        let text = self.inner.text(source_seq).await?;
        if let Some(text) = &text {
            self.keep(source_seq, text);
        }
        Ok(text)
    }

    fn remember(&self, source_seq: u64, text: &Arc<KnownText>) {
        self.keep(source_seq, text);
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
    async fn text(&self, source_seq: u64) -> Result<Option<Arc<KnownText>>, TextError> {
        let stored = self
            .texts
            .lock()
            .expect("lock is never poisoned")
            .get(&source_seq)
            .cloned();
        Ok(stored.map(|stored| Arc::new(KnownText::of_stored(stored))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(body: &str) -> Arc<KnownText> {
        Arc::new(KnownText::of_stored(StoredText {
            body: body.into(),
            ..StoredText::default()
        }))
    }

    #[tokio::test]
    async fn remembered_texts_are_served_without_reading_the_store() {
        let recent = RecentTexts::new(MemoryTexts::default(), 1 << 20);
        recent.remember(7, &known("the text this replica decided"));
        let text = recent.text(7).await.unwrap().expect("kept");
        assert_eq!(text.text.len(), 5);
        // Not kept and not stored: gone.
        assert!(recent.text(8).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn texts_read_from_the_store_are_kept_too() {
        let recent = RecentTexts::new(MemoryTexts::default(), 1 << 20);
        recent.inner.insert(
            3,
            StoredText {
                body: "a text read from the stream once".into(),
                ..StoredText::default()
            },
        );
        assert!(recent.text(3).await.unwrap().is_some());
        assert_eq!(recent.kept().0, 1);
    }

    #[tokio::test]
    async fn the_oldest_texts_go_first_beyond_the_budget() {
        let one = known(&"word ".repeat(100)).heap_bytes();
        let recent = RecentTexts::new(MemoryTexts::default(), one * 3);
        for seq in 1..=5 {
            recent.remember(seq, &known(&"word ".repeat(100)));
        }
        let (texts, bytes) = recent.kept();
        assert_eq!(texts, 3);
        assert!(bytes <= one * 3);
        assert!(recent.text(2).await.unwrap().is_none());
        assert!(recent.text(5).await.unwrap().is_some());
        // A text over the whole budget is not kept, and evicts nothing.
        recent.remember(9, &known(&"word ".repeat(1000)));
        assert_eq!(recent.kept().0, 3);
    }
}
