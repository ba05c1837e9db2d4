//! HTML extraction on any text: message bytes read as UTF-8 leniently, as a
//! page would arrive in an article's `html` field.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_fuzz::lossy;

fuzz_target!(|data: &[u8]| {
    let html = lossy(data);
    let _ = newsflow_core::text::html_to_text(&html);
    let _ = newsflow_enrich::html::extract(&html, Some("https://example.org/news/a"));
});
