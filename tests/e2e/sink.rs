//! `newsflow sink postgres` against a real PostgreSQL and
//! a real nats-server: every record and notice lands once, the latest
//! version of an id wins, withdrawn records go whatever order their record
//! and notice come in, a SIGKILL mid-stream loses and doubles nothing, and
//! the README's analyst queries run.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use newsflow_core::config::StreamSettings;
use newsflow_core::{subjects, topology};
use newsflow_tests::postgres::Postgres;
use newsflow_tests::{NatsServer, Service, publish};
use serde_json::json;

use crate::FAST_REDELIVERY;

/// A record as enrich writes it, with the fields the sink indexes.
pub fn record(id: &str, version: u32, published_at: &str) -> Vec<u8> {
    let entities = if id.ends_with('0') {
        json!([{"id": "Q7184", "name": "NATO", "type": "organization", "candidate": false, "part_of": null,
                "mentions": [{"text": "NATO", "start": 0, "end": 4}]},
               {"id": null, "name": "Kharkiv", "type": "location", "candidate": true, "part_of": null,
                "mentions": [{"text": "Kharkiv", "start": 20, "end": 27}]}])
    } else {
        json!([])
    };
    json!({
        "id": id, "schema_version": 1, "title": format!("Story {id}"),
        "text": "NATO allies met in Kharkiv. ".repeat(40), "url": null, "source": null,
        "language": {"code": "eng", "iso639_1": "en", "script": "Latin", "confidence": 1.0, "reliable": true, "method": "trigram"},
        "published_at": published_at, "authors": [], "dateline": null, "word_count": 200,
        "dedup": {"status": "unique", "cluster_id": id},
        "pipeline": [{"stage": "enrich", "version": "0.1.0", "processed_at": published_at}],
        "published_precision": "second", "domain": null, "canonical_url": null, "site_name": null, "html_lang": null,
        "dates_mentioned": [], "entities": entities,
        "countries": [{"code": "UA", "count": 2, "names": ["Ukraine"]}, {"code": "BE", "count": 1, "names": ["Brussels"]}],
        "categories": [], "keywords": [], "quotes": [], "numbers": [], "summary": null, "reading_time_seconds": 50,
        "extra": {"version": version}
    })
    .to_string()
    .into_bytes()
}

pub fn notice(id: &str, of: &str, withdrawn: bool) -> Vec<u8> {
    json!({"id": id, "schema_version": 1, "duplicate_of": of, "method": "exact", "similarity": 1.0,
           "threshold": 1.0, "record_withdrawn": withdrawn, "url": null, "source": null, "title": null,
           "language": null, "pipeline": []})
    .to_string()
    .into_bytes()
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> i64 {
    match client.query_one(sql, &[]).await {
        Ok(row) => row.get(0),
        // The sink has not created the tables yet.
        Err(_) => 0,
    }
}

/// Waits until the sink's two consumers have nothing pending or unacked.
pub async fn wait_until_consumed(js: &jetstream::Context, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let mut idle = true;
        for spec in [newsflow_sink::RECORDS, newsflow_sink::DUPLICATES] {
            let info = match js.get_stream(spec.stream).await {
                Ok(stream) => stream.consumer_info(spec.durable).await.ok(),
                Err(_) => None,
            };
            idle &= info.is_some_and(|i| i.num_pending == 0 && i.num_ack_pending == 0);
        }
        if idle {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the sink did not consume everything in {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn start_sink(nats: &NatsServer, pg: &Postgres) -> Service {
    let dsn = pg.dsn();
    Service::start_with_args(
        "newsflow",
        &["sink", "postgres", "--dsn", &dsn],
        &nats.url(),
        FAST_REDELIVERY,
    )
}

const RECORDS: usize = 3000;
const SECOND_VERSIONS: usize = 400;

#[tokio::test]
async fn records_land_once_and_a_sigkill_mid_stream_loses_and_doubles_nothing() {
    let nats = NatsServer::start();
    let js = nats.jetstream().await;
    for subject in [subjects::ENRICHED, subjects::DUPLICATES] {
        topology::ensure_stream(
            &js,
            topology::stream_for(subject),
            &StreamSettings::default(),
        )
        .await
        .unwrap();
    }
    let pg = Postgres::start(&["fsync=off"]);
    let now = newsflow_core::chrono::Utc::now();
    let recent = now.to_rfc3339_opts(newsflow_core::chrono::SecondsFormat::Secs, true);
    let old = (now - newsflow_core::chrono::Duration::days(3))
        .to_rfc3339_opts(newsflow_core::chrono::SecondsFormat::Secs, true);

    // A withdrawn record before its notice, and a notice before the record it withdraws.
    publish(&js, subjects::ENRICHED, "w1@1", record("w1", 1, &recent)).await;
    publish(
        &js,
        subjects::DUPLICATES,
        "w1<",
        notice("w1", "de-energie", true),
    )
    .await;
    publish(&js, subjects::DUPLICATES, "w2<", notice("w2", "r2", true)).await;
    publish(
        &js,
        subjects::DUPLICATES,
        "d1@9",
        notice("d1", "de-energie", false),
    )
    .await;
    let mut sent = Vec::new();
    for i in 0..RECORDS {
        let at = if i % 2 == 0 { &recent } else { &old };
        sent.push((format!("r{i}@1"), record(&format!("r{i}"), 1, at)));
    }
    // Later versions of some ids (a resend, a replay): the latest must win.
    for i in 0..SECOND_VERSIONS {
        sent.push((format!("r{i}@2"), record(&format!("r{i}"), 2, &recent)));
    }
    let mut acks = Vec::new();
    for (id, payload) in sent {
        let message = jetstream::message::PublishMessage::build()
            .payload(payload.into())
            .message_id(id);
        acks.push(js.send_publish(subjects::ENRICHED, message).await.unwrap());
    }
    publish(&js, subjects::ENRICHED, "w2@1", record("w2", 1, &recent)).await;
    for ack in acks {
        ack.await.unwrap();
    }

    let client = pg.client().await;
    let mut sink = start_sink(&nats, &pg);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut at_kill = 0;
    while Instant::now() < deadline {
        at_kill = count(&client, "SELECT count(*) FROM newsflow_records").await;
        if at_kill >= 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sink.kill();
    let after_kill = count(&client, "SELECT count(*) FROM newsflow_records").await;
    assert!(
        (300..RECORDS as i64).contains(&after_kill),
        "the SIGKILL should land mid-stream: {after_kill} of {RECORDS} rows were in (at the kill: {at_kill})"
    );

    sink.restart();
    wait_until_consumed(&js, Duration::from_secs(90)).await;
    let rows = count(&client, "SELECT count(*) FROM newsflow_records").await;
    let distinct = count(&client, "SELECT count(DISTINCT id) FROM newsflow_records").await;
    assert_eq!(
        (rows, distinct),
        (RECORDS as i64, RECORDS as i64),
        "{}",
        sink.log()
    );
    let ids: HashSet<String> = client
        .query("SELECT id FROM newsflow_records", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: HashSet<String> = (0..RECORDS).map(|i| format!("r{i}")).collect();
    assert_eq!(
        ids, expected,
        "w1 and w2 were withdrawn; every r id has a row"
    );
    let latest = count(
        &client,
        "SELECT count(*) FROM newsflow_records WHERE (record #>> '{extra,version}')::int = 2",
    )
    .await;
    assert_eq!(
        latest, SECOND_VERSIONS as i64,
        "the later version of an id wins"
    );

    let notices = client
        .query(
            "SELECT id, duplicate_of, record_withdrawn FROM newsflow_duplicates ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let notices: Vec<(String, String, bool)> = notices
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        notices,
        vec![
            ("d1".into(), "de-energie".into(), false),
            ("w1".into(), "de-energie".into(), true),
            ("w2".into(), "r2".into(), true)
        ]
    );

    // The indexed columns.
    let nato = count(
        &client,
        "SELECT count(*) FROM newsflow_records WHERE entity_ids @> ARRAY['Q7184']",
    )
    .await;
    assert_eq!(nato, (RECORDS / 10) as i64);
    let ukraine = count(
        &client,
        "SELECT count(*) FROM newsflow_records WHERE countries[1] = 'UA' AND language = 'eng'",
    )
    .await;
    assert_eq!(ukraine, RECORDS as i64);

    check_readme_queries(&client).await;

    assert!(sink.metric("newsflow_sink_rows_written_total{table=\"newsflow_records\"}") > 0.0);
    assert!(
        sink.terminate(Duration::from_secs(30)),
        "the sink exits 0 on SIGTERM: {}",
        sink.log()
    );
}

/// The SQL blocks of the README's "Records into PostgreSQL" section run,
/// and each finds what the data above holds.
async fn check_readme_queries(client: &tokio_postgres::Client) {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    let marker = "<!-- analyst queries, run by tests/e2e/sink.rs -->";
    let start = readme
        .find(marker)
        .expect("the README has the analyst queries")
        + marker.len();
    let block = &readme[start..];
    let block = &block[block.find("```sql").unwrap() + 6..];
    let block = &block[..block.find("```").unwrap()];
    let queries: Vec<&str> = block
        .split(';')
        .map(str::trim)
        .filter(|q| {
            q.lines()
                .any(|l| !l.trim().is_empty() && !l.trim().starts_with("--"))
        })
        .collect();
    assert_eq!(queries.len(), 3, "{block}");
    for query in queries {
        let rows = client
            .query(query, &[])
            .await
            .unwrap_or_else(|e| panic!("README query fails: {e:?}\n{query}"));
        assert!(!rows.is_empty(), "README query finds nothing:\n{query}");
    }
}
