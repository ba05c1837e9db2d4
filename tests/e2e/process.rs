//! `newsflow process` gives the live pipeline's records.
//!
//! The flow test runs the project's samples through the services and hands
//! its outcomes here; `newsflow process` runs the same files in one process
//! without NATS. Every record must be equal, field for field, except the
//! `processed_at` times of the `pipeline` steps; every duplicate notice must
//! name the same original with the same method and similarity. The live
//! pipeline runs the stages concurrently, so a copy can reach dedup before
//! its original and get a record that the original's arrival withdraws
//! (a notice with `record_withdrawn: true`, without language or the
//! copy's pipeline steps): such a record is not part of the final state
//! compared, and for notices only the verdict is compared.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Outcomes;

/// A record without what legitimately differs between two runs.
fn comparable(mut record: Value) -> Value {
    if let Some(steps) = record["pipeline"].as_array_mut() {
        for step in steps {
            step.as_object_mut().unwrap().remove("processed_at");
        }
    }
    record
}

/// What a notice decides.
fn verdict(notice: &Value) -> Value {
    serde_json::json!([
        notice["duplicate_of"],
        notice["method"],
        notice["similarity"],
        notice["threshold"]
    ])
}

pub fn compare_with_live(live: &Outcomes) {
    let output = newsflow_tests::newsflow_cli(
        &["process", newsflow_tests::samples_dir().to_str().unwrap()],
        &[],
        None,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "newsflow process failed: {stderr}");
    let mut offline_records = BTreeMap::new();
    let mut offline_notices = BTreeMap::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        let id = value["id"].as_str().unwrap().to_string();
        if value.get("duplicate_of").is_some() {
            offline_notices.insert(id, verdict(&value));
        } else {
            assert!(
                offline_records
                    .insert(id.clone(), comparable(value))
                    .is_none(),
                "{id} twice"
            );
        }
    }

    let mut live_notices = BTreeMap::new();
    for message in &live.duplicates {
        let notice = message.json();
        let id = notice["id"].as_str().unwrap().to_string();
        live_notices.insert(id, verdict(&notice));
    }
    let live_records: BTreeMap<String, Value> = live
        .records_in_effect()
        .into_iter()
        .map(|(id, record)| (id, comparable(record)))
        .collect();
    assert_eq!(
        offline_records.keys().collect::<Vec<_>>(),
        live_records.keys().collect::<Vec<_>>(),
        "the same articles have records"
    );
    for (id, offline) in &offline_records {
        assert_eq!(
            offline, &live_records[id],
            "record {id}: offline (left) vs live (right)"
        );
    }
    assert!(!offline_notices.is_empty(), "the samples hold a copy");
    assert_eq!(offline_notices, live_notices, "duplicate notices");
    assert!(stderr.contains("0 dead letters"), "{stderr}");
}
