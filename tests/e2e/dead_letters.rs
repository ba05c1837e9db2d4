//! Bad input is dead-lettered with its reason and stage; good input keeps flowing.

use std::time::Duration;

use newsflow_core::subjects;
use newsflow_tests::{Deployment, publish};
use serde_json::json;

use crate::{Outcomes, Stack, wait_for_outcomes};

async fn malformed_messages_are_dead_lettered_with_reason_and_the_next_good_one_flows(
    deployment: Deployment,
) {
    let stack = Stack::start_as(deployment).await;
    // Over the 4 MiB default of max_article_bytes.
    let huge = json!({"id": "huge-1", "text": "a".repeat(4 * 1024 * 1024 + 1)}).to_string();
    let bad: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "malformed",
            br#"{"id": "m1", "text": "#.to_vec(),
            "invalid_json",
            "line 1 column",
        ),
        (
            "wrong-type",
            br#"{"id":"w1","text":"x","title":5}"#.to_vec(),
            "invalid_field",
            "`title`",
        ),
        (
            "bad-utf8",
            b"{\"id\":\"u1\",\"text\":\"caf\xe9\"}".to_vec(),
            "invalid_utf8",
            "offset 22",
        ),
        ("empty", Vec::new(), "empty", "empty"),
        ("huge", huge.into_bytes(), "too_large", "over the limit"),
        (
            "array",
            br#"[{"id":"x"}]"#.to_vec(),
            "invalid_json",
            "JSON object",
        ),
        (
            "no-content",
            br#"{"id":"n1","text":"   "}"#.to_vec(),
            "no_content",
            "`text` and `html`",
        ),
        (
            "too-short",
            br#"{"id":"t1","text":"A photo caption of seven words only."}"#.to_vec(),
            "no_text",
            "has 7 words, fewer than the minimum of 20",
        ),
    ];
    for (msg_id, payload, _, _) in &bad {
        publish(&stack.js, subjects::RAW, msg_id, payload.clone()).await;
    }
    let good = json!({"id": "good-1", "text": "After the bad ones, this article still reaches the end of the pipeline in one piece, with its language detected, its copies checked and its text enriched."});
    publish(
        &stack.js,
        subjects::RAW,
        "good-1",
        serde_json::to_vec(&good).unwrap(),
    )
    .await;

    wait_for_outcomes(&stack.js, bad.len() as u64 + 1, Duration::from_secs(30)).await;
    let outcomes = Outcomes::read(&stack.js).await;
    assert_eq!(outcomes.enriched.len(), 1);
    assert_eq!(outcomes.enriched[0].json()["id"], "good-1");
    assert_eq!(outcomes.dead_letters.len(), bad.len());
    for (name, payload, code, reason_part) in &bad {
        // Langid handles messages concurrently: dead letters may come in any order.
        let letter = outcomes
            .dead_letters
            .iter()
            .find(|letter| letter.payload.as_ref() == payload.as_slice())
            .unwrap_or_else(|| panic!("{name}: no dead letter holds the unchanged payload"));
        assert_eq!(
            letter.header(subjects::HEADER_STAGE),
            Some("langid"),
            "{name}"
        );
        assert_eq!(
            letter.header(subjects::HEADER_ERROR_CODE),
            Some(*code),
            "{name}"
        );
        let reason = letter.header(subjects::HEADER_ERROR).unwrap_or_default();
        assert!(
            reason.contains(reason_part),
            "{name}: reason {reason:?} should mention {reason_part:?}"
        );
        assert_eq!(
            letter.header(subjects::HEADER_SOURCE_SUBJECT),
            Some(subjects::RAW)
        );
    }

    // The loop's metrics carry the stage running it: langid, or the fused pipeline.
    let (langid, stage) = match deployment {
        Deployment::Separate => (&stack.pipeline.separate().langid, "langid"),
        Deployment::Fused => (stack.pipeline.services()[0], "pipeline"),
    };
    let metric = |reason: &str| {
        langid.metric(&format!(
            "newsflow_pipeline_messages_dead_lettered_total{{reason=\"{reason}\",stage=\"{stage}\"}}"
        ))
    };
    assert_eq!(metric("invalid_json"), 2.0);
    assert_eq!(metric("invalid_field"), 1.0);
    assert_eq!(metric("too_large"), 1.0);
    assert_eq!(metric("no_text"), 1.0);
    assert_eq!(
        langid.metric(&format!(
            "newsflow_pipeline_messages_received_total{{stage=\"{stage}\"}}"
        )),
        9.0
    );
    assert_eq!(
        langid.http_get("/healthz").0,
        200,
        "the service keeps running"
    );
}

#[tokio::test]
async fn a_broken_message_between_stages_is_dead_lettered_by_the_stage_that_read_it() {
    let stack = Stack::start().await;
    crate::wait_for_stream(&stack.js, subjects::STREAM_DETECTED).await;
    publish(
        &stack.js,
        subjects::DETECTED,
        "internal-1",
        br#"{"schema_version":99,"article":{"id":"x"}}"#.to_vec(),
    )
    .await;
    wait_for_outcomes(&stack.js, 1, Duration::from_secs(20)).await;
    let outcomes = Outcomes::read(&stack.js).await;
    let letter = &outcomes.dead_letters[0];
    assert_eq!(letter.header(subjects::HEADER_STAGE), Some("dedup"));
    let reason = letter.header(subjects::HEADER_ERROR).unwrap();
    assert!(reason.contains("staged article"), "{reason}");
}

#[tokio::test]
async fn transient_failures_are_retried_then_dead_lettered_after_max_deliver() {
    let env = [
        ("NEWSFLOW__CONSUMER__ACK_WAIT_SECS", "4"),
        ("NEWSFLOW__CONSUMER__MAX_DELIVER", "3"),
        ("NEWSFLOW__CONSUMER__RETRY_BASE_DELAY_MS", "100"),
        // A failure longer than the in-place retries (a stream gone for good).
        ("NEWSFLOW__CONSUMER__PUBLISH_RETRY_MS", "300"),
    ];
    let stack = Stack::start_with(&env).await;
    let article = json!({"id": "before", "text": "A first article proves that the fingerprint stream works before it goes away, so that the failure that follows can only come from the missing stream."});
    publish(
        &stack.js,
        subjects::RAW,
        "before",
        serde_json::to_vec(&article).unwrap(),
    )
    .await;
    wait_for_outcomes(&stack.js, 1, Duration::from_secs(20)).await;

    // Take the fingerprint stream away: every append now fails, a transient error.
    stack
        .js
        .delete_stream(subjects::STREAM_DEDUP_FINGERPRINTS)
        .await
        .unwrap();
    let article = json!({"id": "stuck", "text": "This article cannot be checked for duplicates while the fingerprint stream is gone, so dedup retries it with back-off and finally dead-letters it."});
    publish(
        &stack.js,
        subjects::RAW,
        "stuck",
        serde_json::to_vec(&article).unwrap(),
    )
    .await;
    wait_for_outcomes(&stack.js, 2, Duration::from_secs(30)).await;

    let outcomes = Outcomes::read(&stack.js).await;
    let letter = &outcomes.dead_letters[0];
    assert_eq!(letter.header(subjects::HEADER_STAGE), Some("dedup"));
    assert_eq!(
        letter.header(subjects::HEADER_ERROR_CODE),
        Some("max_deliveries")
    );
    assert_eq!(letter.header(subjects::HEADER_DELIVERIES), Some("3"));
    let staged: serde_json::Value = serde_json::from_slice(&letter.payload).unwrap();
    assert_eq!(
        staged["article"]["id"], "stuck",
        "the dead letter holds the stage's input"
    );
    let dedup = &stack.pipeline.separate().dedup;
    assert_eq!(
        dedup.metric(
            "newsflow_pipeline_messages_failed_total{error_type=\"fingerprints\",stage=\"dedup\"}"
        ),
        3.0
    );
    assert_eq!(
        dedup.metric(
            "newsflow_pipeline_messages_processed_total{outcome=\"retried\",stage=\"dedup\"}"
        ),
        2.0
    );
}

for_each_deployment!(malformed_messages_are_dead_lettered_with_reason_and_the_next_good_one_flows);
