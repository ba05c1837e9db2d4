//! Articles in, records out: languages, datelines, duplicates, contracts.

use std::path::Path;
use std::time::Duration;

use newsflow_core::subjects;
use newsflow_tests::{publish, samples_dir, shared_dir};
use serde_json::json;

use crate::{Outcomes, Stack, wait_for_every_id, wait_for_outcomes};
use newsflow_tests::Deployment;

/// Publishes a directory of .txt seeds as `newsflow publish` would: id = file stem.
async fn publish_text_files(stack: &Stack, dir: &Path) -> Vec<String> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    let mut ids = Vec::new();
    for path in paths {
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let article = json!({"id": id, "text": text});
        publish(
            &stack.js,
            subjects::RAW,
            &id,
            serde_json::to_vec(&article).unwrap(),
        )
        .await;
        ids.push(id);
    }
    ids
}

async fn the_five_seeds_become_five_records_with_languages_and_the_dateline(
    deployment: Deployment,
) {
    let Some(shared) = shared_dir() else {
        eprintln!("../shared is not beside the checkout; the seed test needs it (CI has it)");
        return;
    };
    let stack = Stack::start_as(deployment).await;
    let ids = publish_text_files(&stack, &shared.join("seeds")).await;
    assert_eq!(ids.len(), 5);
    wait_for_outcomes(&stack.js, 5, Duration::from_secs(30)).await;
    let outcomes = Outcomes::read(&stack.js).await;
    assert_eq!(
        outcomes.enriched.len(),
        5,
        "dead letters: {:?}",
        outcomes.dead_letters
    );
    let records = outcomes.records();
    let languages: Vec<&str> = ids
        .iter()
        .map(|id| records[id]["language"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(languages, ["ara", "eng", "eng", "fra", "eng"]);

    let seed_001 = &records[&ids[1]];
    assert_eq!(seed_001["published_at"], "2024-01-15T00:00:00Z");
    assert_eq!(seed_001["authors"], json!(["Dina Mahmoud"]));
    assert_eq!(seed_001["dateline"]["location"], "London");
    assert!(
        !seed_001["text"].as_str().unwrap().contains("Dina Mahmoud"),
        "header left in the text"
    );
    for record in records.values() {
        assert!(
            record["title"].as_str().is_some_and(|t| !t.is_empty()),
            "no title: {record}"
        );
        assert!(record["word_count"].as_u64().unwrap() > 100);
        assert_eq!(record["dedup"]["status"], "unique");
        let stages: Vec<&str> = record["pipeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["stage"].as_str().unwrap())
            .collect();
        assert_eq!(stages, ["langid", "dedup", "enrich"]);
    }

    // Both deployments give a record the id `<article id>@<NEWS_RAW sequence>`,
    // so a redelivery, or the other deployment beside it, cannot store it twice.
    for message in &outcomes.enriched {
        let id = message.json()["id"].as_str().unwrap().to_string();
        let sequence = ids.iter().position(|i| *i == id).unwrap() + 1;
        assert_eq!(
            message.header("Nats-Msg-Id"),
            Some(format!("{id}@{sequence}").as_str())
        );
    }

    // Enrichment: one identity across languages and scripts, countries, numbers.
    let entity_ids = |record: &serde_json::Value| -> Vec<String> {
        record["entities"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["id"].as_str().map(str::to_string))
            .collect()
    };
    let country_codes = |record: &serde_json::Value| -> Vec<String> {
        record["countries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap().to_string())
            .collect()
    };
    let seed_000 = &records[&ids[0]];
    assert!(
        entity_ids(seed_000).contains(&"Q2429253".to_string()),
        "{seed_000}"
    );
    assert!(entity_ids(seed_000).contains(&"nf:james-clapper".to_string()));
    for code in ["DE", "GB", "IT", "FR", "BE", "US"] {
        assert!(
            country_codes(seed_000).contains(&code.to_string()),
            "{code}"
        );
    }
    assert!(entity_ids(&records[&ids[1]]).contains(&"nf:isis-k".to_string()));
    let seed_002_text = records[&ids[2]]["text"].as_str().unwrap();
    assert!(!seed_002_text.contains("Subscriber+") && !seed_002_text.contains("Related Articles"));
    assert!(entity_ids(&records[&ids[3]]).contains(&"Q207203".to_string()));
    assert!(
        records[&ids[4]]["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "killed" && n["value"] == 130.0),
        "{}",
        records[&ids[4]]["numbers"]
    );
}

async fn a_copy_under_another_id_gives_a_duplicate_notice_naming_the_original(
    deployment: Deployment,
) {
    let stack = Stack::start_as(deployment).await;
    let text = std::fs::read_to_string(samples_dir().join("fr-inondations.txt")).unwrap();
    let original = json!({"id": "orig-1", "text": text, "source": "a"});
    publish(
        &stack.js,
        subjects::RAW,
        "orig-1",
        serde_json::to_vec(&original).unwrap(),
    )
    .await;
    wait_for_outcomes(&stack.js, 1, Duration::from_secs(20)).await;
    let copy = json!({"id": "copy-1", "title": "Autre titre", "text": format!("  {}\n", text.to_uppercase()), "source": "b"});
    publish(
        &stack.js,
        subjects::RAW,
        "copy-1",
        serde_json::to_vec(&copy).unwrap(),
    )
    .await;
    wait_for_outcomes(&stack.js, 2, Duration::from_secs(20)).await;

    let outcomes = Outcomes::read(&stack.js).await;
    assert_eq!(outcomes.enriched.len(), 1);
    assert_eq!(outcomes.duplicates.len(), 1);
    let notice = outcomes.duplicates[0].json();
    assert_eq!(notice["id"], "copy-1");
    assert_eq!(notice["duplicate_of"], "orig-1");
    assert_eq!(notice["method"], "exact");
    assert_eq!(notice["similarity"], 1.0);
    assert_eq!(notice["language"]["code"], "fra");
}

/// Expected language of each of the project's own samples.
const SAMPLE_LANGUAGES: &[(&str, &str)] = &[
    ("ar-hudud", "ara"),
    ("de-energie", "deu"),
    ("en-dateline", "eng"),
    ("en-debris", "eng"),
    ("en-page", "eng"),
    ("es-migracion", "spa"),
    ("fr-inondations", "fra"),
    ("hi-chunav", "hin"),
    ("ru-kiberataka", "rus"),
    ("zh-jingji", "cmn"),
    ("en-alliance", "eng"),
    ("ar-ghazza", "ara"),
    ("feed-tr-1", "tur"),
    ("feed-ja-1", "jpn"),
    ("feed-pt-1", "por"),
];

async fn the_project_samples_flow_through_the_cli_and_match_the_contracts(deployment: Deployment) {
    let stack = Stack::start_as(deployment).await;
    let status = std::process::Command::new(newsflow_tests::binary("newsflow"))
        .arg("publish")
        .arg(samples_dir())
        .env("NATS_URL", stack.nats.url())
        .status()
        .unwrap();
    assert!(status.success());
    // Every sample and the syndicated copy of de-energie.
    let ids: Vec<&str> = SAMPLE_LANGUAGES
        .iter()
        .map(|(id, _)| *id)
        .chain(["de-strompreise-kopie"])
        .collect();
    wait_for_every_id(&stack.js, &ids, Duration::from_secs(30)).await;
    let outcomes = Outcomes::read(&stack.js).await;
    assert!(
        outcomes.dead_letters.is_empty(),
        "{:?}",
        outcomes.dead_letters
    );
    // The offline mode gives the same records.
    crate::process::compare_with_live(&outcomes);
    let mut records = outcomes.records_in_effect();
    // The German story and its syndicated copy race through the concurrent
    // stages: whichever is claimed first is the original.
    assert_eq!(outcomes.duplicates.len(), 1);
    let notice = outcomes.duplicates[0].json();
    let mut pair = [
        notice["id"].as_str().unwrap(),
        notice["duplicate_of"].as_str().unwrap(),
    ];
    pair.sort_unstable();
    assert_eq!(pair, ["de-energie", "de-strompreise-kopie"]);
    if notice["record_withdrawn"] == true {
        // The copy's record came first and was withdrawn; the original has its own.
        assert_eq!(notice["id"], "de-strompreise-kopie");
    }
    if let Some(copy) = records.remove("de-strompreise-kopie") {
        records.insert("de-energie".into(), copy);
    }
    for (id, code) in SAMPLE_LANGUAGES {
        let record = records
            .get(*id)
            .unwrap_or_else(|| panic!("no record for {id}"));
        assert_eq!(record["language"]["code"], *code, "{id}");
    }

    let dateline = &records["en-dateline"];
    assert_eq!(dateline["published_at"], "2025-03-04T00:00:00Z");
    assert_eq!(dateline["authors"], json!(["Maya Collins"]));
    assert_eq!(dateline["dateline"]["location"], "Brussels");

    let page = &records["en-page"];
    // The headline, without the site name the page's <title> adds.
    assert_eq!(
        page["title"],
        "Regional leaders agree on joint wildfire response"
    );
    let page_text = page["text"].as_str().unwrap();
    assert!(page_text.contains("pool firefighting aircraft"));
    assert!(
        !page_text.contains("cookies") && !page_text.contains("Most read"),
        "{page_text}"
    );

    assert_eq!(page["published_at"], "2025-06-12T09:30:00Z");
    assert_eq!(page["published_precision"], "minute");
    assert_eq!(page["authors"], json!(["Sam Okafor"]));
    assert_eq!(page["site_name"], "The Example Herald");
    assert_eq!(page["html_lang"], "en");

    let debris = &records["en-debris"];
    let debris_text = debris["text"].as_str().unwrap();
    assert!(!debris_text.contains("Subscriber+") && !debris_text.contains("Related Articles"));
    assert_eq!(
        debris["title"],
        "Port authorities tighten checks after record seizure"
    );

    let alliance = &records["en-alliance"];
    crate::readme_record::check(&records[crate::readme_record::SAMPLE_ID]);
    assert_eq!(alliance["countries"][0]["code"], "UA");
    assert_eq!(alliance["dateline"]["location"], "Brussels");
    assert!(
        alliance["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == "Q57792" && e["mentions"].as_array().unwrap().len() == 3)
    );
    assert!(
        alliance["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "killed" && n["value"] == 12.0)
    );
    assert!(
        alliance["quotes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["speaker_id"] == "Q57792")
    );
    let ghazza = &records["ar-ghazza"];
    assert!(
        ghazza["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == "Q311440")
    );
    assert!(
        ghazza["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "armed_conflict")
    );

    let feed = &records["feed-tr-1"];
    assert_eq!(feed["published_at"], "2025-09-18T08:00:00Z");
    assert_eq!(feed["metadata"]["feed"], "economy");
    assert_eq!(
        feed["extra"]["crawler"]["run"], "demo",
        "unknown input fields are kept"
    );

    let validator = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../proto")
            .join(name);
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    };
    let record_schema = validator("enriched-record.v1.schema.json");
    for message in &outcomes.enriched {
        let value = message.json();
        let errors: Vec<String> = record_schema
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "record {} breaks its schema: {errors:?}",
            value["id"]
        );
    }
    let notice_schema = validator("duplicate-notice.v1.schema.json");
    for message in &outcomes.duplicates {
        let value = message.json();
        assert!(
            notice_schema.is_valid(&value),
            "notice breaks its schema: {value}"
        );
    }
}

for_each_deployment!(the_five_seeds_become_five_records_with_languages_and_the_dateline);
for_each_deployment!(a_copy_under_another_id_gives_a_duplicate_notice_naming_the_original);
for_each_deployment!(the_project_samples_flow_through_the_cli_and_match_the_contracts);
