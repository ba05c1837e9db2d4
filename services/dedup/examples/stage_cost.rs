//! The dedup service's work on each article, without NATS, for instruction
//! counts under callgrind:
//!
//! ```sh
//! cargo build --release -p newsflow-dedup --example stage_cost
//! valgrind --tool=callgrind target/release/examples/stage_cost ARTICLES.jsonl 400
//! valgrind --tool=callgrind target/release/examples/stage_cost ARTICLES.jsonl 2000
//! ```
//!
//! The articles (JSON lines: the bench's generated ones from `newsflow bench
//! --write-articles`, or real news) are wrapped as langid would wrap them,
//! as `deploy/local/bench.sh --stage dedup` does, and go through the stage's
//! own `transform` (decoding the staged article, the fingerprint) and
//! `finish` (lookup, verification, encoding the outputs), in order, with an
//! in-memory fingerprint log and the replica's cache of recent tokenized
//! texts in front of an in-memory `NEWS_RAW`, as the service has it. The
//! difference of two runs over N and 5N articles, over 4N, is the cost of
//! an article without the start-up.
//!
//! `--toggle-collect=stage_cost::process` counts the stage's work alone
//! (not reading the file and wrapping the articles).
//!
//! With a third argument, a file, each article's verdict is written there
//! (the fingerprint's exact key and sketch, the duplicate notices, and the
//! id and `dedup` of what is passed on, without the `pipeline` stamps'
//! times): two builds that decide alike write the same file.

use std::io::Write;

use newsflow_core::contracts::{Article, STAGED_SCHEMA_VERSION};
use newsflow_core::intake::IntakeLimits;
use newsflow_core::runtime::{CpuThreads, Incoming, Processed, Processor};
use newsflow_dedup::index::{DupIndex, IndexSettings};
use newsflow_dedup::log::MemoryLog;
use newsflow_dedup::texts::{MemoryTexts, RecentTexts, StoredText};
use newsflow_dedup::{DEFAULT_CAPACITY, DEFAULT_TEXT_CACHE_MB, DEFAULT_THRESHOLD, DedupStage};

type Stage = DedupStage<MemoryLog, RecentTexts<MemoryTexts>>;

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: stage_cost ARTICLES.jsonl [COUNT] [VERDICTS_OUT]";
    let path = args.next().expect(usage);
    let count: usize = args.next().map_or(usize::MAX, |n| n.parse().expect(usage));
    let mut verdicts = args
        .next()
        .map(|out| std::fs::File::create(&out).unwrap_or_else(|e| panic!("creating {out}: {e}")));
    let input = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));

    let stage: Stage = DedupStage {
        log: MemoryLog::new(DupIndex::new(IndexSettings {
            near: true,
            threshold: DEFAULT_THRESHOLD,
            window_ms: i64::MAX / 4,
            capacity: DEFAULT_CAPACITY,
        })),
        texts: RecentTexts::new(MemoryTexts::default(), DEFAULT_TEXT_CACHE_MB << 20),
        threshold: DEFAULT_THRESHOLD,
        limits: IntakeLimits::default(),
    };
    // The staged articles, and NEWS_RAW, where a candidate the cache no
    // longer holds is read: made before the measured part.
    let mut payloads = Vec::new();
    for (index, line) in input
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(count)
        .enumerate()
    {
        let article: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{path}:{}: not a JSON article: {e}", index + 1));
        let seq = index as u64 + 1;
        let stored: Article = serde_json::from_value(article.clone()).expect("an article");
        stage
            .texts
            .inner
            .insert(seq, StoredText::of_article(stored, &stage.limits.html));
        let staged = serde_json::json!({
            "schema_version": STAGED_SCHEMA_VERSION,
            "article": article,
            "source_seq": seq,
            "received_at": "2026-11-29T00:00:00.000Z",
            "pipeline": [],
        });
        payloads.push(serde_json::to_vec(&staged).expect("JSON"));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    for (seq, payload) in (1..).zip(&payloads) {
        let processed = process(&stage, &runtime, payload, seq);
        let Some(out) = verdicts.as_mut() else {
            continue;
        };
        // The fingerprint as stored (its exact key and sketch), which
        // must stay comparable with those already in the stream.
        let staged = newsflow_core::intake::decode_staged(payload).expect("staged");
        if let Some(prepared) = stage.prepare(&staged) {
            let f = &prepared.fingerprint;
            writeln!(
                out,
                "fingerprint\t{}\t{:016x}\t{}\t{:?}\t{:?}",
                f.id, f.exact, f.sketch.shingles, f.sketch.mins, f.sketch.lead
            )
            .expect("writing verdicts");
        }
        for message in processed.messages {
            let mut value: serde_json::Value =
                serde_json::from_slice(&message.payload).expect("JSON output");
            let line = if message.subject == "news.duplicates" {
                value.as_object_mut().expect("a notice").remove("pipeline");
                value
            } else {
                serde_json::json!({"id": value["article"]["id"], "dedup": value["dedup"]})
            };
            writeln!(out, "{}\t{line}", message.subject).expect("writing verdicts");
        }
    }
    let articles = payloads.len();
    eprintln!("{articles} articles from {path}");
}

/// One staged article through the stage, as the service runs it: what
/// callgrind's `--toggle-collect=stage_cost::process` counts.
#[inline(never)]
fn process(
    stage: &Stage,
    runtime: &tokio::runtime::Runtime,
    payload: &[u8],
    seq: u64,
) -> Processed {
    let transformed = stage
        .transform(Incoming {
            payload,
            subject: "news.stage.detected",
            stream_sequence: seq,
            delivered: 1,
            stored_at: chrono::DateTime::UNIX_EPOCH,
        })
        .unwrap_or_else(|e| panic!("article {seq}: rejected: {e}"));
    runtime
        .block_on(stage.finish(transformed, &CpuThreads::inline()))
        .expect("in-memory log")
}
