//! Prints the records enrichment gives for real articles, one JSON line
//! each, to check that a change meant to be faster leaves the output as it
//! was: run it before and after and compare the files.
//!
//! The articles: the first `PER_LANGUAGE` of each language in the news files
//! of `../shared/data/news/` (en, fr, ar, with their titles), and documents
//! rebuilt from the NER dev files of `../shared/data/ner/` (de, es, nl, ru:
//! each document's sentences, tokens joined by spaces, one line a sentence).
//!
//! The stamps' processing times are left empty, so two runs of the same
//! code give the same file.
//!
//! `cargo run --release -p newsflow-enrich --example enrich_records -- PER_LANGUAGE > records.jsonl`

use std::path::{Path, PathBuf};

use newsflow_core::contracts::Article;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// The first `limit` articles per language of a news file, with their titles.
fn news(file: &str, languages: &[&str], limit: usize) -> anyhow::Result<Vec<Article>> {
    let path = shared().join("news").join(file);
    let content = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for lang in languages {
        out.extend(
            content
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .filter(|v| v["lang"] == *lang)
                .take(limit)
                .map(|v| Article {
                    id: v["id"].as_str().map(str::to_string),
                    title: v["title"].as_str().map(str::to_string),
                    text: v["text"].as_str().map(str::to_string),
                    source: Some((*lang).to_string()),
                    ..Default::default()
                }),
        );
    }
    Ok(out)
}

/// Documents of a CoNLL file: sentences between `-DOCSTART-` lines (or 20
/// sentences where the file has none), first `limit`.
fn conll_documents(file: &str, lang: &str, limit: usize) -> anyhow::Result<Vec<Article>> {
    let path = shared().join("ner").join(file);
    let content = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let mut documents: Vec<Vec<String>> = vec![Vec::new()];
    let mut sentence: Vec<&str> = Vec::new();
    for line in content.lines().chain(std::iter::once("")) {
        let token = line.split('\t').next().unwrap_or("").trim();
        if token.starts_with("-DOCSTART-") {
            documents.push(Vec::new());
        } else if token.is_empty() {
            if !sentence.is_empty() {
                let document = documents.last_mut().expect("one document at least");
                document.push(sentence.join(" "));
                sentence.clear();
                if document.len() == 20 && !content.contains("-DOCSTART-") {
                    documents.push(Vec::new());
                }
            }
        } else {
            sentence.push(token);
        }
    }
    Ok(documents
        .into_iter()
        .filter(|d| !d.is_empty())
        .take(limit)
        .enumerate()
        .map(|(i, d)| Article {
            id: Some(format!("{file}-{i}")),
            text: Some(d.join("\n")),
            source: Some(lang.to_string()),
            ..Default::default()
        })
        .collect())
}

fn main() -> anyhow::Result<()> {
    let usage = "usage: enrich_records PER_LANGUAGE";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [limit] = args.as_slice() else {
        anyhow::bail!("{usage}");
    };
    let limit: usize = limit.parse()?;
    let mut articles = news("masakhanews_en_fr.jsonl", &["en", "fr"], limit)?;
    articles.extend(news("saudinewsnet_ar.jsonl", &["ar"], limit)?);
    articles.extend(news("ecbplus_en_events.jsonl", &["en"], limit)?);
    for (file, lang) in [
        ("de-conll2003-dev.conll", "de"),
        ("es-conll2002-dev.conll", "es"),
        ("nl-conll2002-dev.conll", "nl"),
        ("ru-factrueval2016-dev.conll", "ru"),
    ] {
        articles.extend(conll_documents(file, lang, limit)?);
    }
    for article in articles {
        let lang = article.source.clone().unwrap_or_default();
        let mut record =
            newsflow_enrich::enrich(newsflow_enrich::staged_with_language(article, &lang));
        // The time of processing is the one field that differs between runs.
        for stamp in &mut record.pipeline {
            stamp.processed_at.clear();
        }
        println!("{}", serde_json::to_string(&record)?);
    }
    Ok(())
}
