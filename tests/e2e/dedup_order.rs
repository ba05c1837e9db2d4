//! Which copy is the original: whatever order langid hands them to dedup
//! in, the earliest-published article of a group keeps the record.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use newsflow_core::subjects;
use newsflow_tests::{publish, shared_dir};
use serde_json::json;

use crate::{Outcomes, Stack};

/// Pairs published back to back, each original then its copy.
const PAIRS: usize = 40;

/// Distinct real English stories of at least 120 words (MasakhaNEWS, BBC):
/// the labelled pairs found no copies among them.
fn stories() -> Option<Vec<String>> {
    let path = shared_dir()?.join("data/news/masakhanews_en_fr.jsonl");
    let text = std::fs::read_to_string(path).ok()?;
    let mut seen = HashSet::new();
    let stories: Vec<String> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|v| v["lang"] == "en")
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .filter(|t| t.split_whitespace().count() >= 120)
        // One story per opening: the placeholders and series share theirs.
        .filter(|t| seen.insert(t.chars().take(80).collect::<String>()))
        .step_by(7)
        .take(PAIRS)
        .collect();
    (stories.len() == PAIRS).then_some(stories)
}

#[tokio::test]
async fn the_earliest_published_copy_keeps_the_record_whatever_the_processing_order() {
    let Some(stories) = stories() else {
        eprintln!("skipped: ../shared/data/news/masakhanews_en_fr.jsonl not found");
        return;
    };
    let stack = Stack::start().await;
    // Back to back: langid runs messages concurrently, so a copy often
    // reaches dedup before its original.
    for (i, story) in stories.iter().enumerate() {
        let copy_text = if i % 2 == 0 {
            // A near copy: dateline and credit line.
            format!(
                "LONDON (Reuters) - {story}\nReporting by the wire desk; editing by the night desk."
            )
        } else {
            // An exact copy (same words, other case and spacing).
            format!("  {}\n", story.to_uppercase())
        };
        for (id, text) in [
            (format!("orig-{i}"), story.clone()),
            (format!("copy-{i}"), copy_text),
        ] {
            let article = json!({"id": id, "text": text, "source": format!("paper-{}", id.len())});
            publish(
                &stack.js,
                subjects::RAW,
                &id,
                serde_json::to_vec(&article).unwrap(),
            )
            .await;
        }
    }

    // Every copy ends with a notice and every original with a record; a
    // copy whose notice withdraws its record has that record too (it goes
    // through enrich, the notice does not, so the notice can come first).
    let deadline = Instant::now() + Duration::from_secs(120);
    let outcomes = loop {
        let outcomes = Outcomes::read(&stack.js).await;
        let notices: HashMap<String, bool> = outcomes
            .duplicates
            .iter()
            .map(|n| {
                let notice = n.json();
                let id = notice["id"].as_str().unwrap().to_string();
                (id, notice["record_withdrawn"] == true)
            })
            .collect();
        let recorded = outcomes.records();
        let done = (0..PAIRS).all(|i| {
            let copy = format!("copy-{i}");
            notices
                .get(&copy)
                .is_some_and(|&withdrawn| !withdrawn || recorded.contains_key(&copy))
                && recorded.contains_key(&format!("orig-{i}"))
        });
        if done || Instant::now() > deadline {
            break outcomes;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(
        outcomes.dead_letters.is_empty(),
        "dead letters: {:?}",
        outcomes.dead_letters
    );
    let records = outcomes.records();
    let in_effect = outcomes.records_in_effect();
    let mut notices: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    for notice in &outcomes.duplicates {
        let notice = notice.json();
        notices
            .entry(notice["id"].as_str().unwrap().to_string())
            .or_default()
            .push(notice);
    }
    let mut replaced = 0;
    for i in 0..PAIRS {
        let (original, copy) = (format!("orig-{i}"), format!("copy-{i}"));
        assert!(
            !notices.contains_key(&original),
            "{original} reported as a copy: {:?}",
            notices[&original]
        );
        let record = records
            .get(&original)
            .unwrap_or_else(|| panic!("{original} has no record"));
        assert_eq!(record["dedup"]["cluster_id"], original.as_str());
        let copy_notices = notices
            .get(&copy)
            .unwrap_or_else(|| panic!("{copy} has no notice"));
        assert_eq!(copy_notices.len(), 1, "{copy_notices:?}");
        let notice = &copy_notices[0];
        assert_eq!(notice["duplicate_of"], original.as_str(), "{notice}");
        assert_eq!(
            notice["method"],
            if i % 2 == 0 { "near" } else { "exact" },
            "{notice}"
        );
        // A copy that reached dedup first had a record; its notice withdraws it.
        let withdrawn = notice["record_withdrawn"] == true;
        assert_eq!(records.contains_key(&copy), withdrawn, "{copy}: {notice}");
        assert!(
            !in_effect.contains_key(&copy),
            "{copy} keeps its record: {notice}"
        );
        replaced += usize::from(withdrawn);
        if i % 2 == 0 {
            assert!(
                notice["evidence"]["aligned_share"].as_f64().unwrap() > 0.9,
                "{notice}"
            );
        }
    }
    eprintln!(
        "{replaced} of {PAIRS} copies reached dedup before their original and handed the record back"
    );
}
