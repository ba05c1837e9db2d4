//! Runs the dedup stage in-process (its verdict code, an in-memory log and
//! texts, no NATS) over the three news files in the order `eval/run.sh`
//! publishes them, and writes what the live pipeline would put on
//! `news.duplicates` and (the `id` and `dedup` of) `news.enriched`, for
//! `eval/score.py`:
//!
//! ```sh
//! cargo run --release -p newsflow-dedup --example offline_eval -- OUT_DIR
//! python3 services/dedup/eval/score.py --pairs services/dedup/eval/pairs.tsv \
//!     --duplicates OUT_DIR/duplicates.jsonl --enriched OUT_DIR/enriched.jsonl --split dev
//! ```
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use newsflow_core::contracts::{Article, STAGED_SCHEMA_VERSION, StagedArticle};
use newsflow_core::intake::IntakeLimits;
use newsflow_dedup::index::{DupIndex, IndexSettings};
use newsflow_dedup::log::MemoryLog;
use newsflow_dedup::texts::{MemoryTexts, StoredText};
use newsflow_dedup::{DEFAULT_THRESHOLD, DedupStage, Verdict, outcome};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: offline_eval OUT_DIR");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/news");
    let stage = DedupStage {
        log: MemoryLog::new(DupIndex::new(IndexSettings {
            near: true,
            threshold: DEFAULT_THRESHOLD,
            window_ms: i64::MAX / 4,
            capacity: 1_000_000,
        })),
        texts: MemoryTexts::default(),
        threshold: DEFAULT_THRESHOLD,
        limits: IntakeLimits::default(),
    };
    let mut duplicates = std::fs::File::create(Path::new(&out).join("duplicates.jsonl")).unwrap();
    let mut enriched = std::fs::File::create(Path::new(&out).join("enriched.jsonl")).unwrap();
    let (mut seq, mut verified_articles, mut with_candidates, mut candidates) =
        (0u64, 0usize, 0usize, 0usize);
    // Notices that name other groups (`also_duplicate_of`).
    let mut naming_others = 0usize;
    let started = Instant::now();
    for name in [
        "saudinewsnet_ar.jsonl",
        "masakhanews_en_fr.jsonl",
        "ecbplus_en_events.jsonl",
    ] {
        for line in std::fs::read_to_string(data.join(name)).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let s = |k: &str| v[k].as_str().map(str::to_string);
            seq += 1;
            let article = Article {
                id: s("id"),
                title: s("title"),
                text: s("text"),
                url: s("url"),
                source: s("source"),
                ..Default::default()
            };
            stage.texts.insert(
                seq,
                StoredText::of_article(article.clone(), &Default::default()),
            );
            let staged = StagedArticle {
                schema_version: STAGED_SCHEMA_VERSION,
                article,
                source_seq: seq,
                received_at: "2026-11-29T00:00:00Z".into(),
                language: None,
                dedup: None,
                page: None,
                pipeline: vec![],
            };
            let analysis = newsflow_dedup::shingle::analyze(staged.body());
            let sketch = newsflow_dedup::sketch::Sketch::of_analysis(&analysis);
            let lookup =
                newsflow_dedup::log::VerdictLog::lookup(&stage.log, analysis.exact, &sketch);
            if !lookup.exact_held && !lookup.candidates.is_empty() {
                with_candidates += 1;
                candidates += lookup.candidates.len();
            }
            let verdict = stage.verdict(&staged).await.unwrap();
            if matches!(&verdict, Verdict::Duplicate { also_of, .. } if !also_of.is_empty()) {
                naming_others += 1;
            }
            if matches!(
                &verdict,
                Verdict::Duplicate {
                    evidence: Some(_),
                    ..
                }
            ) {
                verified_articles += 1;
            }
            for message in outcome(staged, None, &verdict) {
                if message.subject == "news.duplicates" {
                    duplicates.write_all(&message.payload).unwrap();
                    duplicates.write_all(b"\n").unwrap();
                } else {
                    // What score.py reads of a record: its id and dedup verdict.
                    let passed: StagedArticle = serde_json::from_slice(&message.payload).unwrap();
                    let record = serde_json::json!({"id": passed.id(), "dedup": passed.dedup});
                    writeln!(enriched, "{record}").unwrap();
                }
            }
        }
    }
    eprintln!(
        "{seq} articles in {:.1} s; {with_candidates} ({:.1} %) reached verification, \
         {:.1} candidates each on average; {verified_articles} near copies found; \
         {naming_others} notices name other groups",
        started.elapsed().as_secs_f64(),
        100.0 * with_candidates as f64 / seq as f64,
        candidates as f64 / with_candidates.max(1) as f64,
    );
}
