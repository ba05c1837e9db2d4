//! The whole langid transform on message bytes: intake, HTML extraction,
//! detection (with the lingua fallback, as shipped), the staged article it
//! publishes. Inputs that
//! start with byte 1 are fields (see `Fields`) sent as a JSON article, to get
//! past the JSON syntax to the detector quickly; others are the raw payload.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use newsflow_core::chrono::DateTime;
use newsflow_core::intake::{ShortText, decode_staged};
use newsflow_core::runtime::{Incoming, Processor};
use newsflow_fuzz::{Fields, STRUCTURED, run_ready};
use newsflow_langid::LangidStage;

/// The shipped settings, except that short texts are passed on rather than
/// dead-lettered, so that every input reaches the detector.
static STAGE: LazyLock<LangidStage> = LazyLock::new(|| {
    let mut stage = LangidStage::default();
    stage.limits.short_text = ShortText::Pass;
    stage
});

fuzz_target!(|data: &[u8]| {
    let structured;
    let payload = match data.split_first() {
        Some((&STRUCTURED, rest)) => {
            structured = serde_json::to_vec(&Fields::parse(rest).article()).unwrap();
            &structured[..]
        }
        _ => data,
    };
    let input = Incoming {
        payload,
        subject: "news.raw",
        stream_sequence: 7,
        delivered: 1,
        stored_at: DateTime::from_timestamp(1_741_600_000, 0).unwrap(),
    };
    if let Ok(processed) = run_ready(STAGE.process(input)) {
        for message in processed.messages {
            // What langid publishes, dedup must accept.
            if let Err(err) = decode_staged(&message.payload) {
                panic!("dedup would reject langid's output: {err}");
            }
        }
    }
});
