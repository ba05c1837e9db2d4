//! Helpers shared by the fuzz targets: turning fuzzer bytes into an article,
//! and running a stage's transform without NATS or an async runtime.
//!
//! Structured inputs are plain bytes with fields separated by NUL, so a seed
//! is readable and can be written by hand, and the corpus does not depend on
//! how a crate like `arbitrary` lays out its bytes.

use std::borrow::Cow;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use newsflow_core::contracts::Article;

/// First byte of an input that the `langid` target reads as fields rather
/// than as a raw message payload.
pub const STRUCTURED: u8 = 1;

/// The fields of a structured input, in this order, separated by NUL:
/// `text`, `html`, `title`, `lang_hint`, `url`, `published_at`, `received_at`.
/// Missing and empty fields are `None`; bytes that are not UTF-8 are replaced.
#[derive(Debug, Default)]
pub struct Fields {
    pub text: Option<String>,
    pub html: Option<String>,
    pub title: Option<String>,
    pub lang_hint: Option<String>,
    pub url: Option<String>,
    pub published_at: Option<String>,
    pub received_at: Option<String>,
}

impl Fields {
    pub fn parse(data: &[u8]) -> Self {
        let mut parts = data.split(|b| *b == 0);
        let mut next = || {
            parts
                .next()
                .filter(|p| !p.is_empty())
                .map(|p| lossy(p).into_owned())
        };
        Self {
            text: next(),
            html: next(),
            title: next(),
            lang_hint: next(),
            url: next(),
            published_at: next(),
            received_at: next(),
        }
    }

    /// The article a crawler would have sent with these fields.
    pub fn article(&self) -> Article {
        Article {
            id: Some("fuzz".into()),
            url: self.url.clone(),
            title: self.title.clone(),
            text: self.text.clone(),
            html: self.html.clone(),
            published_at: self.published_at.clone(),
            lang_hint: self.lang_hint.clone(),
            ..Article::default()
        }
    }
}

/// Text as a crawler that decoded a page leniently would send it.
pub fn lossy(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Runs a future that must complete without waiting: the stages' transforms
/// are async only because the loop is; given no NATS they never yield.
pub fn run_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the transform waited on something: it must not without NATS"),
    }
}
