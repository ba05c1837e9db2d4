//! HTML extraction on any text: message bytes read as UTF-8 leniently, as a
//! page would arrive in an article's `html` field. Once with the default
//! limits (Readability over the parsed page) and once with tiny ones, so the
//! token-scan fallback for deep or large pages and the text cut run too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_core::html::{HtmlLimits, extract};
use newsflow_fuzz::lossy;

const URL: Option<&str> = Some("https://example.org/news/a");

fuzz_target!(|data: &[u8]| {
    let html = lossy(data);
    let page = extract(&html, URL, &HtmlLimits::default());
    serde_json::to_vec(&page).expect("an extracted page serializes");
    let tiny = HtmlLimits {
        max_depth: 4,
        max_elements: 16,
        max_text_bytes: 64,
    };
    let page = extract(&html, URL, &tiny);
    assert!(
        page.text.len() <= tiny.max_text_bytes,
        "main text of {} bytes over the limit of {}",
        page.text.len(),
        tiny.max_text_bytes
    );
});
