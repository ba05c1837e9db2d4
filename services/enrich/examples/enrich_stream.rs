//! Enriches real news articles in order, as the service would, and prints
//! the time per article: the profiling harness for enrichment's cost on
//! real text (run it under `valgrind --tool=callgrind` for instruction
//! counts, which a busy machine does not disturb).
//!
//! The first `WARM` articles warm the thread (lazy regex states, the
//! tagger's word-type cache) and are not measured.
//!
//! Under callgrind, `--toggle-collect=*timed_pass*` counts the measured
//! articles only.
//!
//! `cargo run --release -p newsflow-enrich --example enrich_stream -- FILE.jsonl LANG WARM COUNT`

use std::io::BufRead;
use std::time::Instant;

use newsflow_core::contracts::{Article, StagedArticle};

fn staged(text: String, iso: &str, i: usize) -> StagedArticle {
    let mut staged = newsflow_enrich::staged_with_language(
        Article {
            id: Some(format!("stream-{iso}-{i}")),
            text: Some(text),
            ..Default::default()
        },
        iso,
    );
    staged.source_seq = i as u64 + 1;
    staged
}

/// The articles measured (a function of its own so that callgrind can
/// count it alone: `--toggle-collect=*timed_pass*`).
#[inline(never)]
fn timed_pass(texts: Vec<String>, iso: &str, first: usize) {
    for (i, text) in texts.into_iter().enumerate() {
        std::hint::black_box(newsflow_enrich::enrich(staged(text, iso, first + i)));
    }
}

fn main() -> anyhow::Result<()> {
    let usage = "usage: enrich_stream FILE.jsonl LANG WARM COUNT";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, iso, warm, count] = args.as_slice() else {
        anyhow::bail!("{usage}");
    };
    let (warm, count): (usize, usize) = (warm.parse()?, count.parse()?);
    let file = std::io::BufReader::new(
        std::fs::File::open(path).map_err(|e| anyhow::anyhow!("cannot open {path}: {e}"))?,
    );
    let mut texts = Vec::new();
    for line in file.lines() {
        let value: serde_json::Value = serde_json::from_str(&line?)?;
        if value["lang"] == iso.as_str()
            && let Some(text) = value["text"].as_str()
        {
            texts.push(text.to_string());
        }
        if texts.len() == warm + count {
            break;
        }
    }
    anyhow::ensure!(
        texts.len() > warm,
        "{path} has only {} articles in {iso}",
        texts.len()
    );
    newsflow_enrich::warm_up();
    let timed = texts.split_off(warm);
    for (i, text) in texts.into_iter().enumerate() {
        std::hint::black_box(newsflow_enrich::enrich(staged(text, iso, i)));
    }
    let bytes: usize = timed.iter().map(String::len).sum();
    let n = timed.len();
    let start = Instant::now();
    timed_pass(timed, iso, warm);
    let per = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!(
        "{iso}: {n} articles after {warm} warm-up (mean {:.1} KB): {per:.1} µs/article, {:.1} µs per 4.5 KB",
        bytes as f64 / n as f64 / 1e3,
        per * 4_500.0 * n as f64 / bytes as f64
    );
    Ok(())
}
