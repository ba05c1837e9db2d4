//! Gold test: the project's own sample articles (`deploy/local/samples/`)
//! against `tests/gold.json`.
//!
//! For each sample, gold.json holds:
//!
//! * `truth`: what a careful human annotator expects (entities of
//!   `data/entities.tsv` by id with their mention counts, countries with
//!   theirs, main country first, categories, days named, numbers, publication
//!   date), written from the article's text, not from the enricher's output;
//! * `known_differences`: what the enricher gets wrong today, each entry with
//!   a one-line `why`. For a list field, `missed` items are in the truth but
//!   not found and `spurious` items are found but not in the truth (a wrong
//!   mention count is both: the true item missed, the found one spurious).
//!   For `published_at`, `published_precision` and `main_country`, `got` is
//!   what the enricher gives instead.
//!
//! One test asserts that the output is exactly truth − missed + spurious, so
//! any change of behaviour, better or worse, fails until gold.json is updated
//! on purpose. Lists are compared regardless of order (a hand-written truth
//! has no order, and a spurious item no place in it), except that the main
//! country, the first of `countries`, is checked on its own.
//!
//! The other test measures entity and country precision and recall against
//! the truth alone and asserts the targets (precision ≥ 0.95, recall ≥ 0.9).
//! They count distinct ids per article (an entity found with the wrong number
//! of mentions is still found); the exact test covers the counts.
//!
//! Annotation rules, where the contract leaves room:
//!
//! * Mentions are counted in the record's text: the title and the header
//!   lines (`BRUSSELS, March 10 (Reuters) -`, `date … (Brussels)`) are not in it.
//! * A mention is a name, in any alias or inflected form (`للأمم المتحدة`);
//!   descriptions (`the alliance`) and adjectives (`European`) are not.
//! * A country is named by its name, demonym or capital, also inside a place
//!   name (`西日本`); regions such as Gaza are entities, not countries. The
//!   main country is the story's own when it is named, else the heaviest by
//!   the weights of `countries::countries`.
//! * A category fits when the lead or a paragraph is about it; a government
//!   acting on a topic is that topic, politics only for elections,
//!   legislation or diplomacy.
//! * A day is the weekday or day word as written, without its preposition
//!   (`Monday`, `الخميس`) but with a next marker (`próxima segunda-feira`),
//!   resolved as a reader would (a weekday in a forecast is the coming one).
//! * Numbers are counts and percentages; the unit is the counted word as
//!   written, in small letters (`آخرين`, `prozent`); the kind is a casualty kind when
//!   the counted are people so affected (evacuees sheltered are displaced).
//! * A timestamp whose seconds are `:00` has minute precision (proto/README).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use newsflow_core::contracts::{Article, EnrichedRecord};
use newsflow_enrich::{enrich, staged_with_language};
use serde::Deserialize;
use serde_json::{Value, json};

const PRECISION_TARGET: f64 = 0.95;
const RECALL_TARGET: f64 = 0.9;

/// The fields of `truth` that are lists, and those that hold one value.
const LIST_FIELDS: [&str; 5] = ["entities", "countries", "categories", "dates", "numbers"];
const VALUE_FIELDS: [&str; 2] = ["published_at", "published_precision"];

fn samples_dir() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/local/samples"
    ))
    .to_path_buf()
}

/// Every sample article by id, as `newsflow publish` reads them.
fn samples() -> BTreeMap<String, Article> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(samples_dir()).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let content = std::fs::read_to_string(&path).unwrap();
        match path.extension().and_then(|e| e.to_str()) {
            Some("txt") => {
                out.insert(
                    stem.clone(),
                    Article {
                        id: Some(stem),
                        text: Some(content),
                        ..Default::default()
                    },
                );
            }
            Some("html") => {
                out.insert(
                    stem.clone(),
                    Article {
                        id: Some(stem),
                        html: Some(content),
                        ..Default::default()
                    },
                );
            }
            Some("jsonl") => {
                for line in content.lines().filter(|l| !l.trim().is_empty()) {
                    let article: Article = serde_json::from_str(line).unwrap();
                    out.insert(article.id.clone().unwrap(), article);
                }
            }
            _ => {}
        }
    }
    out
}

/// ISO 639-1 of each sample, as langid gives it (the e2e test checks langid).
fn language(id: &str) -> &'static str {
    match id.split('-').next().unwrap() {
        "ar" => "ar",
        "de" => "de",
        "es" => "es",
        "fr" => "fr",
        "hi" => "hi",
        "ru" => "ru",
        "zh" => "zh",
        "feed" => match id {
            "feed-tr-1" => "tr",
            "feed-ja-1" => "ja",
            _ => "pt",
        },
        _ => "en",
    }
}

fn record(id: &str, article: Article) -> EnrichedRecord {
    enrich(staged_with_language(article, language(id)))
}

/// The part of a record the gold file describes, in the shape of `truth`.
fn observed(r: &EnrichedRecord) -> Value {
    json!({
        "published_at": r.published_at,
        "published_precision": r.published_precision,
        // Listed entities only: the tagger's candidates are measured on public
        // annotated news (`newsflow-ner eval`), not on the project's samples.
        "entities": r.entities.iter().filter_map(|e| Some(json!([e.id.clone()?, e.mentions.len()]))).collect::<Vec<_>>(),
        "countries": r.countries.iter().map(|c| json!([c.code, c.count])).collect::<Vec<_>>(),
        "categories": r.categories.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        "dates": r.dates_mentioned.iter().map(|d| json!([d.text, d.date])).collect::<Vec<_>>(),
        "numbers": r.numbers.iter().map(|n| json!([n.value, n.kind, n.unit, n.phrase])).collect::<Vec<_>>(),
    })
}

/// One sample's entry in gold.json.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Gold {
    truth: Value,
    /// Names the article mentions that are not in `data/entities.tsv`, so not
    /// expected as entities with an id (for the reader).
    #[serde(default)]
    #[expect(dead_code, reason = "read by people, not by the test")]
    not_in_list: Vec<String>,
    /// The annotator's rulings on this article (for the reader).
    #[serde(default)]
    #[expect(dead_code, reason = "read by people, not by the test")]
    notes: Option<String>,
    /// By field of `truth`, or `main_country`.
    #[serde(default)]
    known_differences: BTreeMap<String, Difference>,
}

/// What the enricher gets wrong in one field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Difference {
    #[serde(default)]
    missed: Vec<Noted>,
    #[serde(default)]
    spurious: Vec<Noted>,
    /// The enricher's value of a single-valued field.
    #[serde(default)]
    got: Option<Value>,
    /// Why, for `got`.
    #[serde(default)]
    why: Option<String>,
}

/// An item of a list field, with why the enricher gets it wrong.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Noted {
    item: Value,
    why: String,
}

fn gold() -> BTreeMap<String, Gold> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gold.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The code of the first country of a record-shaped value, if any.
fn main_country(v: &Value) -> Value {
    v["countries"]
        .get(0)
        .map_or(Value::Null, |first| first[0].clone())
}

/// What the enricher should output for `id`: the truth with its known
/// differences applied, plus `main_country`. Panics on a gold entry that
/// does not make sense (a missed item not in the truth, a reason missing).
fn expected(id: &str, gold: &Gold) -> Value {
    let mut want = gold.truth.clone();
    want["main_country"] = main_country(&gold.truth);
    for (field, diff) in &gold.known_differences {
        assert!(
            diff.missed
                .iter()
                .chain(&diff.spurious)
                .all(|n| !n.why.trim().is_empty()),
            "{id}: {field}: every difference needs a reason"
        );
        if LIST_FIELDS.contains(&field.as_str()) {
            assert!(
                diff.got.is_none() && diff.why.is_none(),
                "{id}: {field} is a list: use missed/spurious"
            );
            let list = want[field.as_str()].as_array_mut().unwrap();
            for missed in &diff.missed {
                let i = list
                    .iter()
                    .position(|x| *x == missed.item)
                    .unwrap_or_else(|| {
                        panic!("{id}: {field}: missed {} is not in the truth", missed.item)
                    });
                list.remove(i);
            }
            for spurious in &diff.spurious {
                assert!(
                    !gold.truth[field.as_str()]
                        .as_array()
                        .unwrap()
                        .contains(&spurious.item),
                    "{id}: {field}: spurious {} is in the truth",
                    spurious.item
                );
                list.push(spurious.item.clone());
            }
        } else if VALUE_FIELDS.contains(&field.as_str()) || field == "main_country" {
            assert!(
                diff.missed.is_empty() && diff.spurious.is_empty(),
                "{id}: {field} is one value: use got/why"
            );
            assert!(
                diff.why.as_deref().is_some_and(|w| !w.trim().is_empty()),
                "{id}: {field}: the difference needs a reason"
            );
            want[field.as_str()] = diff.got.clone().unwrap_or(Value::Null);
        } else {
            panic!("{id}: unknown field {field} in known_differences");
        }
    }
    want
}

/// `v` with its lists sorted and `main_country` added, for a comparison
/// that ignores order but not the main country.
fn comparable(v: &Value) -> Value {
    let mut out = v.clone();
    if out.get("main_country").is_none() {
        out["main_country"] = main_country(v);
    }
    for field in LIST_FIELDS {
        out[field]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|x| x.to_string());
    }
    out
}

/// The distinct ids (entities) or codes (countries) of a list field.
fn keys(v: &Value, field: &str) -> BTreeSet<String> {
    v[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[0].as_str().unwrap().to_string())
        .collect()
}

/// Every sample with its gold entry and the enricher's output.
fn cases() -> Vec<(String, Gold, Value)> {
    let mut gold = gold();
    let samples = samples();
    assert_eq!(
        gold.keys().collect::<Vec<_>>(),
        samples.keys().collect::<Vec<_>>(),
        "every sample has a gold entry"
    );
    samples
        .into_iter()
        .map(|(id, article)| {
            let got = observed(&record(&id, article));
            let entry = gold.remove(&id).unwrap();
            (id, entry, got)
        })
        .collect()
}

#[test]
fn the_samples_give_the_truth_with_its_known_differences_exactly() {
    let mut failures = Vec::new();
    for (id, gold, got) in cases() {
        let (want, got) = (comparable(&expected(&id, &gold)), comparable(&got));
        if want != got {
            failures.extend(
                changes(&want, &got)
                    .into_iter()
                    .map(|c| format!("{id}: {c}")),
            );
        }
    }
    assert!(
        failures.is_empty(),
        "the output changed: update tests/gold.json on purpose (known_differences, or the truth if it was wrong)\n{}",
        failures.join("\n")
    );
}

/// What differs between two comparable values, one line each: the items
/// expected but not output, those output but not expected, changed values.
fn changes(want: &Value, got: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for field in LIST_FIELDS {
        let (mut lost, mut new) = (want[field].as_array().unwrap().clone(), Vec::new());
        for item in got[field].as_array().unwrap() {
            match lost.iter().position(|x| x == item) {
                Some(i) => {
                    lost.remove(i);
                }
                None => new.push(item),
            }
        }
        out.extend(
            lost.iter()
                .map(|x| format!("{field}: expected {x}, not output")),
        );
        out.extend(
            new.iter()
                .map(|x| format!("{field}: output {x}, not expected")),
        );
    }
    for field in VALUE_FIELDS.iter().copied().chain(["main_country"]) {
        if want[field] != got[field] {
            out.push(format!(
                "{field}: expected {}, output {}",
                want[field], got[field]
            ));
        }
    }
    out
}

/// True and false positives and false negatives over distinct keys.
#[derive(Debug, Default)]
struct Tally {
    found: usize,
    spurious: usize,
    missed: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        ratio(self.found, self.found + self.spurious)
    }

    fn recall(&self) -> f64 {
        ratio(self.found, self.found + self.missed)
    }
}

/// `a / b`, with nothing to find counting as perfect.
fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

#[test]
fn entity_and_country_precision_and_recall_meet_the_targets() {
    let mut tallies = [
        ("entities", Tally::default()),
        ("countries", Tally::default()),
    ];
    for (_, gold, got) in cases() {
        for (field, tally) in &mut tallies {
            let (truth, found) = (keys(&gold.truth, field), keys(&got, field));
            tally.found += truth.intersection(&found).count();
            tally.spurious += found.difference(&truth).count();
            tally.missed += truth.difference(&found).count();
        }
    }
    for (field, t) in &tallies {
        println!(
            "gold: {field} precision {:.3} recall {:.3} ({} found, {} spurious, {} missed; distinct ids per article)",
            t.precision(),
            t.recall(),
            t.found,
            t.spurious,
            t.missed
        );
    }
    for (field, t) in &tallies {
        assert!(
            t.precision() >= PRECISION_TARGET && t.recall() >= RECALL_TARGET,
            "{field}: precision {:.3} (target {PRECISION_TARGET}), recall {:.3} (target {RECALL_TARGET})",
            t.precision(),
            t.recall()
        );
    }
}

#[test]
#[ignore = "prints what the samples give, to review before updating tests/gold.json"]
fn print_observed() {
    let out: BTreeMap<String, Value> = samples()
        .into_iter()
        .map(|(id, a)| {
            let v = observed(&record(&id, a));
            (id, v)
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
