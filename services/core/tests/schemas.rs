//! The JSON Schemas in `proto/` against the Rust wire types in `contracts`.
//!
//! Every value built here is serialized with serde and validated by the schema
//! of its contract. The property names a schema declares must equal the keys of
//! a fully-populated value, so a field added to one side only fails the test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use jsonschema::{Draft, Validator};
use newsflow_core::contracts::{
    Article, Category, CountryCount, DateMention, DatePrecision, Dateline, DedupInfo,
    DuplicateEvidence, DuplicateMethod, DuplicateNotice, EnrichedRecord, Entity, EntityType,
    ExtractedPage, ExtractionMethod, Keyword, Language, Mention, NumberMention, PipelineStep,
    Quote, RECORD_SCHEMA_VERSION, Replay, STAGED_SCHEMA_VERSION, StagedArticle,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

const ARTICLE: &str = "article.v1.schema.json";
const STAGED: &str = "staged-article.v1.schema.json";
const RECORD: &str = "enriched-record.v1.schema.json";
const NOTICE: &str = "duplicate-notice.v1.schema.json";

/// The unknown input field carried by the fully-populated article.
const UNKNOWN_FIELD: &str = "x_crawler";

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../proto")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

fn validator(name: &str) -> Validator {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&load(name))
        .unwrap_or_else(|e| panic!("{name} does not compile: {e}"))
}

fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("serializes")
}

#[track_caller]
fn assert_valid(name: &str, instance: &Value) {
    let errors: Vec<String> = validator(name)
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name} rejects {instance:#}:\n{}",
        errors.join("\n")
    );
}

#[track_caller]
fn assert_invalid(name: &str, instance: &Value) {
    assert!(
        !validator(name).is_valid(instance),
        "{name} accepts {instance:#}"
    );
}

// ---- property names: schema vs serialized value ----

/// A schema node and the root of the schema resource it belongs to.
type Site<'a> = (&'a Value, &'a Value);

fn resolve<'a>(root: &'a Value, reference: &str) -> Site<'a> {
    if let Some(pointer) = reference.strip_prefix('#') {
        let target = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("unresolved $ref {reference}"));
        return (root, target);
    }
    // A relative reference to a schema resource embedded under `$defs`.
    let embedded = root["$defs"]
        .as_object()
        .into_iter()
        .flat_map(Map::values)
        .find(|d| {
            d["$id"]
                .as_str()
                .is_some_and(|id| id.ends_with(&format!("/{reference}")))
        })
        .unwrap_or_else(|| panic!("unresolved $ref {reference}"));
    (embedded, embedded)
}

/// Gathers the properties and array items a node declares, through `$ref`,
/// `allOf`, `anyOf` and `oneOf`.
fn collect<'a>(
    (root, node): Site<'a>,
    properties: &mut BTreeMap<&'a str, Vec<Site<'a>>>,
    items: &mut Vec<Site<'a>>,
) {
    if let Some(reference) = node["$ref"].as_str() {
        collect(resolve(root, reference), properties, items);
    }
    if let Some(declared) = node["properties"].as_object() {
        for (name, schema) in declared {
            properties
                .entry(name.as_str())
                .or_default()
                .push((root, schema));
        }
    }
    if node["items"].is_object() {
        items.push((root, &node["items"]));
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        for sub in node[keyword].as_array().into_iter().flatten() {
            collect((root, sub), properties, items);
        }
    }
}

/// Asserts that every object in `value` whose schema declares properties has
/// exactly those keys (besides `unknown` ones), recursively.
fn assert_same_keys(sites: &[Site<'_>], value: &Value, path: &str, unknown: &BTreeSet<&str>) {
    let mut properties = BTreeMap::new();
    let mut items = Vec::new();
    for &site in sites {
        collect(site, &mut properties, &mut items);
    }
    match value {
        Value::Object(object) if !properties.is_empty() => {
            let actual: BTreeSet<&str> = object
                .keys()
                .map(String::as_str)
                .filter(|k| !unknown.contains(k))
                .collect();
            let declared: BTreeSet<&str> = properties.keys().copied().collect();
            assert_eq!(
                actual, declared,
                "at {path}: serialized keys (left) differ from schema properties (right)"
            );
            for (key, child) in object {
                if let Some(child_sites) = properties.get(key.as_str()) {
                    assert_same_keys(child_sites, child, &format!("{path}/{key}"), unknown);
                }
            }
        }
        Value::Array(elements) if !items.is_empty() => {
            for (i, element) in elements.iter().enumerate() {
                assert_same_keys(&items, element, &format!("{path}/{i}"), unknown);
            }
        }
        _ => {}
    }
}

fn assert_schema_matches_keys(name: &str, value: &Value, unknown: &[&str]) {
    let schema = load(name);
    assert_same_keys(
        &[(&schema, &schema)],
        value,
        "",
        &unknown.iter().copied().collect(),
    );
}

// ---- fully-populated values ----

fn step(stage: &str) -> PipelineStep {
    PipelineStep {
        stage: stage.into(),
        version: "0.1.0".into(),
        processed_at: "2024-05-02T09:15:00.123Z".into(),
    }
}

fn language() -> Language {
    Language {
        code: "por".into(),
        iso639_1: Some("pt".into()),
        script: Some("Latin".into()),
        confidence: 0.982,
        reliable: true,
        method: "trigram".into(),
    }
}

fn dedup() -> DedupInfo {
    DedupInfo {
        status: "unique".into(),
        cluster_id: "tram-28-returns".into(),
        resend: true,
    }
}

fn full_page() -> ExtractedPage {
    ExtractedPage {
        text: "The historic line reopened on Thursday morning.".into(),
        title: Some("Tram 28 returns after track repairs".into()),
        page_title: Some("Tram 28 returns after track repairs | Lisbon Daily".into()),
        authors: vec!["Rita Sousa".into()],
        published: vec!["2024-05-02T08:30:00+01:00".into(), "2024-05-02".into()],
        canonical_url: Some("https://lisbon-daily.test/city/tram-28-returns".into()),
        site_name: Some("Lisbon Daily".into()),
        lang: Some("pt".into()),
        method: ExtractionMethod::Readability,
        truncated: true,
    }
}

fn metadata() -> Map<String, Value> {
    let Value::Object(map) = json!({"section": "city", "tags": ["transport", "lisbon"]}) else {
        unreachable!()
    };
    map
}

fn full_article() -> Article {
    let mut extra = Map::new();
    extra.insert(
        UNKNOWN_FIELD.into(),
        json!({"run": 12, "node": "crawler-3"}),
    );
    Article {
        id: Some("tram-28-returns".into()),
        url: Some("https://lisbon-daily.test/city/tram-28-returns".into()),
        source: Some("Lisbon Daily".into()),
        title: Some("Tram 28 returns after track repairs".into()),
        text: Some("The historic line reopened on Thursday morning.".into()),
        html: Some("<p>The historic line reopened on Thursday morning.</p>".into()),
        published_at: Some("2024-05-02T08:30:00+01:00".into()),
        lang_hint: Some("pt".into()),
        metadata: Some(metadata()),
        replay: Some(replay()),
        extra,
    }
}

fn replay() -> Replay {
    Replay {
        of_seq: 4711,
        run: "r20240502T0915".into(),
    }
}

fn full_staged() -> StagedArticle {
    StagedArticle {
        schema_version: STAGED_SCHEMA_VERSION,
        article: full_article(),
        source_seq: 4711,
        received_at: "2024-05-02T09:14:59.870Z".into(),
        language: Some(language()),
        dedup: Some(dedup()),
        page: Some(full_page()),
        pipeline: vec![step("langid"), step("dedup")],
    }
}

fn full_record() -> EnrichedRecord {
    let mut extra = Map::new();
    extra.insert(UNKNOWN_FIELD.into(), json!({"run": 12}));
    EnrichedRecord {
        id: "tram-28-returns".into(),
        schema_version: RECORD_SCHEMA_VERSION,
        title: Some("Tram 28 returns after track repairs".into()),
        text: "The historic line reopened on Thursday morning.".into(),
        url: Some("https://lisbon-daily.test/city/tram-28-returns".into()),
        source: Some("Lisbon Daily".into()),
        language: language(),
        published_at: Some("2024-05-02T07:30:00Z".into()),
        authors: vec!["Rita Sousa".into()],
        dateline: Some(Dateline {
            location: Some("Lisbon".into()),
            date: Some("2024-05-02".into()),
        }),
        word_count: 7,
        dedup: dedup(),
        pipeline: vec![step("langid"), step("dedup"), step("enrich")],
        published_precision: Some(DatePrecision::Minute),
        domain: Some("lisbon-daily.test".into()),
        canonical_url: Some("https://lisbon-daily.test/city/tram-28-returns".into()),
        site_name: Some("Lisbon Daily".into()),
        html_lang: Some("en".into()),
        dates_mentioned: vec![DateMention {
            text: "Thursday".into(),
            start: 30,
            end: 38,
            date: "2024-05-02".into(),
            kind: "relative".into(),
        }],
        entities: vec![Entity {
            id: Some("nf:carris".into()),
            name: "Carris".into(),
            kind: EntityType::Organization,
            candidate: false,
            part_of: Some("nf:lisbon-city".into()),
            mentions: vec![Mention {
                text: "line".into(),
                start: 13,
                end: 17,
            }],
        }],
        countries: vec![CountryCount {
            code: "PT".into(),
            count: 1,
            names: vec!["Lisbon".into()],
        }],
        categories: vec![Category {
            id: "transport".into(),
            score: 3,
            rules: vec!["transport.en: tram".into()],
        }],
        keywords: vec![Keyword {
            text: "historic line".into(),
            score: 0.0412,
        }],
        quotes: vec![Quote {
            text: "We are back".into(),
            start: 0,
            end: 11,
            speaker: Some("Rita Sousa".into()),
            speaker_id: Some("nf:rita-sousa".into()),
        }],
        title_quotes: vec![Quote {
            text: "We are back on the rails".into(),
            start: 13,
            end: 37,
            speaker: Some("Rita Sousa".into()),
            speaker_id: Some("nf:rita-sousa".into()),
        }],
        numbers: vec![NumberMention {
            value: 28.0,
            kind: "count".into(),
            unit: Some("trams".into()),
            approximate: false,
            phrase: "28 trams".into(),
            start: 0,
            end: 8,
        }],
        summary: Some("The historic line reopened on Thursday morning.".into()),
        reading_time_seconds: 2,
        metadata: Some(metadata()),
        replay: Some(replay()),
        extra,
    }
}

fn full_notice() -> DuplicateNotice {
    DuplicateNotice {
        id: "tram-28-mirror".into(),
        schema_version: RECORD_SCHEMA_VERSION,
        duplicate_of: "tram-28-returns".into(),
        method: DuplicateMethod::Near,
        similarity: 0.912,
        threshold: 0.6,
        evidence: Some(DuplicateEvidence {
            compared_with: "tram-28-returns".into(),
            aligned_share: 0.95,
            passage_share: 0.9,
            longest_passage: 42,
            lead_share: 1.0,
            longer_lead_share: 0.8,
            numbers: 3,
            numbers_shared: 3,
            title_similarity: Some(0.5),
            template_share: 0.0,
            same_source: false,
            substituted_share: 0.038,
            shorter_words: 120,
            longer_words: 160,
        }),
        record_withdrawn: true,
        also_duplicate_of: vec!["tram-28-wire".into()],
        url: Some("https://mirror.test/tram-28".into()),
        source: Some("Mirror Feed".into()),
        title: Some("Tram 28 returns after track repairs".into()),
        language: Some(language()),
        pipeline: vec![step("langid"), step("dedup")],
    }
}

// ---- schema documents ----

#[test]
fn every_schema_compiles_as_draft_2020_12() {
    for name in [ARTICLE, STAGED, RECORD, NOTICE] {
        let schema = load(name);
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert!(
            schema["$id"]
                .as_str()
                .is_some_and(|id| id.ends_with(&format!("/{name}"))),
            "{name}: $id must end with its file name"
        );
        validator(name);
    }
}

#[test]
fn the_embedded_article_schema_is_the_article_schema() {
    assert_eq!(load(STAGED)["$defs"]["article.v1"], load(ARTICLE));
}

#[test]
fn shared_definitions_are_identical_in_every_schema() {
    let docs = [load(STAGED), load(RECORD), load(NOTICE)];
    for def in ["language", "dedup", "pipeline_step", "dateline"] {
        let copies: Vec<&Value> = docs
            .iter()
            .map(|d| &d["$defs"][def])
            .filter(|d| !d.is_null())
            .collect();
        assert!(!copies.is_empty(), "no schema defines {def}");
        for copy in &copies {
            assert_eq!(*copy, copies[0], "copies of $defs/{def} differ");
        }
    }
}

// ---- article ----

#[test]
fn full_article_validates_and_declares_exactly_its_fields() {
    let article = full_article();
    let value = to_json(&article);
    assert_valid(ARTICLE, &value);
    // `extra` is flattened: unknown input fields sit at the top level.
    assert_eq!(value[UNKNOWN_FIELD], article.extra[UNKNOWN_FIELD]);
    assert!(load(ARTICLE)["properties"][UNKNOWN_FIELD].is_null());
    assert_schema_matches_keys(ARTICLE, &value, &[UNKNOWN_FIELD]);
}

#[test]
fn article_validates_with_each_optional_field_absent() {
    let clears: [fn(&mut Article); 11] = [
        |a| a.replay = None,
        |a| a.id = None,
        |a| a.url = None,
        |a| a.source = None,
        |a| a.title = None,
        |a| a.text = None,
        |a| a.html = None,
        |a| a.published_at = None,
        |a| a.lang_hint = None,
        |a| a.metadata = None,
        |a| a.extra.clear(),
    ];
    for clear in clears {
        let mut article = full_article();
        clear(&mut article);
        assert_valid(ARTICLE, &to_json(&article));
    }
    let text_only = Article {
        text: Some("Only a body.".into()),
        ..Article::default()
    };
    let html_only = Article {
        html: Some("<p>Only markup.</p>".into()),
        ..Article::default()
    };
    assert_valid(ARTICLE, &to_json(&text_only));
    assert_valid(ARTICLE, &to_json(&html_only));
    // serde reads null as absent, and so does the schema.
    assert_valid(
        ARTICLE,
        &json!({"id": null, "title": null, "html": null, "metadata": null, "text": "Body."}),
    );
}

#[test]
fn article_without_content_is_rejected() {
    assert_invalid(ARTICLE, &json!({"id": "a1", "title": "Headline only"}));
    assert_invalid(ARTICLE, &json!({"text": "  \n\t", "html": ""}));
    assert_invalid(ARTICLE, &json!({"text": null, "html": null}));
    assert_invalid(ARTICLE, &to_json(&Article::default()));
}

// ---- staged article ----

#[test]
fn full_staged_article_validates_and_declares_exactly_its_fields() {
    let value = to_json(&full_staged());
    assert_valid(STAGED, &value);
    assert_schema_matches_keys(STAGED, &value, &[UNKNOWN_FIELD]);
}

#[test]
fn staged_article_validates_with_each_optional_field_absent() {
    let clears: [fn(&mut StagedArticle); 4] = [
        |s| s.language = None,
        |s| s.dedup = None,
        |s| s.pipeline.clear(),
        |s| {
            s.article = Article {
                id: Some("x".into()),
                text: Some("Body.".into()),
                ..Article::default()
            }
        },
    ];
    let mut all = full_staged();
    for clear in clears {
        let mut staged = full_staged();
        clear(&mut staged);
        assert_valid(STAGED, &to_json(&staged));
        clear(&mut all);
    }
    assert_valid(STAGED, &to_json(&all));
}

#[test]
fn staged_article_without_id_or_content_is_rejected() {
    let mut value = to_json(&full_staged());
    value["article"].as_object_mut().unwrap().remove("id");
    assert_invalid(STAGED, &value);

    let mut value = to_json(&full_staged());
    value["article"] = json!({"id": "x", "title": "No body"});
    assert_invalid(STAGED, &value);

    let mut value = to_json(&full_staged());
    value["schema_version"] = json!(2);
    assert_invalid(STAGED, &value);
}

// ---- enriched record ----

#[test]
fn full_record_validates_and_declares_exactly_its_fields() {
    let value = to_json(&full_record());
    assert_valid(RECORD, &value);
    assert_schema_matches_keys(RECORD, &value, &[]);
}

#[test]
fn record_validates_with_each_optional_field_absent() {
    let clears: [fn(&mut EnrichedRecord); 29] = [
        |r| r.replay = None,
        |r| r.published_precision = None,
        |r| r.domain = None,
        |r| r.canonical_url = None,
        |r| r.site_name = None,
        |r| r.html_lang = None,
        |r| r.summary = None,
        |r| r.dates_mentioned.clear(),
        |r| r.entities.clear(),
        |r| r.entities[0].id = None,
        |r| r.entities[0].part_of = None,
        |r| r.countries.clear(),
        |r| r.categories.clear(),
        |r| r.keywords.clear(),
        |r| r.quotes.clear(),
        |r| {
            r.quotes[0].speaker = None;
            r.quotes[0].speaker_id = None;
        },
        |r| r.numbers[0].unit = None,
        |r| r.title = None,
        |r| r.url = None,
        |r| r.source = None,
        |r| r.published_at = None,
        |r| r.dateline = None,
        |r| r.dateline.as_mut().unwrap().location = None,
        |r| r.dateline.as_mut().unwrap().date = None,
        |r| r.language.iso639_1 = None,
        |r| r.language.script = None,
        |r| r.metadata = None,
        |r| r.extra.clear(),
        |r| r.authors.clear(),
    ];
    for clear in clears {
        let mut record = full_record();
        clear(&mut record);
        assert_valid(RECORD, &to_json(&record));
    }
    let mut bare = full_record();
    bare.title = None;
    bare.url = None;
    bare.source = None;
    bare.published_at = None;
    bare.dateline = None;
    bare.metadata = None;
    bare.extra.clear();
    bare.authors.clear();
    bare.word_count = 0;
    bare.text = String::new();
    bare.language = Language {
        code: "und".into(),
        iso639_1: None,
        script: None,
        confidence: 0.0,
        reliable: false,
        method: "none".into(),
    };
    assert_valid(RECORD, &to_json(&bare));
}

#[test]
fn invalid_records_are_rejected() {
    let mut value = to_json(&full_record());
    value["language"]["confidence"] = json!(1.5);
    assert_invalid(RECORD, &value);

    let mut value = to_json(&full_record());
    value.as_object_mut().unwrap().remove("id");
    assert_invalid(RECORD, &value);

    let mut value = to_json(&full_record());
    value["published_at"] = json!("last Thursday");
    assert_invalid(RECORD, &value);

    let mut value = to_json(&full_record());
    value["language"]["code"] = json!("pt");
    assert_invalid(RECORD, &value);

    let mut value = to_json(&full_record());
    value["countries"][0]["code"] = json!("pt");
    assert_invalid(RECORD, &value);

    let mut value = to_json(&full_record());
    value["entities"][0]["type"] = json!("thing");
    assert_invalid(RECORD, &value);

    let mut value = to_json(&full_record());
    value["numbers"][0]["kind"] = json!("lots");
    assert_invalid(RECORD, &value);
}

// ---- duplicate notice ----

#[test]
fn full_notice_validates_and_declares_exactly_its_fields() {
    let value = to_json(&full_notice());
    assert_valid(NOTICE, &value);
    assert_schema_matches_keys(NOTICE, &value, &[]);
}

#[test]
fn notice_validates_with_each_optional_field_absent() {
    let clears: [fn(&mut DuplicateNotice); 8] = [
        |n| n.url = None,
        |n| n.source = None,
        |n| n.title = None,
        |n| n.language = None,
        |n| n.evidence = None,
        |n| n.record_withdrawn = false,
        |n| n.also_duplicate_of.clear(),
        |n| {
            if let Some(e) = &mut n.evidence {
                e.title_similarity = None;
            }
        },
    ];
    let mut all = full_notice();
    for clear in clears {
        let mut notice = full_notice();
        clear(&mut notice);
        assert_valid(NOTICE, &to_json(&notice));
        clear(&mut all);
    }
    all.method = DuplicateMethod::Exact;
    all.similarity = 1.0;
    all.threshold = 1.0;
    assert_valid(NOTICE, &to_json(&all));
}

#[test]
fn notice_with_an_unknown_method_is_rejected() {
    let mut value = to_json(&full_notice());
    value["method"] = json!("fuzzy");
    assert_invalid(NOTICE, &value);
}
