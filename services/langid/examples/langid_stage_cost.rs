//! The langid service's work on each article, without NATS, for instruction
//! counts under callgrind:
//!
//! ```sh
//! cargo build --release -p newsflow-langid --example langid_stage_cost
//! valgrind --tool=callgrind --toggle-collect=langid_stage_cost::process \
//!     target/release/examples/langid_stage_cost ARTICLES.jsonl 400
//! valgrind --tool=callgrind --toggle-collect=langid_stage_cost::process \
//!     target/release/examples/langid_stage_cost ARTICLES.jsonl 2000
//! ```
//!
//! Each article (JSON lines as crawlers publish them: the bench's generated
//! ones from `newsflow bench --write-articles`, or real news) goes through
//! the stage's own `transform`, as the service runs it on a message of
//! `news.raw`: decoding and checking the article, reading its page, the
//! detection and encoding the staged article. The difference of two runs
//! over N and 5N articles, over 4N, is the cost of an article without the
//! start-up (the detector's models).
//!
//! With a third argument, a file, every staged article is written there,
//! its `pipeline` stamps' times left out: two builds that stage alike
//! write the same file.

use std::io::Write;

use newsflow_core::runtime::{Incoming, Processed, Processor};
use newsflow_langid::LangidStage;

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: langid_stage_cost ARTICLES.jsonl [COUNT] [STAGED_OUT]";
    let path = args.next().expect(usage);
    let count: usize = args.next().map_or(usize::MAX, |n| n.parse().expect(usage));
    let mut staged_out = args
        .next()
        .map(|out| std::fs::File::create(&out).unwrap_or_else(|e| panic!("creating {out}: {e}")));
    let input = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let stage = LangidStage::default();
    let mut articles = 0;
    for (seq, line) in (1..).zip(input.lines().filter(|l| !l.trim().is_empty()).take(count)) {
        articles += 1;
        let Ok(processed) = process(&stage, line.as_bytes(), seq) else {
            continue;
        };
        let Some(out) = staged_out.as_mut() else {
            continue;
        };
        for message in processed.messages {
            // The payload as sent, but for the stamps' times.
            let json = String::from_utf8(message.payload.to_vec()).expect("UTF-8 output");
            let timeless = match json.find(",\"processed_at\":\"") {
                Some(at) => format!("{}{}", &json[..at], &json[at + 42..]),
                None => json,
            };
            writeln!(out, "{timeless}").expect("writing staged articles");
        }
    }
    eprintln!("{articles} articles from {path}");
}

/// One article through the stage's transform, as the service runs it: what
/// callgrind's `--toggle-collect=langid_stage_cost::process` counts.
#[inline(never)]
fn process(
    stage: &LangidStage,
    payload: &[u8],
    seq: u64,
) -> Result<Processed, newsflow_core::runtime::StageError> {
    stage.transform(Incoming {
        payload,
        subject: "news.raw",
        stream_sequence: seq,
        delivered: 1,
        stored_at: newsflow_core::chrono::DateTime::UNIX_EPOCH,
    })
}
