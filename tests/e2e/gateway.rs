//! The HTTP ingest gateway against a real nats-server:
//! every answer `proto/gateway.openapi.json` documents is produced by a real
//! request and checked against the file (status, headers, body schema), every
//! route the gateway serves is documented, and what it accepted is in
//! `news.raw` exactly once, as posted.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use newsflow_core::subjects;
use newsflow_tests::{NatsServer, Service, collect, free_port};
use serde_json::{Value, json};

use crate::stream_len;

const STORY: &str = "The harbour authority will run a night ferry from June, with boats \
    leaving every forty minutes after midnight. Tickets will cost the same as daytime fares, \
    and the service will be reviewed after the first three months.";

/// A gateway process and the address of its HTTP API.
pub struct GatewayProcess {
    pub service: Service,
    pub base: String,
}

impl GatewayProcess {
    pub fn start(nats_url: &str, env: &[(&str, &str)]) -> Self {
        let listen = format!("127.0.0.1:{}", free_port());
        let mut env: Vec<(&str, &str)> = env.to_vec();
        env.push(("LISTEN_ADDR", &listen));
        let service = Service::start("newsflow-gateway", nats_url, &env);
        let base = format!("http://{listen}");
        // The metrics port is open first; wait for the API and the stream.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while get(&format!("{base}/healthz")).status != 200 {
            assert!(
                std::time::Instant::now() < deadline,
                "the gateway never became ready; log:\n{}",
                service.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { service, base }
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("answer {} is not JSON ({e}): {}", self.status, self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

pub fn get(url: &str) -> Answer {
    match agent().get(url).call() {
        Ok(response) => answer(response),
        Err(_) => Answer {
            status: 0,
            headers: Vec::new(),
            body: String::new(),
        },
    }
}

/// POSTs `body` with a Content-Type and, when given, a bearer token.
pub fn post(url: &str, content_type: Option<&str>, token: Option<&str>, body: &str) -> Answer {
    let mut request = agent().post(url);
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    answer(request.send(body).expect("the gateway answers"))
}

fn openapi() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto/gateway.openapi.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Checks one answer against what the OpenAPI file documents for the
/// operation; returns the (method, path, status) it covered.
fn check_documented(
    spec: &Value,
    method: &str,
    path: &str,
    answer: &Answer,
) -> (String, String, String) {
    let status = answer.status.to_string();
    let documented = &spec["paths"][path][method.to_ascii_lowercase()]["responses"][&status];
    assert!(
        documented.is_object(),
        "{method} {path} answered {status}, which proto/gateway.openapi.json does not document: {}",
        answer.body
    );
    if let Some(headers) = documented["headers"].as_object() {
        for (name, header) in headers {
            let value = answer.header(name).unwrap_or_else(|| {
                panic!("{method} {path} {status} lacks the documented header {name}")
            });
            let schema = &header["schema"];
            let value: Value = if schema["type"] == "integer" {
                json!(value.parse::<i64>().expect("an integer header"))
            } else {
                json!(value)
            };
            assert_valid(spec, schema, &value, &format!("header {name} of {status}"));
        }
    }
    let content = documented["content"]
        .as_object()
        .expect("documented content");
    let content_type = answer
        .header("content-type")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    let media = content.get(&content_type).unwrap_or_else(|| {
        panic!("{method} {path} {status} has Content-Type {content_type}, not documented")
    });
    if content_type == "application/json" {
        assert_valid(
            spec,
            &media["schema"],
            &answer.json(),
            &format!("{method} {path} {status}"),
        );
    }
    (method.into(), path.into(), status)
}

/// Validates `value` against `schema`, resolving `#/components/...` in the OpenAPI file.
fn assert_valid(spec: &Value, schema: &Value, value: &Value, what: &str) {
    let mut document = schema.clone();
    document["components"] = spec["components"].clone();
    let validator = jsonschema::validator_for(&document).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?} in {value}");
}

/// Every documented operation's answers, with real requests; then the raw
/// stream holds what was accepted, once, as posted.
#[tokio::test]
async fn the_gateway_answers_as_its_openapi_file_documents() {
    let spec = openapi();
    let mut nats = NatsServer::start();
    let token_dir = tempfile::tempdir().unwrap();
    let token_file = token_dir.path().join("token");
    std::fs::write(&token_file, "t0ken-for-tests\n").unwrap();
    let token_path = token_file.display().to_string();
    let gateway = GatewayProcess::start(
        &nats.url(),
        &[
            ("NEWSFLOW_GATEWAY_TOKEN_FILE", &token_path),
            ("NEWSFLOW__GATEWAY__MAX_BODY_BYTES", "65536"),
            ("NEWSFLOW__GATEWAY__PUBLISH_TIMEOUT_MS", "1000"),
        ],
    );
    let url = format!("{}/v1/articles", gateway.base);
    let token = Some("t0ken-for-tests");
    let mut covered = BTreeSet::new();
    let mut cover = |answer: &Answer, method: &str, path: &str| {
        covered.insert(check_documented(&spec, method, path, answer));
    };

    // 202: one article; the same again is acknowledged as a duplicate.
    let single = json!({"id": "g1", "text": STORY}).to_string();
    let first = post(&url, Some("application/json"), token, &single);
    cover(&first, "POST", "/v1/articles");
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(first.json()["accepted"][0]["id"], "g1");
    assert_eq!(first.json()["accepted"][0]["duplicate"], false);
    let again = post(&url, None, token, &single);
    assert_eq!(again.status, 202, "{}", again.body);
    assert_eq!(again.json()["accepted"][0]["duplicate"], true);

    // 207: a batch with refused lines, numbered as in the body.
    let derived = json!({"url": "https://example.test/story", "text": STORY}).to_string();
    let batch = format!(
        "{}\n{{\"id\":\"g-bad\",\"title\":42,\"text\":\"x\"}}\n\n{derived}\r\n{{\"id\":\"g-empty\",\"text\":\" \"}}\n{{broken\n",
        json!({"id": "g2", "text": STORY})
    );
    let mixed = post(&url, Some("application/x-ndjson"), token, &batch);
    cover(&mixed, "POST", "/v1/articles");
    assert_eq!(mixed.status, 207, "{}", mixed.body);
    let report = mixed.json();
    let accepted: Vec<(u64, String)> = report["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["line"].as_u64().unwrap(),
                a["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(accepted[0], (1, "g2".to_string()));
    assert_eq!(accepted[1].0, 4);
    assert!(accepted[1].1.starts_with("url-"), "{accepted:?}");
    let refused: Vec<(u64, &str)> = report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        refused,
        [(2, "invalid_field"), (5, "no_content"), (6, "invalid_json")]
    );
    assert!(
        report["refused"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("`title`"),
        "{report}"
    );

    // 400: nothing valid.
    let none = post(&url, Some("application/x-ndjson"), token, "[1]\n{}\n");
    cover(&none, "POST", "/v1/articles");
    assert_eq!(none.status, 400, "{}", none.body);
    assert_eq!(none.json()["accepted"], json!([]));

    // 401: no token, or a wrong one.
    let anonymous = post(&url, Some("application/json"), None, &single);
    cover(&anonymous, "POST", "/v1/articles");
    assert_eq!(anonymous.status, 401);
    let wrong = post(&url, Some("application/json"), Some("guess"), &single);
    assert_eq!(wrong.status, 401);

    // 413: over gateway.max_body_bytes (64 KiB here).
    let big = json!({"id": "g-big", "text": STORY.repeat(400)}).to_string();
    let too_large = post(&url, Some("application/json"), token, &big);
    cover(&too_large, "POST", "/v1/articles");
    assert_eq!(too_large.status, 413, "{}", too_large.body);

    // 415: a type the gateway does not read.
    let text = post(&url, Some("text/plain"), token, STORY);
    cover(&text, "POST", "/v1/articles");
    assert_eq!(text.status, 415, "{}", text.body);

    for path in ["/metrics", "/healthz", "/livez"] {
        let answer = get(&format!("{}{path}", gateway.base));
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        cover(&answer, "GET", path);
    }
    let metrics = get(&format!("{}/metrics", gateway.base)).body;
    for sample in [
        "newsflow_gateway_articles_total{outcome=\"accepted\",reason=\"\"} 3",
        "newsflow_gateway_articles_total{outcome=\"already_stored\",reason=\"\"} 1",
        "newsflow_gateway_articles_total{outcome=\"refused\",reason=\"invalid_field\"} 1",
        "newsflow_gateway_requests_total{status=\"207\"} 1",
    ] {
        assert!(metrics.contains(sample), "no `{sample}` in\n{metrics}");
    }

    // news.raw holds each accepted article once, as posted, with its id.
    let js = nats.jetstream().await;
    assert_eq!(stream_len(&js, subjects::RAW).await, 3);
    let stored = collect(&js, subjects::RAW, 3, Duration::from_secs(2)).await;
    let ids: Vec<&str> = stored
        .iter()
        .map(|m| m.header("Nats-Msg-Id").unwrap())
        .collect();
    assert_eq!(ids, ["g1", "g2", accepted[1].1.as_str()]);
    assert_eq!(stored[0].payload, single.as_bytes());
    assert_eq!(stored[2].payload, derived.as_bytes());

    // 503 with Retry-After while NATS is down; /healthz says not ready.
    nats.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let down = post(&url, Some("application/json"), token, &single);
    cover(&down, "POST", "/v1/articles");
    assert_eq!(down.status, 503, "{}", down.body);
    let health = get(&format!("{}/healthz", gateway.base));
    cover(&health, "GET", "/healthz");
    assert_eq!(health.status, 503);

    // Every documented answer was produced, and every route is documented.
    let mut documented = BTreeSet::new();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for status in operation["responses"].as_object().unwrap().keys() {
                documented.insert((method.to_ascii_uppercase(), path.clone(), status.clone()));
            }
        }
    }
    assert_eq!(
        documented, covered,
        "documented answers (left) and answers the test produced (right) differ"
    );
    let served: BTreeSet<(String, String)> = newsflow_gateway::route_table()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    let described: BTreeSet<(String, String)> = documented
        .iter()
        .map(|(method, path, _)| (method.clone(), path.clone()))
        .collect();
    assert_eq!(
        served, described,
        "routes the gateway serves (left) and routes proto/gateway.openapi.json documents (right) differ"
    );
    drop(gateway);
}

/// Without NATS the gateway answers /healthz with 503 (not ready) and
/// /livez with 200; on SIGTERM it exits 0.
#[tokio::test]
async fn the_gateway_without_nats_is_alive_not_ready_and_stops_cleanly() {
    let listen = format!("127.0.0.1:{}", free_port());
    let nats_url = format!("nats://127.0.0.1:{}", free_port());
    let mut gateway = Service::start("newsflow-gateway", &nats_url, &[("LISTEN_ADDR", &listen)]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while get(&format!("http://{listen}/livez")).status != 200 {
        assert!(std::time::Instant::now() < deadline, "{}", gateway.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let health = get(&format!("http://{listen}/healthz"));
    assert_eq!(health.status, 503, "{}", health.body);
    assert!(
        gateway.terminate(Duration::from_secs(10)),
        "the gateway did not exit 0 on SIGTERM; log:\n{}",
        gateway.log()
    );
}
