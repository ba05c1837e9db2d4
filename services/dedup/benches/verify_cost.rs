//! What verification costs (`cargo bench -p newsflow-dedup --bench verify_cost`).
//!
//! Runs the dedup stage in-process (in-memory log and texts, no NATS) over
//! the real news of `../shared/data/news/` (Arabic papers with natural
//! syndication, English and French news) in order, and prints the share of
//! articles whose MinHash/LSH lookup finds candidates (the only ones that are
//! verified), the candidates each, and the time verification takes: reading
//! both texts for the verifier and aligning them, per article that reaches
//! it and averaged over all articles, next to the fingerprint (normalize,
//! shingle, sketch) every article pays.

use std::path::Path;
use std::time::{Duration, Instant};

use newsflow_core::contracts::{Article, STAGED_SCHEMA_VERSION, StagedArticle};
use newsflow_core::intake::IntakeLimits;
use newsflow_dedup::index::{DupIndex, IndexSettings};
use newsflow_dedup::log::{MemoryLog, VerdictLog};
use newsflow_dedup::shingle::analyze;
use newsflow_dedup::sketch::Sketch;
use newsflow_dedup::texts::{MemoryTexts, StoredText};
use newsflow_dedup::verify::{Text, verify};
use newsflow_dedup::{DEFAULT_CAPACITY, DEFAULT_THRESHOLD, DedupStage};

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/news");
    let mut articles = Vec::new();
    for name in [
        "saudinewsnet_ar.jsonl",
        "masakhanews_en_fr.jsonl",
        "ecbplus_en_events.jsonl",
    ] {
        let Ok(text) = std::fs::read_to_string(data.join(name)) else {
            println!("skipped: {} not found", data.join(name).display());
            return;
        };
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            let s = |k: &str| v[k].as_str().map(str::to_string);
            articles.push(Article {
                id: s("id"),
                title: s("title"),
                text: s("text"),
                url: s("url"),
                source: s("source"),
                ..Default::default()
            });
        }
    }
    let stage = DedupStage {
        log: MemoryLog::new(DupIndex::new(IndexSettings {
            near: true,
            threshold: DEFAULT_THRESHOLD,
            window_ms: i64::MAX / 4,
            capacity: DEFAULT_CAPACITY,
        })),
        texts: MemoryTexts::default(),
        threshold: DEFAULT_THRESHOLD,
        limits: IntakeLimits::default(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");

    let started = Instant::now();
    for article in &articles {
        let analysis = analyze(article.text.as_deref().unwrap_or_default());
        std::hint::black_box(Sketch::of_analysis(&analysis));
    }
    let fingerprint = started.elapsed();

    // The stage, and for each article the candidates its lookup gave.
    let mut verified: Vec<(usize, Vec<u64>)> = Vec::new();
    let started = Instant::now();
    for (i, article) in articles.iter().enumerate() {
        let seq = i as u64 + 1;
        stage.texts.insert(
            seq,
            StoredText::of_article(article.clone(), &Default::default()),
        );
        let staged = StagedArticle {
            schema_version: STAGED_SCHEMA_VERSION,
            article: article.clone(),
            source_seq: seq,
            received_at: String::new(),
            language: None,
            dedup: None,
            page: None,
            pipeline: vec![],
        };
        let analysis = analyze(staged.body());
        let lookup = stage
            .log
            .lookup(analysis.exact, &Sketch::of_analysis(&analysis));
        if !lookup.exact_held && !lookup.candidates.is_empty() {
            verified.push((i, lookup.candidates.iter().map(|c| c.source_seq).collect()));
        }
        runtime
            .block_on(stage.verdict(&staged))
            .expect("in-memory log");
    }
    let stage_time = started.elapsed();

    // Verification alone, as the stage runs it: both texts read, every
    // candidate aligned (with the others as template guard).
    let mut verify_time = Duration::ZERO;
    let mut pairs = 0;
    for (i, candidates) in &verified {
        let started = Instant::now();
        let a = &articles[*i];
        let x = Text::new(a.title.as_deref(), a.text.as_deref().unwrap_or_default());
        let texts: Vec<Text> = candidates
            .iter()
            .map(|&seq| {
                let c = &articles[seq as usize - 1];
                Text::new(c.title.as_deref(), c.text.as_deref().unwrap_or_default())
            })
            .collect();
        for (k, candidate) in texts.iter().enumerate() {
            let others: Vec<&Text> = texts
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, t)| t)
                .collect();
            std::hint::black_box(verify(&x, candidate, &others, false));
            pairs += 1;
        }
        verify_time += started.elapsed();
    }
    let n = articles.len() as f64;
    let reached = verified.len() as f64;
    println!(
        "{} articles; {} ({:.1} %) reached verification, {:.2} candidates each",
        articles.len(),
        verified.len(),
        100.0 * reached / n,
        pairs as f64 / reached.max(1.0)
    );
    println!(
        "verification: {:.0} µs per article that reaches it ({:.0} µs per pair), {:.1} µs per article on average",
        verify_time.as_secs_f64() * 1e6 / reached.max(1.0),
        verify_time.as_secs_f64() * 1e6 / f64::from(pairs.max(1)),
        verify_time.as_secs_f64() * 1e6 / n
    );
    println!(
        "fingerprint (normalize, shingle, sketch): {:.1} µs per article",
        fingerprint.as_secs_f64() * 1e6 / n
    );
    println!(
        "whole stage in-process (lookup, verification, index): {:.0} articles/s",
        n / stage_time.as_secs_f64()
    );
}
