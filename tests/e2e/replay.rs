//! `newsflow replay` through the live pipeline: replayed
//! articles are not dropped by the duplicate window, run again through
//! every stage and give records marked `replay` that supersede the first
//! ones; a replayed copy is a copy again; the same run started twice
//! publishes nothing twice. The PostgreSQL sink runs alongside: its table
//! ends with the replayed records in place of the first ones.

use std::time::Duration;

use newsflow_core::subjects;
use newsflow_tests::postgres::Postgres;
use newsflow_tests::{newsflow_cli, publish, samples_dir};
use serde_json::json;

use crate::{Outcomes, Stack, outcomes_len, stream_len, wait_for_every_id, wait_for_outcomes};

fn replay(stack: &Stack, args: &[&str]) -> String {
    let url = stack.nats.url();
    let output = newsflow_cli(&[&["replay"], args].concat(), &[("NATS_URL", &url)], None);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "newsflow replay {args:?} failed: {stderr}"
    );
    stderr
}

#[tokio::test]
async fn replayed_articles_run_again_and_supersede_their_records() {
    let stack = Stack::start().await;
    let pg = Postgres::start(&["fsync=off"]);
    let mut sink = crate::sink::start_sink(&stack.nats, &pg);
    let story = std::fs::read_to_string(samples_dir().join("fr-inondations.txt")).unwrap();
    let other = std::fs::read_to_string(samples_dir().join("en-alliance.txt")).unwrap();
    let articles = [
        ("rp-original", story.as_str()),
        ("rp-copy", story.as_str()),
        ("rp-other", other.as_str()),
    ];
    for (id, text) in articles {
        let article = json!({"id": id, "text": text}).to_string();
        publish(&stack.js, subjects::RAW, id, article).await;
    }
    // Stored once each: the replay must not trip on the originals' ids.
    let ids = articles.map(|(id, _)| id);
    wait_for_every_id(&stack.js, &ids, Duration::from_secs(30)).await;
    // Three, or four when the copy reached dedup first and its record was
    // withdrawn; the replay adds one each (the replayed copy meets its
    // original's fingerprint first).
    let first_round = outcomes_len(&stack.js).await;

    let first = replay(&stack, &["--from-seq", "1", "--run-id", "t1"]);
    assert!(first.contains("replayed 3 articles"), "{first}");
    let again = replay(
        &stack,
        &["--from-seq", "1", "--to-seq", "3", "--run-id", "t1"],
    );
    assert!(
        again.contains("replayed 0 articles") && again.contains("3 already stored by this run"),
        "{again}"
    );
    let nothing = replay(
        &stack,
        &["--since", "2999-01-01T00:00:00Z", "--run-id", "t2"],
    );
    assert!(nothing.contains("replayed 0 articles"), "{nothing}");
    assert_eq!(stream_len(&stack.js, subjects::RAW).await, 6);

    wait_for_outcomes(&stack.js, first_round + 3, Duration::from_secs(30)).await;
    let outcomes = Outcomes::read(&stack.js).await;
    assert!(outcomes.dead_letters.is_empty());
    let mut replayed = Vec::new();
    for message in &outcomes.enriched {
        let record = message.json();
        if record["replay"].is_null() {
            continue;
        }
        let id = record["id"].as_str().unwrap().to_string();
        assert_eq!(record["replay"]["run"], "t1");
        // A resend of itself for dedup: the record replaces the earlier one.
        assert_eq!(record["dedup"]["resend"], true, "{id}");
        let of_seq = record["replay"]["of_seq"].as_u64().unwrap();
        replayed.push((id, of_seq));
    }
    replayed.sort();
    assert_eq!(
        replayed,
        vec![("rp-original".to_string(), 1), ("rp-other".to_string(), 3)]
    );
    let copies: Vec<(String, String)> = outcomes
        .duplicates
        .iter()
        .map(|m| {
            let n = m.json();
            (
                n["id"].as_str().unwrap().into(),
                n["duplicate_of"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        copies,
        vec![
            ("rp-copy".to_string(), "rp-original".to_string()),
            ("rp-copy".to_string(), "rp-original".to_string())
        ],
        "the replayed copy is a copy of the same original again"
    );

    // The sink's table: the replayed records superseded the first ones.
    crate::sink::wait_until_consumed(&stack.js, Duration::from_secs(30)).await;
    let client = pg.client().await;
    let rows = client
        .query(
            "SELECT id, record #>> '{replay,run}', (record #>> '{replay,of_seq}')::bigint \
             FROM newsflow_records ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let rows: Vec<(String, Option<String>, Option<i64>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("rp-original".into(), Some("t1".into()), Some(1)),
            ("rp-other".into(), Some("t1".into()), Some(3))
        ]
    );
    let copies = client
        .query("SELECT id, duplicate_of FROM newsflow_duplicates", &[])
        .await
        .unwrap();
    let copies: Vec<(String, String)> = copies.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(copies, vec![("rp-copy".into(), "rp-original".into())]);
    assert!(sink.terminate(Duration::from_secs(30)), "{}", sink.log());
}
