//! Metrics as operators see them: `/metrics`, `/healthz`, a real Prometheus,
//! and the dashboards and alerts in `deploy/` naming only metrics that exist.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use newsflow_core::subjects;
use newsflow_tests::{Prometheus, eventually, publish};
use serde_json::json;

use crate::{Stack, wait_for_every_id, wait_for_outcomes};

/// Five different stories (near-copies of each other would be duplicates).
const STORIES: [&str; 5] = [
    "The regional council approved the budget for the new hospital wing on Tuesday after a debate that lasted most of the afternoon.",
    "Heavy rain flooded the valley road overnight, and crews worked until dawn to clear the mud before the morning school buses arrived.",
    "The city library will open on Sundays from next month, the culture office said, after a petition signed by four thousand readers.",
    "Fishermen in the northern harbour said the cod season started late this year because the water stayed warm well into the autumn.",
    "A new tram line linking the airport with the central station will carry its first passengers in March, two years behind schedule.",
];

async fn run_some_articles(stack: &Stack) {
    for (i, story) in STORIES.iter().enumerate() {
        let article = json!({"id": format!("m{i}"), "text": story});
        publish(
            &stack.js,
            subjects::RAW,
            &format!("m{i}"),
            serde_json::to_vec(&article).unwrap(),
        )
        .await;
    }
    // The copy only after its original is decided: published together, the
    // copy could reach dedup first and keep a record (then withdrawn), and
    // the counters below would differ.
    wait_for_every_id(&stack.js, ["m0"], Duration::from_secs(30)).await;
    let copy = json!({"id": "m-copy", "text": STORIES[0]});
    publish(
        &stack.js,
        subjects::RAW,
        "m-copy",
        serde_json::to_vec(&copy).unwrap(),
    )
    .await;
    publish(&stack.js, subjects::RAW, "m-bad", b"not json".to_vec()).await;
    wait_for_outcomes(&stack.js, 7, Duration::from_secs(30)).await;
}

#[tokio::test]
async fn prometheus_scrapes_every_service_and_sees_the_pipeline_counters() {
    let stack = Stack::start().await;
    run_some_articles(&stack).await;
    let targets: Vec<_> = stack
        .pipeline
        .services()
        .iter()
        .map(|s| s.metrics_addr)
        .collect();
    let prometheus = Prometheus::start(&targets);
    let expectations = [
        ("sum(up{job=\"newsflow\"})", 3.0),
        (
            "sum(newsflow_pipeline_messages_received_total{stage=\"langid\"})",
            7.0,
        ),
        (
            "sum(newsflow_pipeline_messages_published_total{stage=\"enrich\",output=\"enriched\"})",
            5.0,
        ),
        (
            "sum(newsflow_dedup_duplicates_total{method=\"exact\"})",
            1.0,
        ),
        (
            "sum(newsflow_pipeline_messages_dead_lettered_total{stage=\"langid\",reason=\"invalid_json\"})",
            1.0,
        ),
        ("count(count by (service) (newsflow_build_info))", 3.0),
        (
            "count(process_resident_memory_bytes{job=\"newsflow\"} > 1000000)",
            3.0,
        ),
        ("count(process_cpu_seconds_total{job=\"newsflow\"})", 3.0),
        ("sum(newsflow_langid_articles_total{language=\"eng\"})", 6.0),
        (
            "sum(newsflow_pipeline_processing_duration_seconds_count{stage=\"enrich\"})",
            5.0,
        ),
    ];
    for (query, expected) in expectations {
        let reached = eventually(Duration::from_secs(30), || {
            prometheus.query(query) == Some(expected)
        })
        .await;
        assert!(
            reached,
            "Prometheus query {query} = {:?}, expected {expected}",
            prometheus.query(query)
        );
    }
}

#[tokio::test]
async fn health_and_metrics_endpoints_answer() {
    let stack = Stack::start().await;
    run_some_articles(&stack).await;
    for service in stack.pipeline.services() {
        let (status, body) = service.http_get("/healthz");
        assert_eq!((status, body.trim()), (200, "ok"), "{}", service.name);
        let (status, body) = service.http_get("/metrics");
        assert_eq!(status, 200);
        assert!(body.contains("# TYPE newsflow_pipeline_processing_duration_seconds histogram"));
    }
    let (_, dedup) = stack.pipeline.separate().dedup.http_get("/metrics");
    assert!(
        dedup.contains("newsflow_dedup_verdicts_total{verdict=\"duplicate\"} 1"),
        "{dedup}"
    );
    assert!(dedup.contains(
        "newsflow_pipeline_messages_published_total{output=\"duplicates\",stage=\"dedup\"} 1"
    ));
}

#[tokio::test]
async fn healthz_reports_a_lost_nats_connection() {
    let mut stack = Stack::start().await;
    stack.nats.kill();
    let langid = &stack.pipeline.separate().langid;
    assert!(
        eventually(Duration::from_secs(15), || langid.http_get("/healthz").0
            == 503)
        .await
    );
    stack.nats.restart();
    assert!(
        eventually(Duration::from_secs(15), || langid.http_get("/healthz").0
            == 200)
        .await
    );
}

/// Every `newsflow_*` and `process_*` name in the dashboards and alert
/// rules, with histogram suffixes removed.
fn metric_names_in(dir: &Path, names: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            metric_names_in(&path, names);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
        for prefix in ["newsflow_", "process_"] {
            for (start, _) in text.match_indices(prefix) {
                if text[..start].ends_with(is_name_char) {
                    continue;
                }
                let tail = &text[start..];
                let end = tail.find(|c: char| !is_name_char(c)).unwrap_or(tail.len());
                let name = &tail[..end];
                let base = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|suffix| name.strip_suffix(suffix))
                    .unwrap_or(name);
                names.insert(base.to_string());
            }
        }
    }
}

#[tokio::test]
async fn dashboards_and_alerts_only_use_metrics_the_services_export() {
    let stack = Stack::start().await;
    run_some_articles(&stack).await;
    let mut exported = BTreeSet::new();
    for service in stack.pipeline.services() {
        let (_, body) = service.http_get("/metrics");
        for line in body.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
            exported.insert(line.split(' ').next().unwrap().to_string());
        }
    }
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let mut used = BTreeSet::new();
    for dir in ["grafana/dashboards", "prometheus"] {
        metric_names_in(&deploy.join(dir), &mut used);
    }
    assert!(
        used.len() >= 10,
        "dashboards reference too few metrics: {used:?}"
    );
    let unknown: Vec<_> = used.difference(&exported).collect();
    assert!(
        unknown.is_empty(),
        "dashboards or alerts use metrics no service exports: {unknown:?}"
    );
}
