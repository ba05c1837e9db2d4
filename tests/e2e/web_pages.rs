//! Raw web pages through the live pipeline: every page ends as a record or as
//! a dead letter with a specific reason, never as a "duplicate" of a page
//! with other text; resends are not copies of themselves.

use std::time::Duration;

use newsflow_core::subjects;
use newsflow_tests::publish;
use serde_json::json;

use crate::{FAST_REDELIVERY, Outcomes, Stack, wait_for_outcomes};

/// A page shaped like real news pages: scripts (with `<` inside), a cookie
/// banner, navigation, the article, a "most read" box, a footer.
fn page(body_class: &str, title: &str, paragraphs: &[&str], script_bytes: usize) -> String {
    let script_line =
        "for (var i = 0; i<n && j>0; i++) { slots.push({id: i, size: [300, 250]}); }\n";
    let script = script_line.repeat(script_bytes / script_line.len() + 1);
    let article: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        r#"<!doctype html><html lang="en"><head><title>{title} | The Harbour Gazette</title>
<meta property="og:site_name" content="The Harbour Gazette">
<script>{script}</script></head>
<body class="{body_class}"><nav><a href="/">Home</a><a href="/city">City</a></nav>
<div class="cookie-consent">We use cookies. <button>Accept</button></div>
<form id="aspnetForm"><div class="paywall-container"><article><h1>{title}</h1>
{article}</article></div></form>
<aside><h3>Most read</h3><ul><li>Ferry timetable changes</li></ul></aside>
<footer>© The Harbour Gazette</footer></body></html>"#
    )
}

#[tokio::test]
async fn real_shaped_pages_end_as_records_or_specific_dead_letters() {
    let stack = Stack::start().await;
    let pages = [
        (
            "page-script",
            page(
                "article-page",
                "Night ferry service starts in June",
                &[
                    "The harbour authority will run a night ferry from June, with boats leaving every forty minutes after midnight.",
                    "Tickets will cost the same as daytime fares, and the service will be reviewed after the first three months.",
                ],
                20_000,
            ),
        ),
        (
            "page-sidebar",
            page(
                "modal-enabled sidebar-layout subtype-unsubscribed",
                "Council approves the school budget",
                &[
                    "The district council approved the new school budget on Tuesday evening after a debate that lasted four hours.",
                    "Teachers' unions welcomed the extra money for repairs but said salaries still lagged behind neighbouring districts.",
                ],
                5_000,
            ),
        ),
        (
            "page-korean",
            page(
                "news",
                "항만 야간 여객선 운항 시작",
                &[
                    "&lt;항만청은 6월부터 야간 여객선을 운항한다고 밝혔다&gt; 배는 자정 이후 40분마다 출발하며 요금은 낮 시간과 같다.",
                    "&amp;항만청 관계자는 첫 석 달 동안 이용객 수를 살펴본 뒤 운항 횟수를 조정하겠다고 말했다. 주민들은 대체로 환영했다.",
                ],
                1_000,
            ),
        ),
        (
            // Over the old 512 KiB limit and the median real page many times.
            "page-large",
            page(
                "article-page",
                "Storm closes the coastal road",
                &[
                    "A storm closed the coastal road on Sunday after waves threw stones and sand across both lanes near the lighthouse.",
                    "Crews expected to reopen it on Monday morning once engineers had checked the sea wall for damage.",
                ],
                3_000_000,
            ),
        ),
        (
            "page-script-only",
            page("app", "Live coverage", &["Loading"], 2_000),
        ),
        (
            "page-oversized",
            page(
                "article-page",
                "Too large",
                &["This page is larger than the intake limit of four mebibytes."],
                5_000_000,
            ),
        ),
    ];
    for (id, html) in &pages {
        let article =
            json!({"id": id, "url": format!("https://harbour.example/{id}"), "html": html});
        publish(
            &stack.js,
            subjects::RAW,
            id,
            serde_json::to_vec(&article).unwrap(),
        )
        .await;
    }
    wait_for_outcomes(&stack.js, pages.len() as u64, Duration::from_secs(60)).await;
    let outcomes = Outcomes::read(&stack.js).await;
    assert!(
        outcomes.duplicates.is_empty(),
        "pages with different texts reported as copies: {:?}",
        outcomes
            .duplicates
            .iter()
            .map(|d| d.json())
            .collect::<Vec<_>>()
    );
    let records = outcomes.records();
    for (id, expected_text, expected_title) in [
        (
            "page-script",
            "boats leaving every forty minutes",
            "Night ferry service starts in June",
        ),
        (
            "page-sidebar",
            "approved the new school budget",
            "Council approves the school budget",
        ),
        (
            "page-korean",
            "<항만청은 6월부터",
            "항만 야간 여객선 운항 시작",
        ),
        (
            "page-large",
            "closed the coastal road",
            "Storm closes the coastal road",
        ),
    ] {
        let record = records
            .get(id)
            .unwrap_or_else(|| panic!("no record for {id}: {:?}", outcomes.id_counts()));
        let text = record["text"].as_str().unwrap();
        assert!(text.contains(expected_text), "{id}: {text}");
        for furniture in ["cookies", "Most read", "Home", "slots.push"] {
            assert!(!text.contains(furniture), "{id} kept {furniture:?}: {text}");
        }
        assert_eq!(record["title"], expected_title, "{id}");
        assert_eq!(record["site_name"], "The Harbour Gazette", "{id}");
    }
    let code_of = |id: &str| {
        outcomes
            .dead_letters
            .iter()
            .find(|m| m.json()["id"] == id)
            .and_then(|m| m.header("Newsflow-Error-Code").map(str::to_string))
    };
    assert_eq!(code_of("page-script-only").as_deref(), Some("no_text"));
    assert_eq!(code_of("page-oversized").as_deref(), Some("too_large"));
    let oversized = outcomes
        .dead_letters
        .iter()
        .find(|m| m.json()["id"] == "page-oversized")
        .unwrap();
    let reason = oversized.header("Newsflow-Error").unwrap();
    assert!(reason.contains("4194304"), "{reason}");
}

#[tokio::test]
async fn a_resend_after_the_duplicate_window_is_passed_on_not_a_copy_of_itself() {
    let mut env = FAST_REDELIVERY.to_vec();
    env.push(("NEWSFLOW__STREAMS__DUPLICATE_WINDOW_SECS", "1"));
    let stack = Stack::start_with(&env).await;
    let text = "The harbour authority will run a night ferry from June, with boats leaving \
        every forty minutes after midnight. Tickets will cost the same as daytime fares.";
    let article = json!({"id": "ferry-1", "text": text});
    let payload = serde_json::to_vec(&article).unwrap();
    publish(&stack.js, subjects::RAW, "ferry-1", payload.clone()).await;
    wait_for_outcomes(&stack.js, 1, Duration::from_secs(20)).await;
    // The crawler runs again after the window: NATS stores the message again.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    publish(&stack.js, subjects::RAW, "ferry-1", payload).await;
    wait_for_outcomes(&stack.js, 2, Duration::from_secs(20)).await;
    let outcomes = Outcomes::read(&stack.js).await;
    assert!(
        outcomes.duplicates.is_empty(),
        "{:?}",
        outcomes.duplicates[0].json()
    );
    let dedup: Vec<_> = outcomes
        .enriched
        .iter()
        .map(|m| m.json()["dedup"].clone())
        .collect();
    assert_eq!(
        dedup,
        [
            json!({"status": "unique", "cluster_id": "ferry-1"}),
            json!({"status": "unique", "cluster_id": "ferry-1", "resend": true})
        ]
    );
}
