//! Gold test: the project's own sample articles (`deploy/local/samples/`)
//! against `tests/gold.json`, a hand-checked file of the entities, countries,
//! categories, dates and numbers each one should give. Asserted exactly, and
//! entity and country precision and recall are printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use newsflow_core::contracts::{
    Article, EnrichedRecord, Language, STAGED_SCHEMA_VERSION, StagedArticle,
};
use newsflow_enrich::enrich;
use serde_json::{Value, json};

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
fn language(id: &str) -> (&'static str, &'static str) {
    match id.split('-').next().unwrap() {
        "ar" => ("ara", "ar"),
        "de" => ("deu", "de"),
        "es" => ("spa", "es"),
        "fr" => ("fra", "fr"),
        "hi" => ("hin", "hi"),
        "ru" => ("rus", "ru"),
        "zh" => ("cmn", "zh"),
        "feed" => match id {
            "feed-tr-1" => ("tur", "tr"),
            "feed-ja-1" => ("jpn", "ja"),
            _ => ("por", "pt"),
        },
        _ => ("eng", "en"),
    }
}

fn record(id: &str, article: Article) -> EnrichedRecord {
    let (code, iso) = language(id);
    enrich(StagedArticle {
        schema_version: STAGED_SCHEMA_VERSION,
        article,
        source_seq: 1,
        // A fixed receive time, so relative dates are reproducible.
        received_at: "2025-09-19T06:00:00.000Z".into(),
        language: Some(Language {
            code: code.into(),
            iso639_1: Some(iso.into()),
            script: None,
            confidence: 1.0,
            reliable: true,
            method: "trigram".into(),
        }),
        dedup: None,
        pipeline: vec![],
    })
}

/// The part of a record the gold file describes.
fn observed(r: &EnrichedRecord) -> Value {
    json!({
        "published_at": r.published_at,
        "published_precision": r.published_precision,
        "entities": r.entities.iter().map(|e| json!([e.id.clone().unwrap_or_else(|| format!("candidate:{}", e.name)), e.mentions.len()])).collect::<Vec<_>>(),
        "countries": r.countries.iter().map(|c| json!([c.code, c.count])).collect::<Vec<_>>(),
        "categories": r.categories.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        "dates": r.dates_mentioned.iter().map(|d| json!([d.text, d.date])).collect::<Vec<_>>(),
        "numbers": r.numbers.iter().map(|n| json!([n.value, n.kind, n.unit, n.phrase])).collect::<Vec<_>>(),
    })
}

fn gold() -> BTreeMap<String, Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gold.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn keys(v: &Value, field: &str) -> Vec<String> {
    v[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[0].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_samples_match_the_gold_file_exactly() {
    let gold = gold();
    let samples = samples();
    assert_eq!(
        gold.keys().collect::<Vec<_>>(),
        samples.keys().collect::<Vec<_>>(),
        "every sample has a gold entry"
    );
    let (mut tp_e, mut fp_e, mut fn_e, mut tp_c, mut fp_c, mut fn_c) = (0, 0, 0, 0, 0, 0);
    for (id, article) in samples {
        let got = observed(&record(&id, article));
        let want = &gold[&id];
        for (field, tp, fp, fneg) in [
            ("entities", &mut tp_e, &mut fp_e, &mut fn_e),
            ("countries", &mut tp_c, &mut fp_c, &mut fn_c),
        ] {
            let (g, w) = (keys(&got, field), keys(want, field));
            *tp += g.iter().filter(|k| w.contains(k)).count();
            *fp += g.iter().filter(|k| !w.contains(k)).count();
            *fneg += w.iter().filter(|k| !g.contains(k)).count();
        }
        assert_eq!(&got, want, "{id}: got\n{got:#}");
    }
    let p = |tp: usize, fp: usize| {
        if tp + fp == 0 {
            1.0
        } else {
            tp as f64 / (tp + fp) as f64
        }
    };
    println!(
        "gold: entities precision {:.3} recall {:.3} ({tp_e} found); countries precision {:.3} recall {:.3} ({tp_c} found)",
        p(tp_e, fp_e),
        p(tp_e, fn_e),
        p(tp_c, fp_c),
        p(tp_c, fn_c)
    );
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
