//! Decoding and validating what arrives on the wire.
//!
//! Every check that can reject a message lives here, so each rejection has one
//! code (a bounded metric label) and one human-readable reason that names the
//! field or byte offset at fault.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::contracts::{
    Article, DedupInfo, ExtractedPage, ExtractionMethod, Language, PipelineStep,
    STAGED_SCHEMA_VERSION, StagedArticle,
};
use crate::html::HtmlLimits;
use crate::text::words_up_to;

/// Why a message was rejected: a bounded `code` plus a reason for humans.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Rejection {
    /// One of the `reject_code` constants; used as a metric label.
    pub code: &'static str,
    /// Names what failed and where (field, byte offset, line and column).
    pub reason: String,
    /// The stage that refused the message, when it is not the one running
    /// the loop (the fused pipeline runs three): its dead letter names it.
    pub stage: Option<&'static str>,
}

/// Bounded rejection codes.
pub mod reject_code {
    pub const EMPTY: &str = "empty";
    pub const TOO_LARGE: &str = "too_large";
    pub const INVALID_UTF8: &str = "invalid_utf8";
    pub const INVALID_JSON: &str = "invalid_json";
    pub const INVALID_FIELD: &str = "invalid_field";
    pub const NO_CONTENT: &str = "no_content";
    pub const NO_TEXT: &str = "no_text";
    pub const UNSUPPORTED_VERSION: &str = "unsupported_version";
    pub const MAX_DELIVERIES: &str = "max_deliveries";
    pub const PANIC: &str = "panic";
    pub const TIMEOUT: &str = "timeout";

    /// Every code, for metrics that start each series at zero.
    pub const ALL: &[&str] = &[
        EMPTY,
        TOO_LARGE,
        INVALID_UTF8,
        INVALID_JSON,
        INVALID_FIELD,
        NO_CONTENT,
        NO_TEXT,
        UNSUPPORTED_VERSION,
        MAX_DELIVERIES,
        PANIC,
        TIMEOUT,
    ];
}

impl Rejection {
    pub fn new(code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
            stage: None,
        }
    }

    /// The same rejection, made by `stage`.
    #[must_use]
    pub fn in_stage(self, stage: &'static str) -> Self {
        Self {
            stage: Some(stage),
            ..self
        }
    }
}

/// Default largest input article: real news pages run to 1.5 MB and more.
pub const DEFAULT_MAX_ARTICLE_BYTES: usize = 4 * 1024 * 1024;
/// Default fewest words of body text an article needs to be judged.
pub const DEFAULT_MIN_TEXT_WORDS: usize = 20;

/// Limits applied to every input article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeLimits {
    /// Largest accepted payload in bytes.
    pub max_payload_bytes: usize,
    /// Fewest words of body text (the crawler's text, or the main text of
    /// the page) an article needs; fewer is [`ShortText`]'s call.
    pub min_text_words: usize,
    /// What becomes of an article with fewer words.
    pub short_text: ShortText,
    /// Bounds on reading one HTML page.
    pub html: HtmlLimits,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            max_payload_bytes: DEFAULT_MAX_ARTICLE_BYTES,
            min_text_words: DEFAULT_MIN_TEXT_WORDS,
            short_text: ShortText::DeadLetter,
            html: HtmlLimits::default(),
        }
    }
}

/// What becomes of an article with too little text to judge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortText {
    /// Dead-lettered with code `no_text` and what was tried.
    #[default]
    DeadLetter,
    /// Passed on; dedup gives it no fingerprint and the status `unchecked`.
    Pass,
}

/// Whether the body text of a staged article is long enough to judge.
///
/// # Errors
/// A `no_text` [`Rejection`] naming what was read and how many words it gave.
pub fn check_text(staged: &StagedArticle, limits: &IntakeLimits) -> Result<(), Rejection> {
    // Counted only up to the minimum: the count is reported only below it,
    // and counting a whole long article cost langid a third of its transform.
    let words = words_up_to(staged.body(), limits.min_text_words);
    if words >= limits.min_text_words {
        return Ok(());
    }
    let source = match staged.page.as_ref().map(|p| p.method) {
        Some(ExtractionMethod::Readability) => {
            "the main text readability scoring found in the `html` page"
        }
        Some(ExtractionMethod::BodyText) => {
            "the `html` page has no article container readability scoring could find (or is \
             deeper or larger than text.html_max_depth / html_max_elements), and its visible text"
        }
        None => "the `text` field",
    };
    Err(Rejection::new(
        reject_code::NO_TEXT,
        format!(
            "{source} has {words} words, fewer than the minimum of {} (text.min_words)",
            limits.min_text_words
        ),
    ))
}

/// Decodes and validates a crawler's article and fills in its id.
///
/// # Errors
/// A [`Rejection`] for an empty or oversized payload, invalid UTF-8, malformed
/// JSON, a field of the wrong type, or an article without text or HTML.
pub fn decode_article(payload: &[u8], limits: IntakeLimits) -> Result<Article, Rejection> {
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Err(Rejection::new(
            reject_code::EMPTY,
            "payload is empty: expected a JSON article object",
        ));
    }
    if payload.len() > limits.max_payload_bytes {
        return Err(Rejection::new(
            reject_code::TOO_LARGE,
            format!(
                "payload is {} bytes, over the limit of {} bytes (max_article_bytes)",
                payload.len(),
                limits.max_payload_bytes
            ),
        ));
    }
    let mut article: Article = decode_json(payload, "article")?;
    let has_text = article.text.as_deref().is_some_and(has_content);
    let has_html = article.html.as_deref().is_some_and(has_content);
    if !has_text && !has_html {
        return Err(Rejection::new(
            reject_code::NO_CONTENT,
            "article has no content: `text` and `html` are both missing or blank",
        ));
    }
    if article.id.as_deref().is_none_or(|id| id.trim().is_empty()) {
        article.id = Some(derive_id(&article));
    }
    check_id(article.id.as_deref().unwrap_or_default())?;
    Ok(article)
}

/// Longest accepted article id, in bytes.
pub const MAX_ID_BYTES: usize = 1024;

/// An id travels in every output's `Nats-Msg-Id` header and is remembered by
/// each stream's duplicate window: a line break in it would end the header
/// (the server then drops the stage's connection, again at every
/// redelivery), and a huge one would fill the window's memory.
fn check_id(id: &str) -> Result<(), Rejection> {
    if id.len() > MAX_ID_BYTES {
        return Err(Rejection::new(
            reject_code::INVALID_FIELD,
            format!(
                "article field `id` is {} bytes, over the limit of {MAX_ID_BYTES}",
                id.len()
            ),
        ));
    }
    if let Some((at, c)) = id.char_indices().find(|(_, c)| c.is_control()) {
        return Err(Rejection::new(
            reject_code::INVALID_FIELD,
            format!(
                "article field `id` holds the control character U+{:04X} at byte {at}: ids travel in message headers",
                u32::from(c)
            ),
        ));
    }
    Ok(())
}

/// Decodes the internal envelope passed between stages.
///
/// # Errors
/// A [`Rejection`] when the payload is not a staged article of a known version.
pub fn decode_staged(payload: &[u8]) -> Result<StagedArticle, Rejection> {
    let staged: StagedArticle = decode_json(payload, "staged article")?;
    check_staged(&staged)?;
    Ok(staged)
}

/// What every stage requires of a decoded envelope.
fn check_staged(staged: &StagedArticle) -> Result<(), Rejection> {
    if staged.schema_version != STAGED_SCHEMA_VERSION {
        return Err(Rejection::new(
            reject_code::UNSUPPORTED_VERSION,
            format!(
                "staged article has schema_version {}, this service reads {}",
                staged.schema_version, STAGED_SCHEMA_VERSION
            ),
        ));
    }
    if staged.article.id.as_deref().is_none_or(str::is_empty) {
        return Err(Rejection::new(
            reject_code::INVALID_FIELD,
            "staged article has no `article.id`",
        ));
    }
    Ok(())
}

/// The JSON of a staged article's `article` and `page` as they came on the
/// wire. A stage that passes the article on without changing either
/// (dedup) writes them back as they are with [`ReceivedJson::encode`]:
/// encoding the whole article again (escaping its text once more) was a
/// seventh of dedup's instructions per article.
#[derive(Debug, Clone)]
pub struct ReceivedJson {
    article: Box<RawValue>,
    page: Option<Box<RawValue>>,
}

/// [`StagedArticle`]'s fields, `article` and `page` left as JSON.
#[derive(Deserialize)]
struct EnvelopeJson<'a> {
    schema_version: u32,
    #[serde(borrow)]
    article: &'a RawValue,
    source_seq: u64,
    received_at: String,
    #[serde(default)]
    language: Option<Language>,
    #[serde(default)]
    dedup: Option<DedupInfo>,
    #[serde(default, borrow)]
    page: Option<&'a RawValue>,
    #[serde(default)]
    pipeline: Vec<PipelineStep>,
}

/// The envelope as [`StagedArticle`] serializes it, field for field (a
/// unit test compares the bytes), with `article` and `page` as received.
#[derive(Serialize)]
struct PassedOnJson<'a> {
    schema_version: u32,
    article: &'a RawValue,
    source_seq: u64,
    received_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a Language>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dedup: Option<&'a DedupInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<&'a RawValue>,
    pipeline: &'a [PipelineStep],
}

impl ReceivedJson {
    /// The JSON of `staged`, decoded with this by
    /// [`decode_staged_keeping_json`] and changed since only outside
    /// `article` and `page` (its verdict, its pipeline stamps): those two
    /// are written as they came.
    pub fn encode(&self, staged: &StagedArticle) -> Vec<u8> {
        debug_assert_eq!(staged.page.is_some(), self.page.is_some());
        let envelope = PassedOnJson {
            schema_version: staged.schema_version,
            article: &self.article,
            source_seq: staged.source_seq,
            received_at: &staged.received_at,
            language: staged.language.as_ref(),
            dedup: staged.dedup.as_ref(),
            page: self.page.as_deref(),
            pipeline: &staged.pipeline,
        };
        let kept = self.article.get().len() + self.page.as_ref().map_or(0, |p| p.get().len());
        let mut json = Vec::with_capacity(kept + 1024);
        serde_json::to_writer(&mut json, &envelope).expect("staged article serializes");
        json
    }
}

/// [`decode_staged`], keeping the JSON of `article` and `page` as they came
/// (see [`ReceivedJson`]); the same articles are accepted and refused with
/// the same reasons. Not kept (`None`) when the article still carries its
/// raw `html` (an envelope written before langid read pages):
/// [`crate::html::attach_page`] changes both then.
///
/// # Errors
/// A [`Rejection`] when the payload is not a staged article of a known version.
pub fn decode_staged_keeping_json(
    payload: &[u8],
) -> Result<(StagedArticle, Option<ReceivedJson>), Rejection> {
    let json = utf8_json(payload)?;
    let decoded = serde_json::from_str::<EnvelopeJson<'_>>(json)
        .ok()
        .and_then(|envelope| {
            let article: Article = serde_json::from_str(envelope.article.get()).ok()?;
            let page: Option<ExtractedPage> = match envelope.page {
                Some(page) => Some(serde_json::from_str(page.get()).ok()?),
                None => None,
            };
            let kept = article.html.is_none().then(|| ReceivedJson {
                article: envelope.article.to_owned(),
                page: envelope.page.map(RawValue::to_owned),
            });
            let staged = StagedArticle {
                schema_version: envelope.schema_version,
                article,
                source_seq: envelope.source_seq,
                received_at: envelope.received_at,
                language: envelope.language,
                dedup: envelope.dedup,
                page,
                pipeline: envelope.pipeline,
            };
            Some((staged, kept))
        });
    match decoded {
        Some((staged, kept)) => {
            check_staged(&staged)?;
            Ok((staged, kept))
        }
        // Refused: decoded again the one way, for the reason it gives.
        None => decode_staged(payload).map(|staged| (staged, None)),
    }
}

/// Decodes JSON with a reason that names the byte offset or field at fault.
fn decode_json<T: DeserializeOwned>(payload: &[u8], what: &str) -> Result<T, Rejection> {
    let json = utf8_json(payload)?;
    // Read from the validated `str`, so serde_json does not check every
    // string's UTF-8 once more. Valid messages, nearly all of them, are
    // decoded without tracking the path: the tracker copies every field name
    // into a new string. A message that fails is decoded again with it, for
    // a reason that names the field.
    let mut deserializer = serde_json::Deserializer::from_str(json);
    if let Ok(value) = T::deserialize(&mut deserializer)
        && deserializer.end().is_ok()
    {
        return Ok(value);
    }
    decode_json_tracked(json, what)
}

/// The payload as JSON text: UTF-8, without a byte order mark.
fn utf8_json(payload: &[u8]) -> Result<&str, Rejection> {
    // RFC 8259 lets a parser ignore a byte order mark; Windows tools write one.
    let payload = payload.strip_prefix(b"\xef\xbb\xbf").unwrap_or(payload);
    // simdutf8 checks the UTF-8 of a news article in a fraction of the
    // standard library's instructions when the text is not ASCII (Arabic:
    // a tenth of dedup's work per article went into std's check), and
    // reports the offset of the first invalid byte as std does.
    simdutf8::compat::from_utf8(payload).map_err(|err| {
        Rejection::new(
            reject_code::INVALID_UTF8,
            format!(
                "payload is not valid UTF-8: invalid byte at offset {}",
                err.valid_up_to()
            ),
        )
    })
}

/// [`decode_json`] of a message known to fail, tracking the path to the
/// field at fault.
fn decode_json_tracked<T: DeserializeOwned>(json: &str, what: &str) -> Result<T, Rejection> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let value = result.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() && path != "." {
            Rejection::new(
                reject_code::INVALID_FIELD,
                format!("{what} field `{path}`: {inner}"),
            )
        } else if inner.is_data() && inner.to_string().starts_with("invalid type") {
            Rejection::new(
                reject_code::INVALID_JSON,
                format!("{what} must be a JSON object: {inner}"),
            )
        } else if inner.is_data() {
            Rejection::new(reject_code::INVALID_FIELD, format!("{what}: {inner}"))
        } else {
            Rejection::new(
                reject_code::INVALID_JSON,
                format!("malformed JSON in {what}: {inner}"),
            )
        }
    })?;
    deserializer.end().map_err(|err| {
        Rejection::new(
            reject_code::INVALID_JSON,
            format!("malformed JSON in {what}: trailing data after the object: {err}"),
        )
    })?;
    Ok(value)
}

fn has_content(s: &str) -> bool {
    !s.trim().is_empty()
}

/// A stable id for an article without one: from its URL, else from its content.
pub fn derive_id(article: &Article) -> String {
    let mut hasher = blake3::Hasher::new();
    let prefix = if let Some(url) = article.url.as_deref().filter(|u| has_content(u)) {
        hasher.update(url.trim().as_bytes());
        "url"
    } else {
        for part in [&article.title, &article.text, &article.html] {
            hasher.update(part.as_deref().unwrap_or_default().as_bytes());
            hasher.update(&[0]);
        }
        "sha"
    };
    let hash = hasher.finalize();
    format!("{prefix}-{}", &hash.to_hex()[..20])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_control_characters_or_over_the_size_limit_are_refused() {
        let text = "x ".repeat(30);
        let forged = serde_json::json!({"id": "a\r\nNats-Msg-Id: forged", "text": text});
        let err =
            decode_article(forged.to_string().as_bytes(), IntakeLimits::default()).unwrap_err();
        assert_eq!(err.code, reject_code::INVALID_FIELD);
        assert!(err.reason.contains("U+000D at byte 1"), "{}", err.reason);
        let long = serde_json::json!({"id": "i".repeat(MAX_ID_BYTES + 1), "text": text});
        let err = decode_article(long.to_string().as_bytes(), IntakeLimits::default()).unwrap_err();
        assert!(err.reason.contains("1025 bytes"), "{}", err.reason);
        let fine = serde_json::json!({"id": "é".repeat(MAX_ID_BYTES / 2), "text": text});
        assert!(decode_article(fine.to_string().as_bytes(), IntakeLimits::default()).is_ok());
    }

    fn decode(payload: &str) -> Result<Article, Rejection> {
        decode_article(payload.as_bytes(), IntakeLimits::default())
    }

    #[test]
    fn accepts_a_minimal_article_and_keeps_unknown_fields() {
        let article = decode(r#"{"id":"a1","text":"Hello","crawler":{"run":7}}"#).unwrap();
        assert_eq!(article.id.as_deref(), Some("a1"));
        assert_eq!(article.extra["crawler"]["run"], 7);
    }

    #[test]
    fn derives_the_id_from_the_url_then_from_the_content() {
        let from_url = decode(r#"{"url":"https://x.test/a","text":"Hello"}"#).unwrap();
        let same_url = decode(r#"{"url":"https://x.test/a","text":"Other"}"#).unwrap();
        assert_eq!(from_url.id, same_url.id);
        assert!(from_url.id.as_deref().unwrap().starts_with("url-"));
        let from_text = decode(r#"{"text":"Hello"}"#).unwrap();
        assert!(from_text.id.as_deref().unwrap().starts_with("sha-"));
        assert_ne!(from_text.id, decode(r#"{"text":"Hello!"}"#).unwrap().id);
    }

    #[test]
    fn rejects_empty_payload() {
        assert_eq!(decode("  ").unwrap_err().code, reject_code::EMPTY);
    }

    #[test]
    fn rejects_invalid_utf8_with_the_offset() {
        let err = decode_article(b"{\"text\":\"ab\xff\"}", IntakeLimits::default()).unwrap_err();
        assert_eq!(err.code, reject_code::INVALID_UTF8);
        assert!(err.reason.contains("offset 11"), "{}", err.reason);
    }

    #[test]
    fn the_invalid_byte_offset_is_the_standard_librarys_past_the_first_blocks() {
        // Arabic text over several 64-byte blocks, then a truncated
        // two-byte character, then more text.
        let mut payload = "{\"text\":\"".as_bytes().to_vec();
        payload.extend("قال الوزير في بيان اليوم ".repeat(9).as_bytes());
        payload.push(0xD8);
        payload.extend("ok\"}".as_bytes());
        let offset = std::str::from_utf8(&payload).unwrap_err().valid_up_to();
        let err = decode_article(&payload, IntakeLimits::default()).unwrap_err();
        assert_eq!(err.code, reject_code::INVALID_UTF8);
        assert!(
            err.reason.ends_with(&format!("offset {offset}")),
            "{}",
            err.reason
        );
    }

    #[test]
    fn rejects_malformed_json_with_line_and_column() {
        let err = decode(r#"{"text": "a",}"#).unwrap_err();
        assert_eq!(err.code, reject_code::INVALID_JSON);
        assert!(err.reason.contains("column"), "{}", err.reason);
    }

    #[test]
    fn rejects_a_wrong_type_naming_the_field() {
        let err = decode(r#"{"text":"a","title":5}"#).unwrap_err();
        assert_eq!(err.code, reject_code::INVALID_FIELD);
        assert!(err.reason.contains("`title`"), "{}", err.reason);
    }

    #[test]
    fn rejects_a_non_object() {
        let err = decode(r#"["text"]"#).unwrap_err();
        assert_eq!(err.code, reject_code::INVALID_JSON);
        assert!(err.reason.contains("JSON object"), "{}", err.reason);
    }

    #[test]
    fn a_missing_required_field_names_the_field() {
        let err = decode_staged(br#"{"schema_version":1,"article":{"id":"a"}}"#).unwrap_err();
        assert_eq!(err.code, reject_code::INVALID_FIELD);
        assert!(
            err.reason.contains("missing field `source_seq`"),
            "{}",
            err.reason
        );
    }

    /// A staged article with every field, as langid writes it: unknown
    /// article fields, metadata, a replay mark, a page, a language.
    fn staged_json() -> Vec<u8> {
        let json = serde_json::json!({
            "schema_version": 1,
            "article": {
                "id": "a1",
                "url": "https://x.test/a1",
                "source": "X",
                "title": "Dix \"mots\"",
                "text": "Ligne une.\nLigne deux, été\tfin.",
                "published_at": "2024-05-02T07:30:00Z",
                "lang_hint": "fr",
                "metadata": {"feed": "wire", "n": 1.5, "list": [1, null, "x"]},
                "replay": {"of_seq": 7, "run": "r1"},
                "crawler": {"run": 12, "ok": true},
                "zeta": -3
            },
            "source_seq": 42,
            "received_at": "2024-05-02T09:14:59.870Z",
            "language": {"code": "fra", "iso639_1": "fr", "script": "Latin",
                "confidence": 0.93, "reliable": true, "method": "trigram"},
            "page": {"text": "Texte de la page.", "title": "Dix", "published": ["2024-05-02"],
                "method": "readability"},
            "pipeline": [{"stage": "langid", "version": "0.1.0",
                "processed_at": "2024-05-02T09:15:00.000Z"}]
        });
        // As the stage before writes it: from the decoded value.
        let staged: StagedArticle = serde_json::from_value(json).unwrap();
        serde_json::to_vec(&staged).unwrap()
    }

    #[test]
    fn the_kept_json_writes_the_bytes_the_decoded_article_would() {
        let payload = staged_json();
        let (mut staged, kept) = decode_staged_keeping_json(&payload).unwrap();
        assert_eq!(staged, decode_staged(&payload).unwrap());
        let kept = kept.expect("an article without html keeps its JSON");
        assert_eq!(kept.encode(&staged), payload);
        // What dedup changes: its verdict and its stamp.
        staged.dedup = Some(DedupInfo {
            status: "unique".into(),
            cluster_id: "a1".into(),
            resend: true,
        });
        staged.pipeline.push(crate::stamp("dedup", "0.1.0"));
        assert_eq!(kept.encode(&staged), serde_json::to_vec(&staged).unwrap());
        // Without a page or a language.
        staged.page = None;
        staged.language = None;
        let payload = serde_json::to_vec(&staged).unwrap();
        let (staged, kept) = decode_staged_keeping_json(&payload).unwrap();
        assert_eq!(kept.unwrap().encode(&staged), payload);
    }

    #[test]
    fn an_article_with_raw_html_keeps_no_json() {
        let payload = br#"{"schema_version":1,"article":{"id":"a","html":"<p>x</p>"},"source_seq":1,"received_at":"t"}"#;
        let (staged, kept) = decode_staged_keeping_json(payload).unwrap();
        assert_eq!(staged.article.html.as_deref(), Some("<p>x</p>"));
        assert!(kept.is_none());
    }

    #[test]
    fn keeping_the_json_refuses_what_decoding_refuses_with_the_same_reason() {
        let refused: &[&[u8]] = &[
            b"",
            b"{\"schema_version\":1,\"article\":{\"id\":\"a\xff\"}}",
            b"[1]",
            br#"{"schema_version":1,"article":{"id":"a"}}"#,
            br#"{"schema_version":2,"article":{"id":"a"},"source_seq":1,"received_at":"t"}"#,
            br#"{"schema_version":1,"article":{"text":"x"},"source_seq":1,"received_at":"t"}"#,
            br#"{"schema_version":1,"article":{"id":"a","title":5},"source_seq":1,"received_at":"t"}"#,
            br#"{"schema_version":1,"article":{"id":"a","metadata":"m"},"source_seq":1,"received_at":"t"}"#,
            br#"{"schema_version":1,"article":{"id":"a"},"source_seq":1,"received_at":"t","page":{"text":1}}"#,
            br#"{"schema_version":1,"article":{"id":"a"},"source_seq":1,"received_at":"t"} x"#,
            br#"{"schema_version":1,"article":{"id":"a"},"source_seq":1,"received_at":"t","pipeline":{}}"#,
        ];
        for payload in refused {
            let expected = decode_staged(payload).unwrap_err();
            let got = decode_staged_keeping_json(payload).unwrap_err();
            assert_eq!(got, expected, "{}", String::from_utf8_lossy(payload));
        }
    }

    #[test]
    fn rejects_an_article_without_content() {
        let err = decode(r#"{"id":"x","text":"  ","html":""}"#).unwrap_err();
        assert_eq!(err.code, reject_code::NO_CONTENT);
    }

    #[test]
    fn rejects_an_oversized_payload() {
        let limits = IntakeLimits {
            max_payload_bytes: 10,
            ..IntakeLimits::default()
        };
        let err = decode_article(br#"{"text":"long enough"}"#, limits).unwrap_err();
        assert_eq!(err.code, reject_code::TOO_LARGE);
        assert!(err.reason.contains("22 bytes"), "{}", err.reason);
    }
}
