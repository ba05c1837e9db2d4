//! The HTTP ingest gateway: crawlers that speak HTTP post articles, one JSON
//! object or an NDJSON batch, and the gateway publishes each valid one to
//! `news.raw` with `Nats-Msg-Id` set to the article id, answering only after
//! JetStream has stored them.
//!
//! Validation is the services' own ([`newsflow_core::intake::decode_article`]),
//! so an article the gateway accepts is one langid reads, and a refusal
//! carries the same code and reason a dead letter would. What needs the page
//! read (too few words of main text) is langid's call and ends on `news.dlq`.
//!
//! The routes, statuses and bodies are described in
//! `proto/gateway.openapi.json`; the end-to-end tests check the two agree.

pub mod metrics;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use bytes::Bytes;
use futures::future::join_all;
use newsflow_core::intake::{IntakeLimits, Rejection, decode_article};
use newsflow_core::subjects;
use serde::{Deserialize, Serialize};

pub use metrics::gateway as gateway_metrics;

/// Version of the gateway, reported in `newsflow_build_info`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Path articles are posted to.
pub const ARTICLES_PATH: &str = "/v1/articles";

/// The `[gateway]` section of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Address the HTTP API listens on (`--listen`, `LISTEN_ADDR`).
    pub listen: SocketAddr,
    /// File holding the bearer token clients must send; none: no token asked.
    pub token_file: Option<PathBuf>,
    /// Largest request body, in bytes; larger requests get 413.
    pub max_body_bytes: usize,
    /// Seconds a client is told to wait (`Retry-After`) when NATS cannot take articles.
    pub retry_after_secs: u64,
    /// How long one publish may wait for JetStream's acknowledgement, in milliseconds.
    pub publish_timeout_ms: u64,
    /// Publishes awaiting acknowledgement at once, across requests.
    pub max_ack_inflight: usize,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token_file: None,
            max_body_bytes: 16 * 1024 * 1024,
            retry_after_secs: 1,
            publish_timeout_ms: 5_000,
            max_ack_inflight: 4096,
        }
    }
}

impl GatewayConfig {
    pub fn publish_timeout(&self) -> Duration {
        Duration::from_millis(self.publish_timeout_ms.max(1))
    }
}

/// How a request body holds its articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// The whole body is one JSON article (`application/json`, or no type).
    Single,
    /// One JSON article per line (`application/x-ndjson` and its aliases).
    Lines,
}

/// Media types read as NDJSON; the spellings crawlers use.
const NDJSON_TYPES: &[&str] = &[
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/jsonlines",
    "application/json-lines",
];

impl BodyFormat {
    /// The format a `Content-Type` names; `None` for a type the gateway does not read.
    pub fn from_content_type(content_type: Option<&str>) -> Option<Self> {
        let Some(value) = content_type else {
            return Some(Self::Single);
        };
        let media = value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if media == "application/json" {
            Some(Self::Single)
        } else if NDJSON_TYPES.contains(&media.as_str()) {
            Some(Self::Lines)
        } else {
            None
        }
    }
}

/// An article that passed validation, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidArticle {
    /// 1-based line of the body (1 for a single article).
    pub line: usize,
    /// The article id (given, or derived as langid derives it).
    pub id: String,
    /// The bytes as posted: langid reads exactly what the client sent.
    pub payload: Bytes,
}

/// A line the gateway refused, with the services' code and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    pub line: usize,
    pub code: String,
    pub reason: String,
}

/// An article JetStream stored (or had stored already).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub line: usize,
    pub id: String,
    /// `news.raw` stream sequence of the stored article.
    pub seq: u64,
    /// True when an article with this id was already stored within the
    /// duplicate window (a resend): nothing new was stored.
    pub duplicate: bool,
}

/// The body of 202, 207 and 400 answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReport {
    pub accepted: Vec<Accepted>,
    pub refused: Vec<Refused>,
}

/// The body of every other error answer (401, 413, 415, 503).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub error: String,
}

/// Splits and validates a body: the articles to publish and the refused lines.
/// Blank lines of an NDJSON body are skipped; line numbers count them.
pub fn validate_body(
    body: &Bytes,
    format: BodyFormat,
    limits: IntakeLimits,
) -> (Vec<ValidArticle>, Vec<Refused>) {
    let mut valid = Vec::new();
    let mut refused = Vec::new();
    let mut check = |line: usize, payload: Bytes| match decode_article(&payload, limits) {
        Ok(article) => valid.push(ValidArticle {
            line,
            id: article.id.unwrap_or_default(),
            payload,
        }),
        Err(Rejection { code, reason, .. }) => refused.push(Refused {
            line,
            code: code.to_string(),
            reason,
        }),
    };
    match format {
        BodyFormat::Single => check(1, body.clone()),
        BodyFormat::Lines => {
            let mut start = 0;
            let mut number = 0;
            let mut articles = 0;
            while start < body.len() {
                number += 1;
                let end = memchr_newline(&body[start..]).map_or(body.len(), |at| start + at);
                let mut line = body.slice(start..end);
                if line.ends_with(b"\r") {
                    line = line.slice(..line.len() - 1);
                }
                if !line.iter().all(u8::is_ascii_whitespace) {
                    articles += 1;
                    check(number, line);
                }
                start = end + 1;
            }
            if articles == 0 {
                check(1, Bytes::new());
            }
        }
    }
    (valid, refused)
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// Whether `given` (an `Authorization` header value) carries `token`,
/// compared in time that does not depend on where they differ.
pub fn bearer_matches(given: Option<&HeaderValue>, token: &str) -> bool {
    let Some(value) = given.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(offered) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    else {
        return false;
    };
    let (a, b) = (offered.trim().as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the handlers share.
pub struct Gateway {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub limits: IntakeLimits,
    pub config: GatewayConfig,
    /// The bearer token, when one is asked.
    pub token: Option<String>,
    /// Set once `news.raw`'s stream is known to exist.
    pub stream_ready: AtomicBool,
}

impl Gateway {
    /// Ready: connected to NATS and the `news.raw` stream found.
    pub fn is_ready(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
            && self.stream_ready.load(Ordering::Relaxed)
    }
}

/// Every route the gateway serves: method, path and handler. The router is
/// built from this list, and the tests compare it with the OpenAPI file.
pub fn routes() -> Vec<(&'static str, &'static str, MethodRouter<Arc<Gateway>>)> {
    vec![
        ("POST", ARTICLES_PATH, post(post_articles)),
        (
            "GET",
            "/metrics",
            get(|| async { newsflow_core::metrics::render() }),
        ),
        ("GET", "/healthz", get(healthz)),
        ("GET", "/livez", get(|| async { "alive\n" })),
    ]
}

/// The method and path of every route, as [`routes`] has them.
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    routes()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect()
}

/// The HTTP API over `gateway`.
pub fn router(gateway: Arc<Gateway>) -> Router {
    let mut router = Router::new();
    for (_, path, handler) in routes() {
        router = router.route(path, handler);
    }
    router.with_state(gateway)
}

async fn healthz(State(gateway): State<Arc<Gateway>>) -> (StatusCode, &'static str) {
    if gateway.is_ready() {
        (StatusCode::OK, "ok\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: no NATS connection, or the news.raw stream is missing\n",
        )
    }
}

fn error_response(status: StatusCode, code: &str, error: String) -> Response {
    let body = ErrorBody {
        code: code.to_string(),
        error,
    };
    json_response(status, &body)
}

/// A JSON answer (axum's `Json` needs a feature the workspace leaves off).
fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let text = serde_json::to_vec(body).expect("answer bodies serialize");
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        text,
    )
        .into_response()
}

fn unavailable(gateway: &Gateway, cause: &'static str, error: String) -> Response {
    gateway_metrics()
        .unavailable
        .with_label_values(&[cause])
        .inc();
    let mut response = error_response(StatusCode::SERVICE_UNAVAILABLE, "unavailable", error);
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(gateway.config.retry_after_secs),
    );
    response
}

async fn post_articles(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let response = ingest(&gateway, &headers, body).await;
    let metrics = gateway_metrics();
    metrics
        .requests
        .with_label_values(&[response.status().as_str()])
        .inc();
    metrics
        .request_seconds
        .with_label_values::<&str>(&[])
        .observe(started.elapsed().as_secs_f64());
    response
}

async fn ingest(gateway: &Gateway, headers: &HeaderMap, body: Body) -> Response {
    if let Some(token) = &gateway.token
        && !bearer_matches(headers.get(header::AUTHORIZATION), token)
    {
        let mut response = error_response(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token (Authorization: Bearer <token>)".into(),
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    let Some(format) = BodyFormat::from_content_type(content_type) else {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Content-Type {:?} is not read: send application/json (one article) or \
                 application/x-ndjson (one article per line)",
                content_type.unwrap_or_default()
            ),
        );
    };
    let limit = gateway.config.max_body_bytes;
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(err) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "request body is over the limit of {limit} bytes (gateway.max_body_bytes): {err}"
                ),
            );
        }
    };
    let (valid, refused) = validate_body(&body, format, gateway.limits);
    let metrics = gateway_metrics();
    for refusal in &refused {
        metrics
            .articles
            .with_label_values(&["refused", refusal.code.as_str()])
            .inc();
    }
    if valid.is_empty() {
        return report(StatusCode::BAD_REQUEST, Vec::new(), refused);
    }
    if gateway.client.connection_state() != async_nats::connection::State::Connected {
        return unavailable(
            gateway,
            "not_connected",
            "not connected to NATS: nothing was published; send the request again later".into(),
        );
    }
    match publish_all(gateway, valid).await {
        Ok(accepted) => {
            for article in &accepted {
                let outcome = if article.duplicate {
                    "already_stored"
                } else {
                    "accepted"
                };
                metrics.articles.with_label_values(&[outcome, ""]).inc();
            }
            let status = if refused.is_empty() {
                StatusCode::ACCEPTED
            } else {
                StatusCode::MULTI_STATUS
            };
            report(status, accepted, refused)
        }
        Err(error) => unavailable(gateway, "publish_failed", error),
    }
}

/// Publishes every article, then waits for every acknowledgement. Any
/// failure fails the request: the client sends it again, and the articles
/// already stored are dropped as repeats by their `Nats-Msg-Id`.
async fn publish_all(gateway: &Gateway, valid: Vec<ValidArticle>) -> Result<Vec<Accepted>, String> {
    let mut pending = Vec::with_capacity(valid.len());
    for article in valid {
        let message = jetstream::message::PublishMessage::build()
            .payload(article.payload)
            .message_id(&article.id);
        let ack = gateway
            .js
            .send_publish(subjects::RAW, message)
            .await
            .map_err(|err| {
                format!(
                    "publishing line {} (id {:?}) to {}: {err}; nothing after it was published, \
                     send the request again later",
                    article.line,
                    article.id,
                    subjects::RAW
                )
            })?;
        pending.push((article.line, article.id, ack));
    }
    let lines: Vec<(usize, String)> = pending.iter().map(|(l, i, _)| (*l, i.clone())).collect();
    let acks = join_all(pending.into_iter().map(|(_, _, ack)| ack.into_future())).await;
    let mut accepted = Vec::with_capacity(acks.len());
    for ((line, id), ack) in lines.into_iter().zip(acks) {
        match ack {
            Ok(ack) => accepted.push(Accepted {
                line,
                id,
                seq: ack.sequence,
                duplicate: ack.duplicate,
            }),
            Err(err) => {
                return Err(format!(
                    "JetStream did not store line {line} (id {id:?}) on {}: {err}; send the \
                     request again later (stored articles are not stored twice)",
                    subjects::RAW
                ));
            }
        }
    }
    Ok(accepted)
}

fn report(status: StatusCode, accepted: Vec<Accepted>, refused: Vec<Refused>) -> Response {
    json_response(status, &IngestReport { accepted, refused })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "The council approved the new budget on Tuesday after a long debate \
        about school funding and road repairs in the northern districts of the city.";

    fn article(id: &str) -> String {
        serde_json::json!({"id": id, "text": TEXT}).to_string()
    }

    #[test]
    fn the_example_config_gives_the_defaults() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../deploy/config/newsflow.example.toml");
        let args = newsflow_core::config::CommonArgs {
            config: Some(path),
            ..Default::default()
        };
        let settings = args.load(SocketAddr::from(([127, 0, 0, 1], 9104))).unwrap();
        let config: GatewayConfig = settings.section("gateway").unwrap();
        assert_eq!(config, GatewayConfig::default());
    }

    #[test]
    fn content_types_choose_the_format() {
        assert_eq!(
            BodyFormat::from_content_type(None),
            Some(BodyFormat::Single)
        );
        assert_eq!(
            BodyFormat::from_content_type(Some("application/json; charset=utf-8")),
            Some(BodyFormat::Single)
        );
        assert_eq!(
            BodyFormat::from_content_type(Some("Application/X-NDJSON")),
            Some(BodyFormat::Lines)
        );
        assert_eq!(BodyFormat::from_content_type(Some("text/plain")), None);
    }

    #[test]
    fn a_batch_gives_valid_articles_and_refusals_by_line() {
        let body = format!(
            "{}\r\n\n{{\"id\":\"b\",\"title\":5,\"text\":\"x\"}}\n{}\nnot json\n",
            article("a"),
            article("c")
        );
        let (valid, refused) = validate_body(
            &Bytes::from(body),
            BodyFormat::Lines,
            IntakeLimits::default(),
        );
        let ids: Vec<(usize, &str)> = valid.iter().map(|v| (v.line, v.id.as_str())).collect();
        assert_eq!(ids, [(1, "a"), (4, "c")]);
        assert_eq!(valid[0].payload, article("a").as_bytes());
        let codes: Vec<(usize, &str)> = refused.iter().map(|r| (r.line, r.code.as_str())).collect();
        assert_eq!(codes, [(3, "invalid_field"), (5, "invalid_json")]);
        assert!(
            refused[0].reason.contains("`title`"),
            "{}",
            refused[0].reason
        );
    }

    #[test]
    fn an_id_is_derived_as_langid_derives_it() {
        let body = Bytes::from(r#"{"url":"https://x.test/a","text":"some text"}"#);
        let (valid, _) = validate_body(&body, BodyFormat::Single, IntakeLimits::default());
        let derived = newsflow_core::intake::decode_article(&body, IntakeLimits::default())
            .unwrap()
            .id
            .unwrap();
        assert_eq!(valid[0].id, derived);
        assert!(derived.starts_with("url-"));
    }

    #[test]
    fn an_empty_body_is_one_refusal() {
        for format in [BodyFormat::Single, BodyFormat::Lines] {
            let (valid, refused) =
                validate_body(&Bytes::from(" \n\n"), format, IntakeLimits::default());
            assert!(valid.is_empty());
            assert_eq!(refused.len(), 1);
            assert_eq!(refused[0].code, "empty");
        }
    }

    #[test]
    fn a_line_over_the_article_limit_is_refused_alone() {
        let limits = IntakeLimits {
            max_payload_bytes: 300,
            ..IntakeLimits::default()
        };
        let big = serde_json::json!({"id": "big", "text": TEXT.repeat(3)}).to_string();
        let body = Bytes::from(format!("{}\n{big}\n", article("small")));
        let (valid, refused) = validate_body(&body, BodyFormat::Lines, limits);
        assert_eq!(valid.len(), 1);
        assert_eq!(refused[0].line, 2);
        assert_eq!(refused[0].code, "too_large");
    }

    #[test]
    fn the_bearer_token_must_match_exactly() {
        let header = |v: &str| HeaderValue::from_str(v).unwrap();
        assert!(bearer_matches(Some(&header("Bearer s3cret")), "s3cret"));
        assert!(!bearer_matches(Some(&header("Bearer s3cre")), "s3cret"));
        assert!(!bearer_matches(Some(&header("Bearer s3cret2")), "s3cret"));
        assert!(!bearer_matches(Some(&header("Basic s3cret")), "s3cret"));
        assert!(!bearer_matches(None, "s3cret"));
    }
}
