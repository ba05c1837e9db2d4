//! Throughput of `newsflow sink postgres` (target ≥ 2,000
//! records/s): a real nats-server and a real PostgreSQL (default settings,
//! fsync on), `news.enriched` filled beforehand with real records (the
//! project's samples run through `newsflow process`, under new ids), then
//! the sink started and timed until every record has its committed row.
//!
//! `cargo bench -p newsflow-tests --bench sink --profile dev` (the debug
//! build the tests use; `cargo bench` alone needs a release build of the
//! binaries first). `SINK_BENCH_RECORDS` sets how many records (20,000).
//! The last line is `sink <X> records/s`.

use std::time::{Duration, Instant};

use async_nats::jetstream;
use newsflow_core::config::StreamSettings;
use newsflow_core::{subjects, topology};
use newsflow_tests::postgres::Postgres;
use newsflow_tests::{NatsServer, Service, newsflow_cli, samples_dir};
use serde_json::Value;

fn templates() -> Vec<Value> {
    let output = newsflow_cli(&["process", samples_dir().to_str().unwrap()], &[], None);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("duplicate_of").is_none())
        .collect()
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("SINK_BENCH_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let templates = templates();
    let nats = NatsServer::start();
    let js = nats.jetstream().await;
    topology::ensure_stream(
        &js,
        topology::stream_for(subjects::ENRICHED),
        &StreamSettings::default(),
    )
    .await
    .unwrap();
    let pg = Postgres::start(&[]);

    let mut bytes = 0;
    let mut acks = Vec::with_capacity(total);
    for i in 0..total {
        let mut record = templates[i % templates.len()].clone();
        let id = format!("bench-{i}");
        record["id"] = Value::String(id.clone());
        record["dedup"]["cluster_id"] = Value::String(id.clone());
        let payload = serde_json::to_vec(&record).unwrap();
        bytes += payload.len();
        let message = jetstream::message::PublishMessage::build()
            .payload(payload.into())
            .message_id(id);
        acks.push(js.send_publish(subjects::ENRICHED, message).await.unwrap());
        if acks.len() == 1000 {
            for ack in acks.drain(..) {
                ack.await.unwrap();
            }
        }
    }
    for ack in acks {
        ack.await.unwrap();
    }
    println!(
        "{total} records on news.enriched ({} KB on average, from {} sample records)",
        bytes / total / 1024,
        templates.len()
    );

    let client = pg.client().await;
    let started = Instant::now();
    let dsn = pg.dsn();
    let sink = Service::start_with_args(
        "newsflow",
        &["sink", "postgres", "--dsn", &dsn],
        &nats.url(),
        &[("RUST_LOG", "warn")],
    );
    let ready = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    let rows = loop {
        let rows: i64 = client
            .query_one("SELECT count(*) FROM newsflow_records", &[])
            .await
            .map(|r| r.get(0))
            .unwrap_or(0);
        if rows as usize >= total || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let elapsed = started.elapsed() - ready;
    assert_eq!(rows as usize, total, "{}", sink.log());
    let transactions = sink.metric("newsflow_sink_transactions_total{outcome=\"committed\"}");
    let in_transactions =
        sink.metric("newsflow_sink_transaction_duration_seconds_sum{sink=\"postgres\"}");
    println!(
        "sink started in {:.2}s, then wrote {total} rows in {:.2}s, {transactions} transactions \
         ({:.0} messages and {:.0} ms each on average)",
        ready.as_secs_f64(),
        elapsed.as_secs_f64(),
        total as f64 / transactions.max(1.0),
        in_transactions * 1000.0 / transactions.max(1.0)
    );
    println!("sink {:.0} records/s", total as f64 / elapsed.as_secs_f64());
}
